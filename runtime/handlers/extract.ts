import { ENV } from '../contract';
import { pipelineFromEnv } from '../pipeline/deployed';
import { envCheckpoint } from '../pipeline/faults';
import { publishAlert } from '../telemetry/publish';
import { instrumentHandler } from '../telemetry/handler';
import { MetricName, recordTableRows } from '../telemetry/metrics';
import { deployedRunRecorder } from '../state/deployed-run';
import type { ExtractManifest } from '../lake/manifest';

export interface ExtractEvent {
  runId?: string;
}

export interface ExtractOutput {
  runId: string;
  runStartedAt: string;
  manifestKey: string;
  tables: number;
  rows: number;
  failedTables: string[];
}

/**
 * The alert's checks for the tables this run stopped. Named for what happened to the table, not
 * why: a PostgreSQL table stops on schema drift or a missing cursor column, a REST endpoint on a
 * page it could not read; the source's own message (the detail) says which.
 */
export function stoppedTableChecks(manifest: ExtractManifest): Array<{ name: string; table: string; passed: false; detail: string }> {
  return Object.entries(manifest.tables)
    .filter(([, t]) => t.error)
    .map(([table, t]) => ({ name: 'table stopped, watermark kept', table, passed: false as const, detail: t.error! }));
}

/** One extraction of the source into the raw zone; the state machine passes the output on. */
export async function extractStage(
  event: ExtractEvent,
  env: NodeJS.ProcessEnv = process.env,
  onTableRows?: (table: string, rows: number) => void,
): Promise<ExtractOutput> {
  const pipeline = pipelineFromEnv(env);
  const runStartedAt = new Date().toISOString();
  const result = await pipeline.source.extract({ lake: pipeline.lake, source: pipeline.sourceName, runId: event.runId, checkpoint: envCheckpoint(env), unitRows: pipeline.unitRows });
  const stopped = Object.entries(result.manifest.tables).filter(([, t]) => t.error);
  if (stopped.length) {
    await publishAlert(
      {
        kind: 'data-quality',
        pipeline: pipeline.pipeline,
        environment: env[ENV.environment] ?? 'unknown',
        runId: result.runId,
        checks: stoppedTableChecks(result.manifest),
      },
      env,
    );
  }
  const tables = Object.values(result.manifest.tables);
  for (const [table, entry] of Object.entries(result.manifest.tables)) onTableRows?.(table, entry.rows);
  return {
    runId: result.runId,
    runStartedAt,
    manifestKey: result.manifestKey,
    tables: tables.filter((t) => t.rows > 0).length,
    rows: tables.reduce((sum, t) => sum + t.rows, 0),
    failedTables: result.failedTables,
  };
}

export const handler = instrumentHandler<ExtractEvent, ExtractOutput>('extract', async (event, telemetry) => {
  const output = await extractStage(event, process.env, (table, rows) => recordTableRows(telemetry.metrics, MetricName.RowsExtracted, table, rows));
  telemetry.setRunId(output.runId);
  return output;
}, {
  summarize: (out) => ({ rows: out.rows, tables: out.tables, failed_tables: out.failedTables }),
  runRecord: {
    recorder: deployedRunRecorder(),
    report: (out) => ({ runStartedAt: out.runStartedAt, rowsExtracted: out.rows, problems: out.failedTables.map((t) => `table stopped: ${t}`) }),
  },
});

