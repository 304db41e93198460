import { manifestKey, stateKey } from '../lake/keys';
import { reextractHint, verifyObject } from '../lake/verify';
import { listManifestRunIds, readManifest, writeManifest, type ExtractManifest, type TransformManifest } from '../lake/manifest';
import type { ObjectStore } from '../lake/port';
import { readState, writeState } from '../state/watermarks';

/** Where a source's transform is up to; a model may keep more beside `lastRunId`. */
export interface TransformPointerBase {
  lastRunId: string;
}

export interface TransformResult {
  runId: string;
  manifestKey: string;
  manifest: TransformManifest;
}

const POINTER = '_transform';

/**
 * A unit of a run's transform: the work one invocation does. `base` is the run's own unit (the
 * reference tables, the small tables, the pointer); a large table may be cut out of it into
 * units of whole raw objects (`table`, `objects` = indexes into the table's objects).
 */
export interface TransformUnitSpec {
  id: string;
  /** A table cut out of the run: the objects of it this unit transforms. */
  table?: string;
  objects?: number[];
  /** The base unit: the tables cut out of it (transformed by the other units). */
  without?: string[];
}

/** How a source's model transforms one run, unit by unit. */
export interface UnitTransform<P extends TransformPointerBase> {
  /** The units of one extract run; default one unit (`base`) holding the whole run. */
  planUnits?(extract: ExtractManifest, unitRows: number): TransformUnitSpec[];
  /**
   * One unit: its part of the run's manifest (objects written to the processed zone under keys
   * of its own), and for the `base` unit the pointer the run moves to. Units of one run are
   * independent of each other; each reads only the pointer of the run before.
   */
  runUnit(extract: ExtractManifest, pointer: P | undefined, unit: TransformUnitSpec, part: number): Promise<{ manifest: TransformManifest; pointer?: P }>;
}

export interface TransformStepResult {
  /** Work remains (a unit, a finish, another pending run): call again. */
  more: boolean;
  runId?: string;
  /** The unit this call ran, if any. */
  unit?: string;
  /** The run this call finished (manifest and pointer written), if any. */
  finished?: TransformResult;
}

const BASE_UNIT: TransformUnitSpec = { id: 'base' };
const unitsPlan = (runId: string) => `_transform_units/${runId}/plan`;
const unitResult = (runId: string, unit: string) => `_transform_units/${runId}/${unit}`;

/**
 * Groups whole objects, in order, into groups of at most `unitRows` rows (an object larger than
 * that is a group of its own): the indexes of each group.
 */
export function groupObjects(objects: ReadonlyArray<{ rows: number }>, unitRows: number): number[][] {
  const groups: number[][] = [];
  let rows = 0;
  for (const [i, object] of objects.entries()) {
    if (groups.length === 0 || rows + object.rows > unitRows) {
      groups.push([]);
      rows = 0;
    }
    groups.at(-1)!.push(i);
    rows += object.rows;
  }
  return groups;
}

/** The extract with only the tables `keep` names, each whole (`all`) or only the objects listed: what one unit reads. */
export function restrictExtract(extract: ExtractManifest, keep: (table: string) => number[] | 'all' | 'none'): ExtractManifest {
  const tables: ExtractManifest['tables'] = {};
  for (const [table, entry] of Object.entries(extract.tables)) {
    const k = keep(table);
    if (k === 'none') continue;
    tables[table] = k === 'all' ? entry : { ...entry, objects: k.map((i) => entry.objects[i]), rows: k.reduce((n, i) => n + entry.objects[i].rows, 0) };
  }
  return { ...extract, tables };
}

async function readLakeJson<T>(lake: ObjectStore, source: string, name: string): Promise<T | undefined> {
  return (await readState<T>(lake, source, name))?.value;
}

async function putLakeJson(lake: ObjectStore, source: string, name: string, value: unknown): Promise<void> {
  await lake.put(stateKey(source, name), JSON.stringify(value), 'application/json');
}

/** The oldest extract run of the source the transform has not consumed, and the pointer. */
async function nextPendingRun<P extends TransformPointerBase>(lake: ObjectStore, source: string) {
  const stored = await readState<P>(lake, source, POINTER);
  for (const runId of await listManifestRunIds(lake, 'extract', stored?.value.lastRunId)) {
    const extract = await readManifest<ExtractManifest>(lake, 'extract', runId);
    if (extract && extract.source === source) return { extract, stored };
  }
  return { extract: undefined, stored };
}

/** Every unit's part of the run, merged into the run's manifest (the base unit's, plus the others' tables). */
function mergeUnitManifests(parts: TransformManifest[]): TransformManifest {
  const [base, ...others] = parts;
  const tables: TransformManifest['tables'] = { ...base.tables };
  for (const part of others) {
    for (const [table, entry] of Object.entries(part.tables)) {
      const have = tables[table];
      tables[table] = have ? { kind: have.kind, rows: have.rows + entry.rows, objects: [...have.objects, ...entry.objects] } : entry;
    }
  }
  return { ...base, finishedAt: new Date().toISOString(), tables, quarantined: parts.flatMap((p) => p.quarantined) };
}

