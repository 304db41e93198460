import { ENV } from '../contract';
import { pipelineFromEnv } from '../pipeline/deployed';
import { loadPipeline } from '../pipeline/run';
import { envCheckpoint } from '../pipeline/faults';
import { instrumentHandler } from '../telemetry/handler';
import { MetricName, recordFreshnessLag, recordTableRows } from '../telemetry/metrics';
import { publishAlert } from '../telemetry/publish';
import { deployedRunRecorder } from '../state/deployed-run';

export interface LoadEvent {
  runId: string;
  runStartedAt?: string;
}

export interface LoadOutput {
  runId: string;
  loadedRuns: string[];
  factsAppended: number;
  dimensionsUpserted: number;
  /** Data tests that found offending rows (each one alerted). */
  dataTestFailures: number;
}

/** Applies every processed run not loaded yet to the warehouse, one transaction each. */
export async function loadStage(
  event: LoadEvent,
  env: NodeJS.ProcessEnv = process.env,
  onTableRows?: (table: string, rows: number) => void,
): Promise<LoadOutput> {
  const pipeline = pipelineFromEnv(env);
  const { loads: results, dataTests } = await loadPipeline(pipeline, envCheckpoint(env));
  const breaches = dataTests.filter((t) => t.failures > 0);
  if (breaches.length) {
    await publishAlert(
      {
        kind: 'data-quality',
        pipeline: pipeline.pipeline,
        environment: env[ENV.environment] ?? 'unknown',
        runId: event.runId,
        checks: breaches.map((b) => ({
          name: b.name,
          table: b.table,
          passed: false,
          detail: `${b.failures} row(s)`,
        })),
      },
      env,
    );
  }
  const output: LoadOutput = {
    runId: event.runId,
    loadedRuns: [],
    factsAppended: 0,
    dimensionsUpserted: 0,
    dataTestFailures: breaches.length,
  };
  for (const result of results) {
    if (result.loaded) output.loadedRuns.push(result.runId);
    for (const table of result.tables) {
      if (table.kind === 'fact') output.factsAppended += table.applied;
      if (table.kind === 'dimension') output.dimensionsUpserted += table.applied;
      onTableRows?.(table.table, table.applied);
    }
  }
  return output;
}

export const handler = instrumentHandler<LoadEvent, LoadOutput>(
  'load',
  async (event, telemetry) => {
    const output = await loadStage(event, process.env, (table, rows) =>
      recordTableRows(telemetry.metrics, MetricName.RowsLoaded, table, rows),
    );
    if (event.runStartedAt)
      recordFreshnessLag(telemetry.metrics, (Date.now() - Date.parse(event.runStartedAt)) / 1000);
    return output;
  },
  {
    endsRun: true,
    summarize: (out) => ({
      loaded_runs: out.loadedRuns,
      facts_appended: out.factsAppended,
      dimensions_upserted: out.dimensionsUpserted,
    }),
    runRecord: {
      recorder: deployedRunRecorder(),
      report: (out) => ({
        rowsLoaded: out.factsAppended + out.dimensionsUpserted,
        problems: out.dataTestFailures ? [`${out.dataTestFailures} data test(s) failed`] : [],
      }),
    },
  },
);
