import { DEFAULTS, SOURCE_CAPABILITIES, type WarehouseKind } from '../contract';
import { newRunId } from '../lake/keys';
import type { ObjectStore } from '../lake/port';
import { verifyPendingExtracts, type TransformResult } from '../model/pending';
import { acquireRunLock } from '../state/run-lock';
import { startRunObserver } from '../lineage/run-observer';
import { RECURLY_API_URL } from '../sources/rest/recurly';
import type { DataTestResult, LoadResult } from '../warehouse/port';
import { envCheckpoint, type Checkpoint } from './faults';
import type { BackfillSummary, ExtractOutcome, SourceBinding } from './kinds';
import { loadIntoWarehouse } from './load-step';
import { unitRowsFromEnv } from './unit-rows';
import { bindSource, warehouseAdapter, type SourceSettings, type WarehouseSettings } from './registry';

/** One pipeline: a source of any kind, the lake, a warehouse of any kind. */
export interface PipelineTargets {
  source: SourceSettings;
  warehouse: WarehouseSettings;
  lake: ObjectStore;
  /** The `<source>` of the lake keys; default the kind's dataset name (totesys, recurly). */
  sourceName?: string;
  /** Rows per unit of work of the transform and the load; default DEFAULTS.unitRows. */
  unitRows?: number;
}

export type PipelineStepName = 'check' | 'backfill' | 'extract' | 'transform' | 'load';

export interface RunPipelineOptions extends PipelineTargets {
  runId?: string;
  onStep?: (step: PipelineStepName, detail?: string) => void;
  /** Progress of the table being extracted: bytes (PostgreSQL) or records (REST). */
  onProgress?: (table: string, amount: number) => void;
  /** Called at each fault point; by default armed from TRIBUTARY_FAULT. */
  checkpoint?: Checkpoint;
  /** OpenLineage endpoint for the run's events; by default TRIBUTARY_OPENLINEAGE_URL. */
  lineageUrl?: string;
}

export interface PipelineRunSummary {
  runId: string;
  /** Set when the run began by backfilling large tables in chunks. */
  backfill?: BackfillSummary;
  extract: ExtractOutcome;
  transforms: TransformResult[];
  loads: LoadResult[];
  timingsMs: { extract: number; transform: number; load: number; total: number };
  /** Tables that stopped (schema drift) while the others were processed. */
  failedTables: Array<{ table: string; error: string }>;
  /** Data tests run after the load; any with failures > 0 is a breach. */
  dataTests: DataTestResult[];
}

/** A pipeline's parts bound to their settings: what every step (CLI run, handler, reconcile) works on. */
export interface BoundPipeline {
  sourceName: string;
  lake: ObjectStore;
  source: SourceBinding;
  warehouseKind: WarehouseKind;
  /** Rows per unit of work of the transform and the load. */
  unitRows: number;
  /** The warehouse's settings, read on first use: only load and reconcile may read its secret. */
  warehouse(): Promise<WarehouseSettings>;
}

export function bindPipeline(targets: PipelineTargets): BoundPipeline {
  return {
    sourceName: targets.sourceName ?? SOURCE_CAPABILITIES[targets.source.kind].defaultName,
    lake: targets.lake,
    source: bindSource(targets.source),
    warehouseKind: targets.warehouse.kind,
    unitRows: targets.unitRows ?? unitRowsFromEnv(process.env),
    warehouse: async () => targets.warehouse,
  };
}

/** The load step of a bound pipeline: the warehouse opened for the source's model, every pending run, unit by unit. */
export async function loadPipeline(pipeline: BoundPipeline, checkpoint?: Checkpoint): Promise<{ loads: LoadResult[]; dataTests: DataTestResult[] }> {
  const warehouse = await warehouseAdapter(pipeline.warehouseKind).open(await pipeline.warehouse(), pipeline.source.model);
  return loadIntoWarehouse(warehouse, pipeline.lake, pipeline.sourceName, { model: pipeline.source.model, unitRows: pipeline.unitRows, checkpoint });
}

