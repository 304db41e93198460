import { listManifestRunIds, readManifest, type TransformManifest } from '../lake/manifest';
import type { ObjectStore } from '../lake/port';
import { groupObjects } from '../model/pending';
import type { StarModel } from '../model/star';
import type { AsyncLoad, DataTestResult, LoadResult, Warehouse } from '../warehouse/port';
import { DEFAULTS } from '../contract';
import type { Checkpoint } from './faults';

/**
 * Units of work of the load. A processed run of at most `unitRows` rows loads in one transaction
 * with its run record, as it always did. A larger run is cut into units of whole processed
 * objects (at most `unitRows` rows each, or one object): the dimensions' units first, then the
 * facts' (a fact unit finds the dimension rows it references already there), each loaded by the
 * warehouse's own `loadRun` as a manifest of its own: one transaction holding the unit's rows and
 * the unit's record (`-<runId>-<n>`), so no reader ever sees a unit half-applied. Units load in
 * order, so the recorded ones are a prefix of the list; the run's own record follows the last.
 *
 * Unit records start with `-` and `lastLoadedRun` (the greatest run id of the source) leaves
 * them out (a linguistic collation would not sort `-` before digits), so it never names a unit; a run partly loaded stays pending and resumes at its first
 * unit not recorded. Dimension upserts and fact appends by version key are idempotent besides.
 */
export interface LoadUnit {
  id: string;
  /** The model tables of the unit and, for each, the indexes of its objects in the run's manifest. */
  tables: Record<string, number[]>;
}

export function unitRecordId(runId: string, index: number): string {
  return `-${runId}-${String(index + 1).padStart(5, '0')}`;
}

/** The units of a run, or undefined when it loads as one (at most `unitRows` rows). */
export function planLoadUnits(model: StarModel, manifest: TransformManifest, unitRows: number): LoadUnit[] | undefined {
  const phases = [model.dimensions, model.facts].map((tables) => tables.filter((t) => manifest.tables[t.name]));
  const rows = phases.flat().reduce((n, t) => n + manifest.tables[t.name].rows, 0);
  if (rows <= unitRows) return undefined;
  const units: Array<Record<string, number[]>> = [];
  for (const tables of phases) {
    let current: Record<string, number[]> | undefined;
    let currentRows = 0;
    for (const table of tables) {
      const objects = manifest.tables[table.name].objects;
      for (const group of groupObjects(objects, unitRows)) {
        const groupRows = group.reduce((n, i) => n + objects[i].rows, 0);
        if (!current || currentRows + groupRows > unitRows) {
          current = {};
          currentRows = 0;
          units.push(current);
        }
        current[table.name] = [...(current[table.name] ?? []), ...group];
        currentRows += groupRows;
      }
    }
  }
  return units.map((tables, i) => ({ id: unitRecordId(manifest.runId, i), tables }));
}

/** The manifest of one unit: its objects only, recorded under the unit's id. */
export function unitManifest(manifest: TransformManifest, unit: LoadUnit): TransformManifest {
  const tables: TransformManifest['tables'] = {};
  for (const [table, indexes] of Object.entries(unit.tables)) {
    const entry = manifest.tables[table];
    const objects = indexes.map((i) => entry.objects[i]);
    tables[table] = { kind: entry.kind, rows: objects.reduce((n, o) => n + o.rows, 0), objects };
  }
  return { ...manifest, runId: unit.id, tables, quarantined: [] };
}

export interface LoadUnitOptions {
  /** The warehouse's model: without it a run always loads whole (one transaction). */
  model?: StarModel;
  /** Rows per unit; default DEFAULTS.unitRows. */
  unitRows?: number;
  checkpoint?: Checkpoint;
  /**
   * Asynchronous warehouses (`Warehouse.async`): submit the unit's statements and return without
   * waiting; `after` is the statement the caller waited for since the last call.
   */
  submit?: { after?: SubmittedStatement };
}

/** A warehouse statement submitted by a load step, for the caller to wait on. */
export interface SubmittedStatement {
  statementId: string;
  /** `stage`: the COPY batch (apply follows); `apply`: the unit's transaction. */
  phase: 'stage' | 'apply';
  /** The unit's record id (`-<run>-<n>`), or the run id (a run loaded whole, or a split run's own record). */
  unit: string;
}

