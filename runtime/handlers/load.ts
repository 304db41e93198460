import { ENV } from '../contract';
import { pipelineFromEnv } from '../pipeline/deployed';
import { UsageError } from '../config/urls';
import { loadNextUnit, stepChanged, type SubmittedStatement } from '../pipeline/load-step';
import { loadPipeline } from '../pipeline/run';
import { envCheckpoint } from '../pipeline/faults';
import { warehouseAdapter } from '../pipeline/registry';
import { instrumentHandler } from '../telemetry/handler';
import { MetricName, recordFreshnessLag, recordTableRows } from '../telemetry/metrics';
import { publishAlert } from '../telemetry/publish';
import type { DataTestResult, LoadResult } from '../warehouse/port';
import { deployedRunRecorder } from '../state/deployed-run';

export interface LoadEvent {
  runId: string;
  runStartedAt?: string;
  /**
   * One bounded unit of work (the state machine's loop, until `more` is false); without it,
   * every pending processed run, as the CLI's loop does.
   */
  step?: boolean;
  /**
   * Asynchronous warehouses (Redshift): the statement the state machine waited for since the
   * last call ('' when none) and its phase (`stage` or `apply`).
   */
  statementId?: string;
  phase?: string;
  /** The unit (or run) the statement belongs to. */
  unit?: string;
  /** Only the status of `statementId` (the state machine's poll): nothing is loaded. */
  poll?: boolean;
}

export interface LoadOutput {
  runId: string;
  /** Work remains (with `step`): the state machine invokes the load again. */
  more: boolean;
  /**
   * A warehouse statement submitted and not waited for ('' when none): the state machine polls
   * DescribeStatement until it ends, then invokes the load again with it.
   */
  statementId: string;
  phase: string;
  unit: string;
  /** With `poll`: the statement's status (FINISHED, FAILED, ABORTED, or still running). */
  status?: string;
  loadedRuns: string[];
  factsAppended: number;
  dimensionsUpserted: number;
  /** Data tests that found offending rows (each one alerted). */
  dataTestFailures: number;
}

type Pipeline = ReturnType<typeof pipelineFromEnv>;

/** One unit of the oldest pending run; the data tests after the call that finishes the last pending run. */
async function loadStep(pipeline: Pipeline, event: LoadEvent, env: NodeJS.ProcessEnv): Promise<{ loads: LoadResult[]; dataTests: DataTestResult[]; more: boolean; statement?: SubmittedStatement }> {
  const warehouse = await warehouseAdapter(pipeline.warehouseKind).open(await pipeline.warehouse(), pipeline.source.model);
  try {
    const after = afterStatement(event);
    // The schema is in place once a statement was submitted for this execution's loads.
    if (!after) await warehouse.ensureSchema();
    const step = await loadNextUnit(warehouse, pipeline.lake, pipeline.sourceName, {
      model: pipeline.source.model,
      unitRows: pipeline.unitRows,
      checkpoint: envCheckpoint(env),
      ...(warehouse.async ? { submit: { after } } : {}),
    });
    const due = !step.more && step.finished !== undefined && stepChanged(step);
    const dataTests = due ? ((await warehouse.dataTests?.()) ?? []) : [];
    return { loads: step.load ? [step.load] : [], dataTests, more: step.more, ...(step.statement ? { statement: step.statement } : {}) };
  } finally {
    await warehouse.close();
  }
}

/** The status of a statement this function's role submitted (the Data API shows a statement to the identity that ran it). */
async function pollStatement(pipeline: Pipeline, event: LoadEvent): Promise<LoadOutput> {
  if (!event.statementId) throw new UsageError('load: poll needs the statementId');
  const warehouse = await warehouseAdapter(pipeline.warehouseKind).open(await pipeline.warehouse(), pipeline.source.model);
  try {
    if (!warehouse.async) throw new UsageError(`load: a ${pipeline.warehouseKind} warehouse submits no statements to poll`);
    // A failed statement's error is raised by the next Load call (the state machine calls it on any end), through the alert path.
    const { status } = await warehouse.async.status(event.statementId);
    return { runId: event.runId, more: true, statementId: event.statementId, phase: event.phase ?? '', unit: event.unit ?? '', status, loadedRuns: [], factsAppended: 0, dimensionsUpserted: 0, dataTestFailures: 0 };
  } finally {
    await warehouse.close();
  }
}

function afterStatement(event: LoadEvent): SubmittedStatement | undefined {
  if (!event.statementId) return undefined;
  if (event.phase !== 'stage' && event.phase !== 'apply') throw new UsageError(`load: phase ${JSON.stringify(event.phase)} of statement ${event.statementId} is neither stage nor apply`);
  if (!event.unit) throw new UsageError(`load: statement ${event.statementId} names no unit`);
  return { statementId: event.statementId, phase: event.phase, unit: event.unit };
}

/** Applies the processed runs not loaded yet to the warehouse: one unit, or all of them. */
export async function loadStage(
  event: LoadEvent,
  env: NodeJS.ProcessEnv = process.env,
  onTableRows?: (table: string, rows: number) => void,
): Promise<LoadOutput> {
  const pipeline = pipelineFromEnv(env);
  if (event.poll) return pollStatement(pipeline, event);
  const { loads: results, dataTests, more, statement } = event.step ? await loadStep(pipeline, event, env) : { ...(await loadPipeline(pipeline, envCheckpoint(env))), more: false, statement: undefined };
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
    statementId: statement?.statementId ?? '',
    phase: statement?.phase ?? '',
    unit: statement?.unit ?? '',
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
    endsRun: (out) => !out.more && out.status === undefined,
    summarize: (out) => ({
      loaded_runs: out.loadedRuns,
      facts_appended: out.factsAppended,
      dimensions_upserted: out.dimensionsUpserted,
      more: out.more,
      statement_id: out.statementId,
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