type UnitResult<P> = { manifest: TransformManifest; pointer?: P };

/** The run's unit plan, made once and kept: a changed `unitRows` never splits a run already begun differently. */
async function unitPlan<P extends TransformPointerBase>(lake: ObjectStore, source: string, model: UnitTransform<P>, extract: ExtractManifest, unitRows: number): Promise<TransformUnitSpec[]> {
  const stored = await readLakeJson<{ units: TransformUnitSpec[] }>(lake, source, unitsPlan(extract.runId));
  if (stored) return stored.units;
  const units = model.planUnits?.(extract, unitRows) ?? [BASE_UNIT];
  await putLakeJson(lake, source, unitsPlan(extract.runId), { units });
  return units;
}

const readUnitResult = <P>(lake: ObjectStore, source: string, runId: string, unit: string) => readLakeJson<UnitResult<P>>(lake, source, unitResult(runId, unit));

/** Runs one unit of the plan unless its result is kept already; outputs are keyed by run and part, so a redone unit overwrites. */
async function runPlannedUnit<P extends TransformPointerBase>(
  lake: ObjectStore,
  source: string,
  model: UnitTransform<P>,
  extract: ExtractManifest,
  pointer: P | undefined,
  units: TransformUnitSpec[],
  part: number,
  checkpoint?: (point: string) => Promise<void> | void,
): Promise<{ ran: boolean; result: UnitResult<P> }> {
  const unit = units[part];
  const done = await readUnitResult<P>(lake, source, extract.runId, unit.id);
  if (done) return { ran: false, result: done };
  const result = await model.runUnit(extract, pointer, unit, part);
  await checkpoint?.('transform.before-unit-result');
  await putLakeJson(lake, source, unitResult(extract.runId, unit.id), result);
  return { ran: true, result };
}

/** The run's finish, once every unit's result is kept: its manifest (all units merged), then the pointer. */
async function finishRun<P extends TransformPointerBase>(
  lake: ObjectStore,
  source: string,
  runId: string,
  parts: UnitResult<P>[],
  storedTag: string | null,
  checkpoint?: (point: string) => Promise<void> | void,
): Promise<TransformStepResult> {
  const manifest = mergeUnitManifests(parts.map((p) => p.manifest));
  const pointer = parts[0].pointer ?? ({ lastRunId: runId } as P);
  await checkpoint?.('transform.before-manifest');
  const manifestKey = await writeManifest(lake, manifest);
  await checkpoint?.('transform.after-manifest');
  await writeState<P>(lake, source, POINTER, pointer, storedTag);
  const next = await nextPendingRun<P>(lake, source);
  return { more: next.extract !== undefined, runId, finished: { runId, manifestKey, manifest } };
}

/**
 * One bounded step of the transform: the next unit of the oldest pending extract run, or, when
 * all its units are done, the run's finish (its manifest, then the pointer). Each unit's result
 * is kept in the lake, so a crash redoes at most the unit in flight; outputs are keyed by run
 * and part, so a redone unit overwrites rather than duplicates. The unit plan is kept too: a
 * changed `unitRows` never splits a run already begun differently.
 */
export async function transformNextUnit<P extends TransformPointerBase>(
  lake: ObjectStore,
  source: string,
  model: UnitTransform<P>,
  unitRows: number,
  checkpoint?: (point: string) => Promise<void> | void,
): Promise<TransformStepResult> {
  const { extract, stored } = await nextPendingRun<P>(lake, source);
  if (!extract) return { more: false };
  const runId = extract.runId;
  const units = await unitPlan(lake, source, model, extract, unitRows);
  const parts: UnitResult<P>[] = [];
  for (const part of units.keys()) {
    const { ran, result } = await runPlannedUnit(lake, source, model, extract, stored?.value, units, part, checkpoint);
    // One unit per call when the run has several: each call stays within one unit's work.
    if (ran && units.length > 1) return { more: true, runId, unit: units[part].id };
    parts.push(result);
  }
  return finishRun<P>(lake, source, runId, parts, stored?.tag ?? null, checkpoint);
}

/** What TransformPlan answers: the run whose units fan out, and those of its units not done yet. */
export interface TransformPlanResult {
  /** A run is pending: its units are in `units` (at most the budget), then its finish. */
  more: boolean;
  /** The run the units belong to; '' when none is pending. */
  runId: string;
  /** Ids of the run's units not done yet, in plan order, at most `maxUnits`. */
  units: string[];
}

/**
 * The fan-out's first step: the oldest pending run's unit plan (made and kept if new), and the
 * ids of its units without a kept result, at most `maxUnits` (the execution's budget). The
 * units are independent (each reads only the pointer of the run before), so they can run at
 * once, each its own invocation (`transformPlannedUnit`), then `transformFinishRun`.
 */