const UNIT_ID = /^-(.+)-(\d{5})$/;

/** The manifest a unit id stands for, from the lake (unit ids name their run and index). */
async function manifestOfUnit(lake: ObjectStore, model: StarModel | undefined, unitRows: number, unit: string): Promise<TransformManifest> {
  const match = UNIT_ID.exec(unit);
  const runId = match ? match[1] : unit;
  const manifest = await readManifest<TransformManifest>(lake, 'transform', runId);
  if (!manifest) throw new Error(`load: no processed manifest for ${runId} (statement unit ${unit})`);
  const units = model ? planLoadUnits(model, manifest, unitRows) : undefined;
  if (match) {
    const found = units?.[Number(match[2]) - 1];
    if (!found || found.id !== unit) throw new Error(`load: ${unit} is not a unit of ${runId} at ${unitRows} rows a unit`);
    return unitManifest(manifest, found);
  }
  return units ? { ...manifest, tables: {} } : manifest;
}

/**
 * The asynchronous step (`submit`): after a statement the caller waited for, its follow-up (the
 * apply after a staging batch, or the outcome of an apply); otherwise the next unit's staging
 * submitted. A statement that did not finish is an error here (the state machine calls again on
 * any end, so a failed statement's error reaches the alert).
 */
async function submitNext(warehouse: Warehouse & { async: AsyncLoad }, lake: ObjectStore, source: string, options: LoadUnitOptions, after: SubmittedStatement | undefined): Promise<LoadStepResult> {
  const { model, unitRows = DEFAULTS.unitRows } = options;
  if (after) {
    const status = await warehouse.async.status(after.statementId);
    if (status.status !== 'FINISHED') throw new Error(`warehouse statement ${after.statementId} (${after.phase} of ${after.unit}) is ${status.status}${status.error ? `: ${status.error}` : ''}`);
    const unit = await manifestOfUnit(lake, model, unitRows, after.unit);
    const runId = UNIT_ID.exec(after.unit)?.[1] ?? after.unit;
    if (after.phase === 'stage') return { more: true, runId, statement: { statementId: await warehouse.async.submitApply(unit), phase: 'apply', unit: after.unit } };
    const load = { ...(await warehouse.async.outcome(unit, after.statementId)), runId };
    if (after.unit !== runId) return { more: true, runId, load };
    const split = Object.keys(unit.tables).length === 0 && model !== undefined;
    return { more: await pendingAfter(lake, source, runId), runId, load, finished: runId, ...(split ? { split } : {}) };
  }
  const manifest = await nextPendingLoad(warehouse, lake, source);
  if (!manifest) return { more: false };
  const units = model ? planLoadUnits(model, manifest, unitRows) : undefined;
  const next = units ? await firstUnitNotLoaded(warehouse, units) : 0;
  const unit = units && next < units.length ? unitManifest(manifest, units[next]) : units ? { ...manifest, tables: {} } : manifest;
  const submitted = await warehouse.async.submitStage(lake, unit);
  // Recorded already (another load got there): the next call moves on.
  if (!submitted) return { more: true, runId: manifest.runId };
  return { more: true, runId: manifest.runId, statement: { ...submitted, unit: unit.runId } };
}



export interface LoadStepResult {
  /** Work remains: call again. */
  more: boolean;
  runId?: string;
  /** The unit (or whole run) this call loaded; `loaded: false` when it had been loaded before. */
  load?: LoadResult;
  /** The run this call finished (recorded), if any. */
  finished?: string;
  /** The finished run was loaded in units (the final call applies nothing itself). */
  split?: boolean;
  /** Submitted and not waited for (`submit`): call again once it has finished. */
  statement?: SubmittedStatement;
}

/** The oldest processed run of the source the warehouse does not hold. */
async function nextPendingLoad(warehouse: Warehouse, lake: ObjectStore, source: string): Promise<TransformManifest | undefined> {
  const after = await warehouse.lastLoadedRun(source);
  for (const runId of await listManifestRunIds(lake, 'transform', after)) {
    const manifest = await readManifest<TransformManifest>(lake, 'transform', runId);
    if (manifest && manifest.source === source) return manifest;
  }
  return undefined;
}

