import type { Client } from 'pg';
import { DEFAULTS } from '../contract';
import { UsageError } from '../config/urls';
import { newRunId } from '../lake/keys';
import type { ReconcileSpec } from '../model/reconcile-spec';
import { acquireRunLock } from '../state/run-lock';
import type { LoadResult } from '../warehouse/port';
import { warehouseAdapter } from './registry';
import { bindPipeline, loadPipeline, type BoundPipeline, type PipelineTargets } from './run';

export interface TableDifference {
  table: string;
  sourceRows: number;
  warehouseRows: number;
  chunks: number;
  differingChunks: number;
  /** Ids whose values differ between source and warehouse. */
  changed: number[];
  /** Ids in the source the warehouse does not hold. */
  missing: number[];
  /** Ids the warehouse holds that the source no longer has (reported, never deleted). */
  extra: number[];
}

export interface ReconcileOptions extends PipelineTargets {
  /** Re-read and reload the differing rows (default) or only report them. */
  repair?: boolean;
  chunkSize?: number;
}

export interface ReconcileReport {
  runId?: string;
  tables: TableDifference[];
  repaired: LoadResult[];
}

type ChunkHashes = Map<number, string>;

async function chunkHashes(client: Client, from: string, chunkSize: number): Promise<{ rows: number; chunks: ChunkHashes }> {
  const res = await client.query<{ chunk: string; n: string; h: string }>(
    `SELECT (id / $1)::bigint AS chunk, count(*) AS n, md5(string_agg(id::text || ':' || md5(row), ',' ORDER BY id)) AS h FROM ${from} GROUP BY 1`,
    [chunkSize],
  );
  const chunks: ChunkHashes = new Map();
  let rows = 0;
  for (const r of res.rows) {
    chunks.set(Number(r.chunk), `${r.n}:${r.h}`);
    rows += Number(r.n);
  }
  return { rows, chunks };
}

async function rowHashes(client: Client, from: string, chunkSize: number, chunks: number[]): Promise<Map<number, string>> {
  const res = await client.query<{ id: number; h: string }>(`SELECT id, md5(row) AS h FROM ${from} WHERE (id / $1)::bigint = ANY($2::bigint[])`, [chunkSize, chunks]);
  return new Map(res.rows.map((r) => [Number(r.id), r.h]));
}

/** Compares one table: chunk hashes first, then rows of the chunks that differ. */
export async function compareTable(source: Client, warehouse: Client, spec: ReconcileSpec, chunkSize: number): Promise<TableDifference> {
  const [src, wh] = await Promise.all([chunkHashes(source, spec.source, chunkSize), chunkHashes(warehouse, spec.warehouse, chunkSize)]);
  const allChunks = new Set([...src.chunks.keys(), ...wh.chunks.keys()]);
  const differing = [...allChunks].filter((c) => src.chunks.get(c) !== wh.chunks.get(c)).sort((a, b) => a - b);
  const diff: TableDifference = { table: spec.table, sourceRows: src.rows, warehouseRows: wh.rows, chunks: allChunks.size, differingChunks: differing.length, changed: [], missing: [], extra: [] };
  if (differing.length === 0) return diff;
  const [srcRows, whRows] = await Promise.all([rowHashes(source, spec.source, chunkSize, differing), rowHashes(warehouse, spec.warehouse, chunkSize, differing)]);
  for (const [id, h] of srcRows) {
    const other = whRows.get(id);
    if (other === undefined) diff.missing.push(id);
    else if (other !== h) diff.changed.push(id);
  }
  for (const id of whRows.keys()) if (!srcRows.has(id)) diff.extra.push(id);
  for (const list of [diff.changed, diff.missing, diff.extra]) list.sort((a, b) => a - b);
  return diff;
}

/**
 * Compares every source table with what the warehouse holds and repairs rows that changed
 * without their `last_updated` changing: they are re-read by id into the raw zone as a
 * reconcile run, transformed by the same models, and loaded correcting the stored version.
 * The source kind provides the comparisons; the warehouse kind a SQL connection.
 */
export async function reconcilePipeline(pipeline: BoundPipeline, options: Omit<ReconcileOptions, keyof PipelineTargets> = {}): Promise<ReconcileReport> {
  const support = pipeline.source.reconcile;
  const warehouseKind = warehouseAdapter(pipeline.warehouseKind);
  if (!support || !warehouseKind.sqlConnection) {
    throw new UsageError(`reconcile: not supported for a ${pipeline.source.kind} source with a ${pipeline.warehouseKind} warehouse`);
  }
  const { lake, sourceName } = pipeline;
  const chunkSize = options.chunkSize ?? DEFAULTS.reconcileChunkSize;
  const settings = await pipeline.warehouse();
  // The schema first, so a warehouse that never loaded compares as empty rather than failing.
  const schema = await warehouseKind.open(settings, pipeline.source.model);
  try {
    await schema.ensureSchema();
  } finally {
    await schema.close();
  }
  const source = await support.connect();
  const warehouse = await warehouseKind.sqlConnection(settings).catch(async (err: unknown) => {
    await source.end().catch(() => undefined);
    throw err;
  });
  const tables: TableDifference[] = [];
  const only: Record<string, number[]> = {};
  try {
    for (const spec of support.specs) {
      const diff = await compareTable(source, warehouse, spec, chunkSize);
      tables.push(diff);
      const ids = [...diff.changed, ...diff.missing];
      if (ids.length === 0) continue;
      only[spec.table] = [...(only[spec.table] ?? []), ...ids];
      for (const rel of spec.related ?? []) {
        const res = await source.query<{ id: number }>(rel.idsFrom, [ids]);
        only[rel.table] = [...(only[rel.table] ?? []), ...res.rows.map((r) => Number(r.id))];
      }
    }
  } finally {
    await source.end().catch(() => undefined);
    await warehouse.end().catch(() => undefined);
  }
  if (options.repair === false || Object.keys(only).length === 0) return { tables, repaired: [] };
  const runId = newRunId();
  const release = await acquireRunLock(lake, sourceName, runId);
  try {
    await pipeline.source.extract({ lake, source: sourceName, runId, only });
    await pipeline.source.transform({ lake, source: sourceName });
    const { loads } = await loadPipeline(pipeline);
    return { runId, tables, repaired: loads };
  } finally {
    await release();
  }
}

/** Reconciles the pipeline these settings describe (the CLI and tests). */
export function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  return reconcilePipeline(bindPipeline(options), options);
}