/**
 * Every endpoint answers, and what the next transform will read is intact, before the run writes
 * its first object: an unreachable warehouse used to be found only after extract and transform
 * had written objects and moved watermarks, and a damaged raw object after a new empty
 * extract manifest was appended.
 */
export async function preflight(pipeline: BoundPipeline): Promise<void> {
  // The four checks are independent: asked at once, so a run waits for the slowest connection,
  // not for their sum. The error reported is the first in this order, whichever failed first.
  const checks = await Promise.allSettled([
    pipeline.lake.probe(),
    pipeline.source.check?.(),
    (async () => {
      const warehouse = await warehouseAdapter(pipeline.warehouseKind).open(await pipeline.warehouse(), pipeline.source.model);
      await warehouse.close();
    })(),
    verifyPendingExtracts(pipeline.lake, pipeline.sourceName),
  ]);
  const failed = checks.find((c): c is PromiseRejectedResult => c.status === 'rejected');
  if (failed) throw failed.reason;
}

export function failedTablesOf(extract: ExtractOutcome): Array<{ table: string; error: string }> {
  return Object.entries(extract.manifest.tables)
    .filter(([, t]) => t.error)
    .map(([table, t]) => ({ table, error: t.error! }));
}

/**
 * One backfill → extract → transform → load pass of any pipeline, under the source's run lock:
 * the CLI's `tributary run`. The deployed state machine runs the same steps one function each.
 */
export async function runPipeline(options: RunPipelineOptions): Promise<PipelineRunSummary> {
  const pipeline = bindPipeline(options);
  const { lake, sourceName: source } = pipeline;
  const checkpoint = options.checkpoint ?? envCheckpoint();
  const runId = options.runId ?? newRunId();
  options.onStep?.('check');
  await preflight(pipeline);
  const release = await acquireRunLock(lake, source, runId);
  // Run record and OpenLineage events (START now, COMPLETE or FAIL at the end), for `tributary docs`.
  const settings = options.source;
  const sourceUrl = settings.kind === 'postgres' ? settings.url : (settings.apiUrl ?? RECURLY_API_URL);
  const warehouseUrl = options.warehouse.kind === 'postgres' ? options.warehouse.url : undefined;
  const observer = await startRunObserver({ lake, source, runId, sourceTables: pipeline.source.tables, sourceUrl, warehouseUrl, lineageUrl: options.lineageUrl }).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  options = { ...options, onStep: observer.onStep(options.onStep) };
  try {
    const t0 = Date.now();
    let backfill: BackfillSummary | undefined;
    if (pipeline.source.backfill) {
      options.onStep?.('backfill');
      const settings = pipeline.source.backfillSettings;
      backfill = await pipeline.source.backfill.runAll({ lake, source, checkpoint, chunkRows: settings?.chunkRows ?? DEFAULTS.chunkRows, concurrency: settings?.concurrency });
    }
    options.onStep?.('extract');
    const extract = await pipeline.source.extract({ lake, source, runId, onProgress: options.onProgress, checkpoint, unitRows: pipeline.unitRows });
    const t1 = Date.now();
    options.onStep?.('transform');
    const transforms = await pipeline.source.transform({ lake, source, checkpoint, unitRows: pipeline.unitRows });
    const t2 = Date.now();
    options.onStep?.('load');
    const { loads, dataTests } = await loadPipeline(pipeline, checkpoint);
    const t3 = Date.now();
    const summary: PipelineRunSummary = {
      // The extract may move the run id past the last run's (a clock that stepped back).
      runId: extract.runId,
      extract,
      transforms,
      loads,
      timingsMs: { extract: t1 - t0, transform: t2 - t1, load: t3 - t2, total: t3 - t0 },
      failedTables: failedTablesOf(extract),
      dataTests,
      ...(backfill ? { backfill } : {}),
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
