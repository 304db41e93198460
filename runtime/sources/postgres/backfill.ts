import type { Client } from 'pg';
import { parseLakeJson } from '../../lake/json';
import { newRunId, rawKey, stateKey } from '../../lake/keys';
import type { ExtractManifest, ExtractedTable, LakeObject, ColumnSchema } from '../../lake/manifest';
import type { ObjectStore } from '../../lake/port';
import { UsageError } from '../../config/urls';
import { commitExtract, loadTableStates } from '../../state/extract-state';
import { readColumns } from './catalog';
import { connectPostgres } from '../../postgres/connect';
import { copyTableToLake } from './extract';
import { quoteIdent } from './predicate';
import { queryOne } from './statement';
import type { SourceTable } from './tables';

/**
 * Initial loads and backfills of large tables, split by primary-key range into chunks that
 * run independently (a Step Functions Map state, or the CLI with bounded concurrency). Each
 * finished chunk leaves a marker, so a crash redoes at most the chunks in flight; the last
 * step writes one extract manifest holding every chunk and advances the watermarks from the
 * plan, exactly as an incremental run would.
 */
export interface BackfillChunk {
  table: string;
  index: number;
  /** Primary-key range [lo, hi). */
  lo: number;
  hi: number;
}

export interface BackfillPlan {
  backfillId: string;
  source: string;
  createdAt: string;
  /** The snapshot the plan was read in: rows it could not see are found by the next incremental run. */
  snapshot: string;
  tables: Record<string, { watermark: string | null; columns: ColumnSchema[]; rows: number }>;
  chunks: BackfillChunk[];
}

interface ChunkMarker {
  chunk: BackfillChunk;
  object: LakeObject | null;
  finishedAt: string;
}

export interface BackfillOptions {
  sourceUrl: string;
  lake: ObjectStore;
  source: string;
  tables: readonly SourceTable[];
  /** Tables with no watermark yet and more rows than this are backfilled in chunks. */
  chunkRows: number;
  concurrency?: number;
  checkpoint?: (point: string) => Promise<void> | void;
}

const ACTIVE = '_backfill';
const planKey = (source: string, id: string) => stateKey(source, `_backfill/${id}/plan`);
/** The chunk list alone, a JSON array: a Distributed Map state reads its items from it. */
export const chunksKey = (source: string, id: string) => stateKey(source, `_backfill/${id}/chunks`);
const markerKey = (source: string, id: string, chunk: BackfillChunk) => stateKey(source, `_backfill/${id}/${chunk.table}-${String(chunk.index).padStart(6, '0')}`);

/** Backfill ids are run ids (`newRunId`): they name lake keys, so nothing else is accepted. */
const BACKFILL_ID = /^\d{8}T\d{9}Z-[0-9a-z]{1,16}$/;
/** Table names of a plan name lake keys too. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A chunk as it arrives (the event, a Distributed Map item, a lake object): a table of the plan
 * and integer bounds, or a one-line error. Its bounds are pasted into a COPY, which takes no
 * parameters, so they must be numbers here and nothing else.
 */
function checkChunkShape(chunk: unknown, tables: Record<string, unknown>, where: string): BackfillChunk {
  if (!isRecord(chunk)) throw new UsageError(`${where}: a chunk must be an object {table, index, lo, hi}`);
  const { table, index, lo, hi } = chunk;
  if (typeof table !== 'string' || !Object.hasOwn(tables, table)) throw new UsageError(`${where}: chunk table is not a table of the plan`);
  for (const [name, value] of Object.entries({ index, lo, hi })) {
    if (!Number.isSafeInteger(value)) throw new UsageError(`${where}: chunk ${name} of ${table} is not an integer`);
  }
  if ((index as number) < 0 || (lo as number) >= (hi as number)) throw new UsageError(`${where}: chunk ${table}#${String(index)} has an empty or negative range`);
  return { table, index: index as number, lo: lo as number, hi: hi as number };
}

/** A plan read back from the lake, checked: every value in it later reaches SQL or a key. */
export function parsePlan(text: string, source: string): BackfillPlan {
  const where = `backfill plan of ${source}`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`${where} is not JSON`);
  }
  if (!isRecord(raw) || !isRecord(raw.tables) || !Array.isArray(raw.chunks)) throw new UsageError(`${where}: expected {backfillId, tables, chunks}`);
  if (typeof raw.backfillId !== 'string' || !BACKFILL_ID.test(raw.backfillId)) throw new UsageError(`${where}: backfillId is not a run id`);
  for (const [name, info] of Object.entries(raw.tables)) {
    const ok =
      TABLE_NAME.test(name) &&
      isRecord(info) &&
      (info.watermark === null || typeof info.watermark === 'string') &&
      Array.isArray(info.columns) &&
      info.columns.every((c) => isRecord(c) && typeof c.name === 'string' && typeof c.type === 'string');
    if (!ok) throw new UsageError(`${where}: table ${name} needs a watermark and columns`);
  }
  const tables = raw.tables;
  const chunks = raw.chunks.map((c) => checkChunkShape(c, tables, where));
  return { ...(raw as unknown as BackfillPlan), chunks };
}

