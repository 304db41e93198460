import { newRunId } from '../lake/keys';
import type { ObjectStore } from '../lake/port';
import { TOTESYS_STAR } from '../model/totesys/star';
import { transformPending, type TransformResult } from '../model/transform';
import { runBackfill } from '../sources/postgres/backfill';
import { extractPostgres, type ExtractResult } from '../sources/postgres/extract';
import { TOTESYS_TABLES } from '../sources/postgres/tables';
import { acquireRunLock } from '../state/run-lock';
import { startRunObserver } from '../lineage/run-observer';
import { envCheckpoint, type Checkpoint } from './faults';
import { loadIntoWarehouse } from './load-step';
import type { DataTestResult, LoadResult } from '../warehouse/port';
import { PostgresWarehouse } from '../warehouse/postgres/warehouse';

export interface PipelineRunOptions {
  sourceUrl: string;
  warehouseUrl: string;
  lake: ObjectStore;
  source?: string;
  runId?: string;
  lookback?: string;
  onStep?: (step: 'backfill' | 'extract' | 'transform' | 'load', detail?: string) => void;
  /** Tables with no watermark and more rows than this are first backfilled in key-range chunks. */
  chunkRows?: number;
  /** Chunks extracted at once during a backfill. */
  concurrency?: number;
  onProgress?: (table: string, bytes: number) => void;
  /** Called at each fault point; by default armed from TRIBUTARY_FAULT. */
  checkpoint?: Checkpoint;
}

export const DEFAULT_CHUNK_ROWS = 1_000_000;

export interface PipelineRunSummary {
  runId: string;
  /** Set when the run began by backfilling large tables in chunks. */
  backfill?: { backfillId: string; chunks: number; chunksRun: number; chunksSkipped: number };
  extract: ExtractResult;
  transforms: TransformResult[];
  loads: LoadResult[];
  timingsMs: { extract: number; transform: number; load: number; total: number };
  /** Tables that stopped (schema drift) while the others were processed. */
  failedTables: Array<{ table: string; error: string }>;
  /** Data tests run after the load; any with failures > 0 is a breach. */
  dataTests: DataTestResult[];
}

/** One extract → transform → load pass of the totesys pipeline, as the CLI runs it. */
export async function runTotesysPipeline(options: PipelineRunOptions): Promise<PipelineRunSummary> {
  const source = options.source ?? 'totesys';
  options = { ...options, checkpoint: options.checkpoint ?? envCheckpoint() };
  const runId = options.runId ?? newRunId();
  const release = await acquireRunLock(options.lake, source, runId);
  const observer = await startRunObserver({ ...options, source, runId, sourceTables: TOTESYS_TABLES.map((t) => t.name) }).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  options = { ...options, onStep: observer.onStep(options.onStep) };
  try {
    const t0 = Date.now();
    options.onStep?.('backfill');
    const backfill = await runBackfill({
      sourceUrl: options.sourceUrl,
      lake: options.lake,
      source,
      tables: TOTESYS_TABLES,
      chunkRows: options.chunkRows ?? DEFAULT_CHUNK_ROWS,
      concurrency: options.concurrency,
      checkpoint: options.checkpoint,
    });
    options.onStep?.('extract');
    const extract = await extractPostgres({
      sourceUrl: options.sourceUrl,
      lake: options.lake,
      source,
      tables: TOTESYS_TABLES,
      runId,
      lookback: options.lookback,
      onProgress: options.onProgress,
      checkpoint: options.checkpoint,
    });
    const t1 = Date.now();
    options.onStep?.('transform');
    const transforms = await transformPending({ lake: options.lake, source, checkpoint: options.checkpoint });
    const t2 = Date.now();
    options.onStep?.('load');
    const warehouse = await PostgresWarehouse.connect(options.warehouseUrl, TOTESYS_STAR);
    const { loads, dataTests } = await loadIntoWarehouse(warehouse, options.lake, source, options.checkpoint);
    const t3 = Date.now();
    const failedTables = Object.entries(extract.manifest.tables)
      .filter(([, t]) => t.error)
      .map(([table, t]) => ({ table, error: t.error! }));
    const summary: PipelineRunSummary = {
      // The extract may move the run id past the last run's (a clock that stepped back).
      runId: extract.runId,
      extract,
      transforms,
      loads,
      timingsMs: { extract: t1 - t0, transform: t2 - t1, load: t3 - t2, total: t3 - t0 },
      failedTables,
      dataTests,
      ...(backfill
        ? {
            backfill: {
              backfillId: backfill.plan.backfillId,
              chunks: backfill.plan.chunks.length,
              chunksRun: backfill.chunksRun,
              chunksSkipped: backfill.chunksSkipped,
            },
          }
        : {}),
    };
    await observer.complete(summary);
    return summary;
  } catch (err) {
    await observer.fail(err);
    throw err;
  } finally {
    await release();
  }
}
