import { envCheckpoint } from '../pipeline/faults';
import { pipelineFromEnv } from '../pipeline/deployed';
import { deployedRunRecorder } from '../state/deployed-run';
import { instrumentHandler } from '../telemetry/handler';
import { MetricName, recordTableRows } from '../telemetry/metrics';

export interface TransformEvent {
  runId: string;
  runStartedAt?: string;
}

export interface TransformOutput {
  runId: string;
  runStartedAt?: string;
  /** Every extract run transformed by this call (a failed earlier run is caught up here). */
  transformedRuns: string[];
  manifestKeys: string[];
  rows: number;
  quarantined: number;
}

/** Builds the star-schema rows of every extract run not transformed yet. */
export async function transformStage(
  event: TransformEvent,
  env: NodeJS.ProcessEnv = process.env,
  onTableRows?: (table: string, rows: number) => void,
): Promise<TransformOutput> {
  const pipeline = pipelineFromEnv(env);
  const results = await pipeline.source.transform({ lake: pipeline.lake, source: pipeline.sourceName, checkpoint: envCheckpoint(env) });
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
    transformedRuns: results.map((r) => r.runId),
    manifestKeys: results.map((r) => r.manifestKey),
    rows,
    quarantined: results.reduce((n, r) => n + r.manifest.quarantined.reduce((a, q) => a + q.rows, 0), 0),
  };
}

export const handler = instrumentHandler<TransformEvent, TransformOutput>(
  'transform',
  (event, telemetry) => transformStage(event, process.env, (table, rows) => recordTableRows(telemetry.metrics, MetricName.RowsTransformed, table, rows)),
  { summarize: (out) => ({ rows: out.rows, transformed_runs: out.transformedRuns, quarantined: out.quarantined }), runRecord: { recorder: deployedRunRecorder() } },
);