/** The chunk an event names, only if the plan holds exactly that chunk. */
export function plannedChunk(plan: BackfillPlan, chunk: unknown): BackfillChunk {
  const where = `backfill ${plan.backfillId}`;
  const asked = checkChunkShape(chunk, plan.tables, where);
  const planned = plan.chunks.find((c) => c.table === asked.table && c.index === asked.index);
  if (!planned || planned.lo !== asked.lo || planned.hi !== asked.hi) throw new UsageError(`${where}: chunk ${asked.table}#${asked.index} is not a chunk of the plan`);
  return planned;
}

export async function activePlan(lake: ObjectStore, source: string): Promise<BackfillPlan | undefined> {
  const pointer = await lake.getText(stateKey(source, ACTIVE));
  if (!pointer) return undefined;
  const { backfillId } = parseLakeJson<{ backfillId: unknown }>(lake, stateKey(source, ACTIVE), pointer);
  if (typeof backfillId !== 'string' || !BACKFILL_ID.test(backfillId)) throw new UsageError(`active backfill pointer of ${source} does not hold a run id`);
  const plan = await lake.getText(planKey(source, backfillId));
  return plan ? parsePlan(plan, source) : undefined;
}

async function rangeChunks(client: Client, table: SourceTable, watermark: string, chunkRows: number, startIndex = 0): Promise<BackfillChunk[]> {
  const pk = quoteIdent(table.primaryKey);
  const res = await client.query<{ lo: string; hi: string; n: string }>(
    `SELECT min(${pk})::bigint AS lo, max(${pk})::bigint AS hi, count(*) AS n FROM ${quoteIdent(table.name)} WHERE ${quoteIdent(table.cursor)} <= $1`,
    [watermark],
  );
  const lo = Number(res.rows[0].lo);
  const hi = Number(res.rows[0].hi) + 1;
  const pieces = Math.max(1, Math.ceil(Number(res.rows[0].n) / chunkRows));
  const step = Math.ceil((hi - lo) / pieces);
  const chunks: BackfillChunk[] = [];
  for (let start = lo, i = startIndex; start < hi; start += step, i++) chunks.push({ table: table.name, index: i, lo: start, hi: Math.min(hi, start + step) });
  return chunks;
}

/** Plans a backfill of the tables that have no watermark and more rows than `chunkRows`. */
export async function planBackfill(options: BackfillOptions): Promise<BackfillPlan | undefined> {
  if (!Number.isSafeInteger(options.chunkRows) || options.chunkRows < 1) throw new UsageError(`chunk rows must be a positive integer, got ${String(options.chunkRows)}`);
  const existing = await activePlan(options.lake, options.source);
  if (existing) return existing;
  const states = await loadTableStates(options.lake, options.source, options.tables.map((t) => t.name));
  const client = await connectPostgres(options.sourceUrl, 'source');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ s: string }>('SELECT txid_current_snapshot()::text AS s')).rows[0].s;
    const columns = await readColumns(client, options.tables.map((t) => t.name));
    const plan: BackfillPlan = { backfillId: newRunId(), source: options.source, createdAt: new Date().toISOString(), snapshot, tables: {}, chunks: [] };
    for (const table of options.tables) {
      if (states.get(table.name) || !columns.has(table.name)) continue;
      const from = quoteIdent(table.name);
      const stats = await queryOne<{ n: string; wm: string | null }>(client, `SELECT count(*) AS n, max(${quoteIdent(table.cursor)})::text AS wm FROM ${from}`);
      const rows = Number(stats.rows[0].n);
      if (rows <= options.chunkRows || stats.rows[0].wm === null) continue;
      plan.tables[table.name] = { watermark: stats.rows[0].wm, columns: columns.get(table.name)!, rows };
      plan.chunks.push(...(await rangeChunks(client, table, stats.rows[0].wm, options.chunkRows)));
    }
    await client.query('COMMIT');
    if (plan.chunks.length === 0) return undefined;
    await options.lake.put(chunksKey(options.source, plan.backfillId), JSON.stringify(plan.chunks));
    await options.lake.put(planKey(options.source, plan.backfillId), JSON.stringify(plan, null, 2));
    // The pointer is written last and conditionally: two planners cannot both start a backfill.
    if (!(await options.lake.putIfAbsent(stateKey(options.source, ACTIVE), JSON.stringify({ backfillId: plan.backfillId })))) {
      return activePlan(options.lake, options.source);
    }
    return plan;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Extracts one chunk unless its marker says it is done; safe to run again after a crash. */
