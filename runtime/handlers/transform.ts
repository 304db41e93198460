import { envCheckpoint } from '../pipeline/faults';
import { pipelineFromEnv } from '../pipeline/deployed';
import { transformFinishRun, transformNextUnit, transformPlanNext, transformPlannedUnit, type TransformResult } from '../model/pending';
import { deployedRunRecorder } from '../state/deployed-run';
import { instrumentHandler } from '../telemetry/handler';
import { MetricName, recordTableRows } from '../telemetry/metrics';

/**
 * How the state machine fans a run's transform out (infra/stateMachine.ts): `plan` names the
 * oldest pending run and its units not done yet, one `unit` invocation per unit (an inline Map),
 * then `finish` writes the run's manifest and pointer.
 */
export type TransformAction = 'plan' | 'unit' | 'finish';

export interface TransformEvent {
  runId: string;
  runStartedAt?: string;
  /**
   * One bounded unit of work (the state machine's loop, until `more` is false); without it (and
   * without `action`), every pending extract run whole, as the CLI's loop does.
   */
  step?: boolean;
  /** One part of a fanned-out run (see TransformAction). */
  action?: TransformAction;
  /** `unit`, `finish`: the run planned (the plan's `transformRun`, not necessarily `runId`). */
  transformRun?: string;
  /** `unit`: the id of the unit to run (one of the plan's `units`). */
  unit?: string;
  /** `plan`: units this execution has taken so far, and the most it may take. */
  spent?: number;
  maxUnits?: number;
}

export interface TransformOutput {
  runId: string;
  runStartedAt?: string;
  /** Work remains (with `step`, `plan` or `finish`): the state machine invokes the transform again. */
  more: boolean;
  /** The unit this call ran (with `step` or `unit`), if any. */
  unit?: string;
  /** `plan`: the run whose units fan out ('' when none is pending) and the ids of its units not done yet. */
  transformRun?: string;
  units?: string[];
  unitCount?: number;
  /** Every extract run finished by this call (a failed earlier run is caught up here). */
  transformedRuns: string[];
  manifestKeys: string[];
  rows: number;
  quarantined: number;
}

/** The budget of one plan: what is left of `maxUnits` after `spent`, at least one unit. */
function planBudget(event: TransformEvent): number {
  const max = event.maxUnits ?? 1000;
  const spent = event.spent ?? 0;
  if (!Number.isSafeInteger(max) || max < 1 || !Number.isSafeInteger(spent) || spent < 0) throw new Error('transform plan: maxUnits and spent must be whole numbers');
  return Math.max(1, max - spent);
}

function requireString(value: unknown, name: string, action: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`transform ${action}: the event has no ${name}`);
  return value;
}

/** Builds the star-schema rows of the extract runs not transformed yet: one unit, a part of a fanned-out run, or all of them. */
export async function transformStage(
  event: TransformEvent,
  env: NodeJS.ProcessEnv = process.env,
  onTableRows?: (table: string, rows: number) => void,
): Promise<TransformOutput> {
  const pipeline = pipelineFromEnv(env);
  const ctx = { lake: pipeline.lake, source: pipeline.sourceName, checkpoint: envCheckpoint(env) };
  const empty = { runId: event.runId, runStartedAt: event.runStartedAt, transformedRuns: [], manifestKeys: [], rows: 0, quarantined: 0 };
  let results: TransformResult[];
  let more = false;
  let unit: string | undefined;
  if (event.action === 'plan') {
    const plan = await transformPlanNext(ctx.lake, ctx.source, pipeline.source.transformUnits(ctx), pipeline.unitRows, planBudget(event));
    return { ...empty, more: plan.more, transformRun: plan.runId, units: plan.units, unitCount: plan.units.length };
  } else if (event.action === 'unit') {
    const run = requireString(event.transformRun, 'transformRun', 'unit');
    const id = requireString(event.unit, 'unit', 'unit');
    await transformPlannedUnit(ctx.lake, ctx.source, pipeline.source.transformUnits(ctx), run, id, ctx.checkpoint);
    return { ...empty, more: false, transformRun: run, unit: id };
  } else if (event.action === 'finish') {
    const step = await transformFinishRun(ctx.lake, ctx.source, requireString(event.transformRun, 'transformRun', 'finish'), ctx.checkpoint);
    results = step.finished ? [step.finished] : [];
    more = step.more;
  } else if (event.action !== undefined) {
    throw new Error(`transform: unknown action ${JSON.stringify(event.action)}`);
  } else if (event.step) {
    const step = await transformNextUnit(ctx.lake, ctx.source, pipeline.source.transformUnits(ctx), pipeline.unitRows, ctx.checkpoint);
    results = step.finished ? [step.finished] : [];
    more = step.more;
    unit = step.unit;
  } else {
    results = await pipeline.source.transform({ ...ctx, unitRows: pipeline.unitRows });
  }
  let rows = 0;
  for (const result of results) {
    for (const [table, entry] of Object.entries(result.manifest.tables)) {
      rows += entry.rows;
      onTableRows?.(table, entry.rows);
    }
  }
  return {
    ...empty,
    more,
    ...(unit ? { unit } : {}),
    transformedRuns: results.map((r) => r.runId),
    manifestKeys: results.map((r) => r.manifestKey),
    rows,
    quarantined: results.reduce((n, r) => n + r.manifest.quarantined.reduce((a, q) => a + q.rows, 0), 0),
  };
}

const summarize = (out: TransformOutput) => ({ rows: out.rows, transformed_runs: out.transformedRuns, quarantined: out.quarantined, more: out.more, unit: out.unit, units: out.unitCount });
const run = (event: TransformEvent, telemetry: Parameters<Parameters<typeof instrumentHandler<TransformEvent, TransformOutput>>[1]>[1]) =>
  transformStage(event, process.env, (table, rows) => recordTableRows(telemetry.metrics, MetricName.RowsTransformed, table, rows));

const recorded = instrumentHandler<TransformEvent, TransformOutput>('transform', run, { summarize, runRecord: { recorder: deployedRunRecorder() } });
/**
 * Fanned-out units run at once, and the run record is read, changed and written whole: their
 * updates would race and lose each other. The plan and the finish around them record the step.
 */
const unrecorded = instrumentHandler<TransformEvent, TransformOutput>('transform', run, { summarize });

export const handler: typeof recorded = (event, context) => (event.action === 'unit' ? unrecorded(event, context) : recorded(event, context));
