import { newRunId } from '../lake/keys';
import type { ObjectStore } from '../lake/port';
import { RECURLY_MODEL, recurlyTablesFor } from '../model/recurly/tables';
import { transformRecurlyPending, type RecurlyTransformResult } from '../model/recurly/transform';
import { extractRest, type RestExtractResult } from '../sources/rest/extract';
import type { HttpOptions } from '../sources/rest/http';
import { RECURLY_API_URL, recurlyApi, recurlyEndpoints } from '../sources/rest/recurly';
import { acquireRunLock } from '../state/run-lock';
import { startRunObserver } from '../lineage/run-observer';
import { loadIntoWarehouse } from './load-step';
import type { LoadResult, Warehouse } from '../warehouse/port';
import { PostgresWarehouse } from '../warehouse/postgres/warehouse';
import type { SnowflakeConfig } from '../warehouse/snowflake/config';
import { SnowflakeWarehouse } from '../warehouse/snowflake/warehouse';

/** Where the Recurly tables land: Snowflake (the target of this pipeline) or PostgreSQL. */
export type WarehouseTarget = { kind: 'snowflake'; config: SnowflakeConfig } | { kind: 'postgres'; url: string };

export interface RecurlyPipelineOptions {
  apiKey: string;
  apiUrl?: string;
  lake: ObjectStore;
  warehouse: WarehouseTarget;
  /** Endpoints to extract; default all four (accounts, subscriptions, invoices, transactions). */
  endpoints?: string[];
  source?: string;
  runId?: string;
  http?: Partial<HttpOptions>;
  onStep?: (step: 'extract' | 'transform' | 'load', detail?: string) => void;
  onProgress?: (table: string, rows: number) => void;
  checkpoint?: (point: string) => Promise<void> | void;
}

export interface RecurlyPipelineSummary {
  runId: string;
  extract: RestExtractResult;
  transforms: RecurlyTransformResult[];
  loads: LoadResult[];
  timingsMs: { extract: number; transform: number; load: number; total: number };
  failedTables: Array<{ table: string; error: string }>;
}

export async function openWarehouse(target: WarehouseTarget): Promise<Warehouse> {
  return target.kind === 'snowflake' ? SnowflakeWarehouse.connect(target.config, RECURLY_MODEL) : PostgresWarehouse.connect(target.url, RECURLY_MODEL);
}

/** One extract → transform → load pass of the Recurly pipeline (same shape as the totesys one). */
export async function runRecurlyPipeline(options: RecurlyPipelineOptions): Promise<RecurlyPipelineSummary> {
  const source = options.source ?? 'recurly';
  const runId = options.runId ?? newRunId();
  const endpoints = recurlyEndpoints(options.endpoints);
  const release = await acquireRunLock(options.lake, source, runId);
  const warehouseUrl = options.warehouse.kind === 'postgres' ? options.warehouse.url : undefined;
  const observer = await startRunObserver({ lake: options.lake, source, runId, sourceTables: endpoints.map((e) => e.name), sourceUrl: options.apiUrl ?? RECURLY_API_URL, warehouseUrl }).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  options = { ...options, onStep: observer.onStep(options.onStep) };
  try {
    const t0 = Date.now();
    options.onStep?.('extract');
    const extract = await extractRest({
      lake: options.lake,
      source,
      api: recurlyApi(options.apiKey, options.apiUrl ?? RECURLY_API_URL),
      endpoints,
      runId,
      http: options.http,
      onProgress: options.onProgress,
      checkpoint: options.checkpoint,
    });
    const t1 = Date.now();
    options.onStep?.('transform');
    const transforms = await transformRecurlyPending({
      lake: options.lake,
      source,
      tables: recurlyTablesFor(endpoints.map((e) => e.name)),
      checkpoint: options.checkpoint,
    });
    const t2 = Date.now();
    options.onStep?.('load');
    const { loads } = await loadIntoWarehouse(await openWarehouse(options.warehouse), options.lake, source, options.checkpoint);
    const t3 = Date.now();
    const failedTables = Object.entries(extract.manifest.tables)
      .filter(([, t]) => t.error)
      .map(([table, t]) => ({ table, error: t.error! }));
    const summary = { runId, extract, transforms, loads, timingsMs: { extract: t1 - t0, transform: t2 - t1, load: t3 - t2, total: t3 - t0 }, failedTables };
    await observer.complete(summary);
    return summary;
  } catch (err) {
    await observer.fail(err);
    throw err;
  } finally {
    await release();
  }
}