export async function runBackfillChunk(
  options: Pick<BackfillOptions, 'sourceUrl' | 'lake' | 'tables' | 'checkpoint'>,
  plan: BackfillPlan,
  requested: unknown,
): Promise<{ skipped: boolean; rows: number }> {
  const chunk = plannedChunk(plan, requested);
  const marker = markerKey(plan.source, plan.backfillId, chunk);
  const done = await options.lake.getText(marker);
  if (done) return { skipped: true, rows: parseLakeJson<ChunkMarker>(options.lake, marker, done).object?.rows ?? 0 };
  const table = options.tables.find((t) => t.name === chunk.table);
  const info = plan.tables[chunk.table];
  if (!table || !info) throw new Error(`backfill ${plan.backfillId}: chunk of unknown table ${chunk.table}`);
  const client = await connectPostgres(options.sourceUrl, 'source');
  let object: LakeObject | null = null;
  try {
    const pk = quoteIdent(table.primaryKey);
    // COPY takes no parameters: the bounds are integers (checked above), the watermark a literal.
    const where = `${pk} >= ${String(chunk.lo)} AND ${pk} < ${String(chunk.hi)} AND ${quoteIdent(table.cursor)} <= ${client.escapeLiteral(info.watermark!)}`;
    const from = quoteIdent(table.name);
    // The same filter is first run alone over the extended protocol, which refuses a second statement.
    const any = await queryOne(client, `SELECT 1 FROM ${from} WHERE ${where} LIMIT 1`);
    if (any.rowCount) {
      const select = `SELECT ${info.columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${from} WHERE ${where}`;
      object = await copyTableToLake(
        client,
        `COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`,
        options.lake,
        rawKey(plan.source, chunk.table, plan.backfillId, chunk.index, 'csv.gz'),
        () => undefined,
        () => undefined,
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  await options.lake.put(marker, JSON.stringify({ chunk, object, finishedAt: new Date().toISOString() } satisfies ChunkMarker));
  await options.checkpoint?.(`backfill.after-chunk:${chunk.table}:${chunk.index}`);
  return { skipped: false, rows: object?.rows ?? 0 };
}

/** Writes the backfill's extract manifest from the chunk markers and advances the watermarks. */
export async function finishBackfill(lake: ObjectStore, plan: BackfillPlan, tables: readonly SourceTable[]): Promise<ExtractManifest> {
  const entries: Record<string, ExtractedTable> = {};
  const missing: string[] = [];
  for (const chunk of plan.chunks) {
    const key = markerKey(plan.source, plan.backfillId, chunk);
    const text = await lake.getText(key);
    if (!text) {
      missing.push(`${chunk.table}#${chunk.index}`);
      continue;
    }
    const marker = parseLakeJson<ChunkMarker>(lake, key, text);
    const info = plan.tables[chunk.table];
    const entry = (entries[chunk.table] ??= { rows: 0, objects: [], watermark: { from: null, to: info.watermark }, snapshot: plan.snapshot, columns: info.columns });
    if (marker.object) {
      entry.rows += marker.object.rows;
      entry.objects.push(marker.object);
    }
  }
  if (missing.length) throw new Error(`backfill ${plan.backfillId} is not finished: chunks ${missing.join(', ')} are still to run`);
  const states = await loadTableStates(lake, plan.source, tables.map((t) => t.name));
  const manifest: ExtractManifest = {
    version: 1,
    stage: 'extract',
    // Named at finish, so the manifest sorts after every run the transform has already seen.
    runId: newRunId(),
    source: plan.source,
    format: 'csv.gz',
    purpose: 'incremental',
    startedAt: plan.createdAt,
    finishedAt: new Date().toISOString(),
    tables: entries,
  };
  await commitExtract(lake, manifest, states);
  await lake.delete(stateKey(plan.source, ACTIVE));
  return manifest;
}

/** Plans, runs every chunk with bounded concurrency, and finishes; resumes an unfinished plan. */
export async function runBackfill(options: BackfillOptions): Promise<{ plan: BackfillPlan; chunksRun: number; chunksSkipped: number } | undefined> {
  const plan = await planBackfill(options);
  if (!plan) return undefined;
  const queue = [...plan.chunks];
  let chunksRun = 0;
  let chunksSkipped = 0;
  const worker = async () => {
    for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
      const result = await runBackfillChunk(options, plan, chunk);
      if (result.skipped) chunksSkipped++;
      else chunksRun++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  await finishBackfill(options.lake, plan, options.tables);
  return { plan, chunksRun, chunksSkipped };
}
