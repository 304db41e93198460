import { envCheckpoint } from '../pipeline/faults';
import { pipelineFromEnv } from '../pipeline/deployed';
import { transformNextUnit, type TransformResult } from '../model/pending';
import { deployedRunRecorder } from '../state/deployed-run';
import { instrumentHandler } from '../telemetry/handler';
import { MetricName, recordTableRows } from '../telemetry/metrics';

export interface TransformEvent {
  runId: string;
  runStartedAt?: string;
  /**
   * One bounded unit of work (the state machine's loop, until `more` is false); without it,
   * every pending extract run whole, as the CLI's loop does.
   */
  step?: boolean;
}

export interface TransformOutput {
  runId: string;
  runStartedAt?: string;
  /** Work remains (with `step`): the state machine invokes the transform again. */
  more: boolean;
  /** The unit this call ran (with `step`), if any. */
  unit?: string;
  /** Every extract run finished by this call (a failed earlier run is caught up here). */
  transformedRuns: string[];
  manifestKeys: string[];
  rows: number;
  quarantined: number;
}

/** Builds the star-schema rows of the extract runs not transformed yet: one unit, or all of them. */
export async function transformStage(
  event: TransformEvent,
  env: NodeJS.ProcessEnv = process.env,
  onTableRows?: (table: string, rows: number) => void,
): Promise<TransformOutput> {
  const pipeline = pipelineFromEnv(env);
  const ctx = { lake: pipeline.lake, source: pipeline.sourceName, checkpoint: envCheckpoint(env) };
  let results: TransformResult[];
  let more = false;
  let unit: string | undefined;
  if (event.step) {
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
    runId: event.runId,
    runStartedAt: event.runStartedAt,
    more,
    ...(unit ? { unit } : {}),
    transformedRuns: results.map((r) => r.runId),
    manifestKeys: results.map((r) => r.manifestKey),
    rows,
    quarantined: results.reduce((n, r) => n + r.manifest.quarantined.reduce((a, q) => a + q.rows, 0), 0),
  };
}

export const handler = instrumentHandler<TransformEvent, TransformOutput>(
  'transform',
  (event, telemetry) => transformStage(event, process.env, (table, rows) => recordTableRows(telemetry.metrics, MetricName.RowsTransformed, table, rows)),
  {
    summarize: (out) => ({ rows: out.rows, transformed_runs: out.transformedRuns, quarantined: out.quarantined, more: out.more, unit: out.unit }),
    runRecord: { recorder: deployedRunRecorder() },
  },
);
