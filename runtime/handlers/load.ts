import { ENV } from '../contract';
import { pipelineFromEnv } from '../pipeline/deployed';
import { loadNextUnit, stepChanged } from '../pipeline/load-step';
import { loadPipeline } from '../pipeline/run';
import { envCheckpoint } from '../pipeline/faults';
import { warehouseAdapter } from '../pipeline/registry';
import { instrumentHandler } from '../telemetry/handler';
import { MetricName, recordFreshnessLag, recordTableRows } from '../telemetry/metrics';
import { publishAlert } from '../telemetry/publish';
import type { DataTestResult, LoadResult } from '../warehouse/port';

export interface LoadEvent {
  runId: string;
  runStartedAt?: string;
  /**
   * One bounded unit of work (the state machine's loop, until `more` is false); without it,
   * every pending processed run, as the CLI's loop does.
   */
  step?: boolean;
}

export interface LoadOutput {
  runId: string;
  /** Work remains (with `step`): the state machine invokes the load again. */
  more: boolean;
  loadedRuns: string[];
  factsAppended: number;
  dimensionsUpserted: number;
  /** Data tests that found offending rows (each one alerted). */
  dataTestFailures: number;
}

type Pipeline = ReturnType<typeof pipelineFromEnv>;

/** One unit of the oldest pending run; the data tests after the call that finishes the last pending run. */
async function loadStep(pipeline: Pipeline, env: NodeJS.ProcessEnv): Promise<{ loads: LoadResult[]; dataTests: DataTestResult[]; more: boolean }> {
  const warehouse = await warehouseAdapter(pipeline.warehouseKind).open(await pipeline.warehouse(), pipeline.source.model);
  try {
    await warehouse.ensureSchema();
    const step = await loadNextUnit(warehouse, pipeline.lake, pipeline.sourceName, { model: pipeline.source.model, unitRows: pipeline.unitRows, checkpoint: envCheckpoint(env) });
    const due = !step.more && step.finished !== undefined && stepChanged(step);
    const dataTests = due ? ((await warehouse.dataTests?.()) ?? []) : [];
    return { loads: step.load ? [step.load] : [], dataTests, more: step.more };
  } finally {
    await warehouse.close();
  }
}

/** Applies the processed runs not loaded yet to the warehouse: one unit, or all of them. */
export async function loadStage(
  event: LoadEvent,
  env: NodeJS.ProcessEnv = process.env,
  onTableRows?: (table: string, rows: number) => void,
): Promise<LoadOutput> {
  const pipeline = pipelineFromEnv(env);
  const { loads: results, dataTests, more } = event.step ? await loadStep(pipeline, env) : { ...(await loadPipeline(pipeline, envCheckpoint(env))), more: false };
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
    more,
    loadedRuns: [],
    factsAppended: 0,
    dimensionsUpserted: 0,
    dataTestFailures: breaches.length,
  };
  for (const result of results) {
    if (result.loaded && !output.loadedRuns.includes(result.runId)) output.loadedRuns.push(result.runId);
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
    if (event.runStartedAt && !output.more)
      recordFreshnessLag(telemetry.metrics, (Date.now() - Date.parse(event.runStartedAt)) / 1000);
    return output;
  },
  {
    // A load taken in units ends the run with its last call.
    endsRun: (out) => !out.more,
    summarize: (out) => ({
      loaded_runs: out.loadedRuns,
      facts_appended: out.factsAppended,
      dimensions_upserted: out.dimensionsUpserted,
      more: out.more,
    }),
  },
);
