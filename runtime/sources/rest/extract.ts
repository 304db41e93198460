import { newRunId, rawKey } from '../../lake/keys';
import { readManifest, type ColumnSchema, type LakeObject, type ExtractManifest, type ExtractedTable } from '../../lake/manifest';
import type { ObjectStore } from '../../lake/port';
import { commitExtract, loadTableStates, runIdAfter, type TableStates } from '../../state/extract-state';
import { redact } from '../../telemetry/redact';
import { PageShapeError, type JsonRecord, type RestApi, type RestEndpoint } from './api';
import { apiBaseUrl, JsonHttpClient, nextPageUrl, type HttpOptions } from './http';
import { JsonlGzipObject } from './jsonl-object';

/**
 * The records that carry the watermark itself. The API's lower bound is inclusive, so the next
 * run reads them again; their ids are kept so they are skipped rather than duplicated.
 */
export interface CursorBoundary {
  cursor: string;
  ids: string[];
}

/** A REST table's manifest entry: the common fields plus the boundary of its watermark. */
export interface RestExtractedTable extends ExtractedTable {
  boundary: CursorBoundary | null;
}

export interface RestExtractOptions {
  lake: ObjectStore;
  /** Source name used in lake keys and state, e.g. `recurly`. */
  source: string;
  api: RestApi;
  endpoints: readonly RestEndpoint[];
  runId?: string;
  http?: Partial<HttpOptions>;
  onProgress?: (table: string, rows: number) => void;
  /** Records per raw object (TRIBUTARY_UNIT_ROWS): a larger endpoint is written as several objects. Default: one. */
  objectRows?: number;
  checkpoint?: (point: string) => Promise<void> | void;
}

export interface RestExtractResult {
  runId: string;
  manifestKey: string;
  manifest: ExtractManifest;
  failedTables: string[];
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function cursorMs(text: string): number {
  return Date.parse(text);
}

/** Top-level fields seen in this run merged over the previous run's, so none ever disappears. */
function mergeColumns(previous: ColumnSchema[], seen: Map<string, string>): { columns: ColumnSchema[]; added: string[] } {
  const columns = previous.map((c) => ({ ...c }));
  const added: string[] = [];
  for (const [name, type] of seen) {
    const known = columns.find((c) => c.name === name);
    if (!known) {
      columns.push({ name, type });
      added.push(name);
    } else if (known.type === 'null' && type !== 'null') known.type = type;
  }
  return { columns, added };
}

/** Reads one endpoint from the watermark to the end, streaming its pages into raw objects of at most `objectRows` records. */
async function extractEndpoint(
  options: RestExtractOptions,
  http: JsonHttpClient,
  runId: string,
  endpoint: RestEndpoint,
  states: TableStates,
): Promise<RestExtractedTable> {
  const previous = states.get(endpoint.name)?.value;
  const watermark = previous?.watermark ?? null;
  const prevBoundary = previous ? ((await readManifest<ExtractManifest>(options.lake, 'extract', previous.runId))?.tables[endpoint.name] as RestExtractedTable | undefined)?.boundary ?? null : null;
  const skipIds = new Set(prevBoundary && watermark && cursorMs(prevBoundary.cursor) === cursorMs(watermark) ? prevBoundary.ids : []);
  const base: RestExtractedTable = {
    rows: 0,
    objects: [],
    watermark: { from: watermark, to: watermark },
    snapshot: null,
    columns: previous?.columns ?? [],
    boundary: prevBoundary,
  };
  const seen = new Set<string>();
  const fields = new Map<string, string>();
  let max: CursorBoundary | null = prevBoundary && skipIds.size ? { cursor: prevBoundary.cursor, ids: [...prevBoundary.ids] } : null;
  let object: JsonlGzipObject | undefined;
  const stored: LakeObject[] = [];
  const bound = options.objectRows ?? Number.POSITIVE_INFINITY;
  if (bound !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(bound) || bound < 1)) throw new Error(`records per object must be a positive whole number, got ${String(bound)}`);
  const extracted = () => stored.reduce((n, o) => n + o.rows, 0) + (object?.rows ?? 0);
  let url: string | null = options.api.firstPageUrl(endpoint, watermark);
  let page = 0;
  try {
    while (url) {
      page++;
      const where = `${options.source}.${endpoint.name}: page ${page} (GET ${url})`;
      const response = await http.getJson(url);
      if (response.body === undefined) throw new PageShapeError(`${where} is not valid JSON`);
      let parsed;
      try {
        parsed = options.api.parsePage(response.body);
      } catch (err) {
        throw new PageShapeError(`${where} has an unexpected shape: ${(err as Error).message}`);
      }
      const lines: string[] = [];
      for (const [i, record] of parsed.records.entries()) {
        const { id, cursor } = identify(record, endpoint, `${where}, record ${i}`);
        const ms = cursorMs(cursor);
        const version = `${id}\u0000${ms}`;
        if (seen.has(version)) continue;
        seen.add(version);
        if (watermark !== null && ms === cursorMs(watermark) && skipIds.has(id)) continue;
        for (const [k, v] of Object.entries(record)) if (!fields.has(k) || fields.get(k) === 'null') fields.set(k, jsonType(v));
        if (!max || ms > cursorMs(max.cursor)) max = { cursor, ids: [id] };
        else if (ms === cursorMs(max.cursor) && !max.ids.includes(id)) max.ids.push(id);
        lines.push(JSON.stringify(record));
      }
      // A page may close one object and open the next: every object but the last holds `bound` records.
      for (let at = 0; at < lines.length; ) {
        object ??= new JsonlGzipObject(options.lake, rawKey(options.source, endpoint.name, runId, stored.length, 'jsonl.gz'));
        const take = Math.min(lines.length - at, bound - object.rows);
        await object.writeLines(lines.slice(at, at + take));
        at += take;
        if (object.rows >= bound) {
          stored.push(await object.finish());
          object = undefined;
          await options.checkpoint?.(`extract.after-object:${endpoint.name}`);
        }
      }
      if (lines.length) options.onProgress?.(endpoint.name, extracted());
      const next: string | null = parsed.next === null ? null : nextPageUrl(parsed.next, apiBaseUrl(options.api.baseUrl));
      if (next === url) throw new PageShapeError(`${where}: "next" points at the same page; pagination would never end`);
      url = next;
    }
    if (object) {
      stored.push(await object.finish());
      object = undefined;
      await options.checkpoint?.(`extract.after-object:${endpoint.name}`);
    }
    if (!stored.length) return base;
    const { columns, added } = mergeColumns(previous?.columns ?? [], fields);
    return {
      ...base,
      rows: stored.reduce((n, o) => n + o.rows, 0),
      objects: stored,
      watermark: { from: watermark, to: max!.cursor },
      columns,
      boundary: max,
      ...(previous && added.length ? { drift: { added, removed: [], retyped: [] } } : {}),
    };
  } catch (err) {
    // A failed table leaves nothing: the open object is aborted, the finished ones removed.
    await object?.abort();
    for (const done of stored) await options.lake.delete(done.key).catch(() => undefined);
    const message = redact(err instanceof Error ? err.message : String(err), options.api.secrets);
    return { ...base, error: `${message}; table stopped, watermark not advanced` };
  }
}