/** Whether a processed run of the source follows `runId` in the lake (the warehouse now holds `runId`). */
async function pendingAfter(lake: ObjectStore, source: string, runId: string): Promise<boolean> {
  for (const next of await listManifestRunIds(lake, 'transform', runId)) {
    const manifest = await readManifest<TransformManifest>(lake, 'transform', next);
    if (manifest && manifest.source === source) return true;
  }
  return false;
}

/** The first unit not recorded: recorded units are a prefix (they load in order), so a binary search. */
async function firstUnitNotLoaded(warehouse: Warehouse, units: LoadUnit[]): Promise<number> {
  let lo = 0;
  let hi = units.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (await warehouse.hasRun(units[mid].id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One bounded step of the load: the next unit of the oldest pending processed run (or the whole
 * run when it is small), or the run's record once its units are in. The schema is the caller's.
 */
export async function loadNextUnit(warehouse: Warehouse, lake: ObjectStore, source: string, options: LoadUnitOptions = {}): Promise<LoadStepResult> {
  const { model, unitRows = DEFAULTS.unitRows, checkpoint } = options;
  if (options.submit && warehouse.async) return submitNext(warehouse as Warehouse & { async: AsyncLoad }, lake, source, options, options.submit.after);
  const manifest = await nextPendingLoad(warehouse, lake, source);
  if (!manifest) return { more: false };
  const units = model ? planLoadUnits(model, manifest, unitRows) : undefined;
  if (!units) {
    const load = await warehouse.loadRun(lake, manifest, checkpoint);
    return { more: await pendingAfter(lake, source, manifest.runId), runId: manifest.runId, load, finished: manifest.runId };
  }
  const next = await firstUnitNotLoaded(warehouse, units);
  if (next < units.length) {
    const load = await warehouse.loadRun(lake, unitManifest(manifest, units[next]), checkpoint);
    await checkpoint?.('load.after-unit');
    return { more: true, runId: manifest.runId, load: { ...load, runId: manifest.runId } };
  }
  // Every unit is in: the run's own record (its tables are the units'), so the next load starts after it.
  const load = await warehouse.loadRun(lake, { ...manifest, tables: {} }, checkpoint);
  return { more: await pendingAfter(lake, source, manifest.runId), runId: manifest.runId, load: { ...load, loaded: false }, finished: manifest.runId, split: true };
}

/**
 * Loads every processed run of the source the warehouse does not hold yet, oldest first, unit
 * by unit (the CLI's loop over the steps the state machine takes one invocation each). Run ids
 * sort by time, so "after the last loaded run" is the whole of what is pending; a run loaded
 * twice changes nothing.
 */
export async function loadPendingRuns(warehouse: Warehouse, lake: ObjectStore, source: string, options: LoadUnitOptions = {}): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  for (;;) {
    const step = await loadNextUnit(warehouse, lake, source, options);
    if (step.load) results.push(step.load);
    if (!step.more) return results;
  }
}

/** Whether a step's run may have changed the warehouse (the data tests are then due). */
export function stepChanged(step: LoadStepResult): boolean {
  return step.split === true || (step.load?.tables.some((t) => t.applied > 0) ?? false);
}

/** Whole-warehouse data tests, when the loads changed anything (a no-change run stays cheap). */
export async function dataTestsAfter(warehouse: Warehouse, loads: readonly LoadResult[]): Promise<DataTestResult[]> {
  const changed = loads.some((l) => l.tables.some((t) => t.applied > 0));
  return changed ? ((await warehouse.dataTests?.()) ?? []) : [];
}

/**
 * The load step every pipeline shares: schema, every pending processed run, then the
 * whole-warehouse data tests when the loads changed anything. Closes the warehouse whatever happens.
 */
export async function loadIntoWarehouse(
  warehouse: Warehouse,
  lake: ObjectStore,
  source: string,
  options: LoadUnitOptions = {},
): Promise<{ loads: LoadResult[]; dataTests: DataTestResult[] }> {
  try {
    await warehouse.ensureSchema();
    const loads = await loadPendingRuns(warehouse, lake, source, options);
    return { loads, dataTests: await dataTestsAfter(warehouse, loads) };
  } finally {
    await warehouse.close();
  }
}