export async function transformPlanNext<P extends TransformPointerBase>(lake: ObjectStore, source: string, model: UnitTransform<P>, unitRows: number, maxUnits: number): Promise<TransformPlanResult> {
  const { extract } = await nextPendingRun<P>(lake, source);
  if (!extract) return { more: false, runId: '', units: [] };
  const units = await unitPlan(lake, source, model, extract, unitRows);
  const open: string[] = [];
  for (const unit of units) {
    if (open.length >= maxUnits) break;
    if (!(await readUnitResult<P>(lake, source, extract.runId, unit.id))) open.push(unit.id);
  }
  return { more: true, runId: extract.runId, units: open };
}

/**
 * The run a fanned-out call names, only if it is the oldest pending run: its units read the
 * pointer of the run before, which is final only then (a stale or forged id is refused).
 */
async function pendingRunNamed<P extends TransformPointerBase>(lake: ObjectStore, source: string, runId: string) {
  const pending = await nextPendingRun<P>(lake, source);
  if (!pending.extract || pending.extract.runId !== runId) {
    throw new Error(`transform: run ${runId} is not the next pending run of ${source}${pending.extract ? ` (${pending.extract.runId} is)` : ' (none is pending)'}`);
  }
  return { extract: pending.extract, stored: pending.stored };
}

/** One unit of a planned run (an item of the fan-out); a unit already done is skipped. */
export async function transformPlannedUnit<P extends TransformPointerBase>(
  lake: ObjectStore,
  source: string,
  model: UnitTransform<P>,
  runId: string,
  unitId: string,
  checkpoint?: (point: string) => Promise<void> | void,
): Promise<{ ran: boolean }> {
  const { extract, stored } = await pendingRunNamed<P>(lake, source, runId);
  const units = await readLakeJson<{ units: TransformUnitSpec[] }>(lake, source, unitsPlan(runId));
  // The id names lake keys: only an id of the kept plan is used.
  const part = units?.units.findIndex((u) => u.id === unitId) ?? -1;
  if (!units || part < 0) throw new Error(`transform: ${unitId} is not a unit of the plan of run ${runId}`);
  const { ran } = await runPlannedUnit(lake, source, model, extract, stored?.value, units.units, part, checkpoint);
  return { ran };
}

/**
 * The fan-out's last step: with every unit's result kept, the run's manifest and pointer (as
 * `transformNextUnit` finishes a run). Units still open (the execution's budget ran out) leave
 * the run unfinished: `more` is true and the next plan lists them.
 */
export async function transformFinishRun<P extends TransformPointerBase>(
  lake: ObjectStore,
  source: string,
  runId: string,
  checkpoint?: (point: string) => Promise<void> | void,
): Promise<TransformStepResult & { open: number }> {
  const { stored } = await pendingRunNamed<P>(lake, source, runId);
  const units = await readLakeJson<{ units: TransformUnitSpec[] }>(lake, source, unitsPlan(runId));
  if (!units) throw new Error(`transform: run ${runId} has no unit plan`);
  const parts: UnitResult<P>[] = [];
  for (const unit of units.units) {
    const done = await readUnitResult<P>(lake, source, runId, unit.id);
    if (done) parts.push(done);
  }
  const open = units.units.length - parts.length;
  if (open > 0) return { more: true, runId, open };
  return { ...(await finishRun<P>(lake, source, runId, parts, stored?.tag ?? null, checkpoint)), open: 0 };
}

/**
 * Transforms every extract run of the source not transformed yet, oldest first, unit by unit
 * (the CLI's loop over the same steps the deployed state machine takes one invocation each).
 */
export async function transformEachPending<P extends TransformPointerBase>(
  lake: ObjectStore,
  source: string,
  model: UnitTransform<P>,
  unitRows: number,
  checkpoint?: (point: string) => Promise<void> | void,
): Promise<TransformResult[]> {
  const results: TransformResult[] = [];
  for (;;) {
    const step = await transformNextUnit(lake, source, model, unitRows, checkpoint);
    if (step.finished) results.push(step.finished);
    if (!step.more) return results;
  }
}

/** Extract runs of the source the transform has not consumed yet, oldest first. */
export async function pendingExtractRunIds(lake: ObjectStore, source: string): Promise<string[]> {
  const stored = await readState<TransformPointerBase>(lake, source, POINTER);
  const pending: string[] = [];
  for (const runId of await listManifestRunIds(lake, 'extract', stored?.value.lastRunId)) {
    const extract = await readManifest<ExtractManifest>(lake, 'extract', runId);
    if (extract && extract.source === source) pending.push(runId);
  }
  return pending;
}

/**
 * Checks every raw object the next transform will read against its manifest's sha256, so a
 * damaged one stops the run before the extract writes anything. Pending runs are normally
 * none or the last failed one, so this reads little.
 */
export async function verifyPendingExtracts(lake: ObjectStore, source: string): Promise<void> {
  for (const runId of await pendingExtractRunIds(lake, source)) {
    const extract = (await readManifest<ExtractManifest>(lake, 'extract', runId))!;
    for (const entry of Object.values(extract.tables)) {
      if (entry.error) continue;
      for (const object of entry.objects) await verifyObject(lake, object, manifestKey('extract', runId), reextractHint(runId));
    }
  }
}