function identify(record: JsonRecord, endpoint: RestEndpoint, where: string): { id: string; cursor: string } {
  const id = record[endpoint.idField];
  const cursor = record[endpoint.cursorField];
  if (typeof id !== 'string' && typeof id !== 'number') throw new PageShapeError(`${where} has no "${endpoint.idField}"`);
  if (typeof cursor !== 'string' || Number.isNaN(cursorMs(cursor))) {
    throw new PageShapeError(`${where} has no valid "${endpoint.cursorField}" timestamp`);
  }
  return { id: String(id), cursor };
}

/**
 * One incremental extraction of every endpoint. Pages stream into the raw zone; then the
 * manifest is written, and only then the watermarks advance (the same commit as the PostgreSQL
 * source, so a crash is recovered the same way). A table whose pages fail stops alone.
 */
export async function extractRest(options: RestExtractOptions): Promise<RestExtractResult> {
  const startedAt = new Date().toISOString();
  const states = await loadTableStates(options.lake, options.source, options.endpoints.map((e) => e.name));
  const runId = runIdAfter(states, options.runId ?? newRunId());
  const http = new JsonHttpClient(options.api.baseUrl, options.api.headers, options.http, options.api.secrets);
  const tables: Record<string, RestExtractedTable> = {};
  for (const endpoint of options.endpoints) {
    tables[endpoint.name] = await extractEndpoint(options, http, runId, endpoint, states);
  }
  const manifest: ExtractManifest = {
    version: 1,
    stage: 'extract',
    runId,
    source: options.source,
    format: 'jsonl.gz',
    startedAt,
    finishedAt: new Date().toISOString(),
    tables,
  };
  const manifestKey = await commitExtract(options.lake, manifest, states, options.checkpoint);
  const failedTables = Object.entries(tables).filter(([, t]) => t.error).map(([name]) => name);
  return { runId, manifestKey, manifest, failedTables };
}
