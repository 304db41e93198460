import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadFile } from '../lake/files';
import { downloadVerified, reextractHint } from '../lake/verify';
import { manifestKey, processedKey } from '../lake/keys';
import type { ExtractManifest, ProcessedTable, TransformManifest } from '../lake/manifest';
import type { ObjectStore } from '../lake/port';
import { groupObjects, restrictExtract as restrict, transformEachPending, type TransformPointerBase, type TransformResult, type TransformUnitSpec, type UnitTransform } from './pending';
import { DEFAULTS } from '../contract';
import { ISO_4217_NAMES } from './currencies';
import { gzipCsvHeader } from './csv-header';
import { duckLiteral, openDuck, type Duck } from './duckdb';
import { TOTESYS_MODELS, type ModelQuery } from './totesys/models';
import { TOTESYS_REFERENCE_TABLES, TOTESYS_SOURCE_COLUMNS } from './totesys/source-columns';

/** Where the transform is up to, and the current-state snapshots of the reference tables. */
export interface TransformPointer extends TransformPointerBase {
  current: Record<string, string>;
}

export interface TransformOptions {
  lake: ObjectStore;
  source: string;
  model?: string;
  workDir?: string;
  checkpoint?: (point: string) => Promise<void> | void;
}

export type { TransformResult };

/**
 * Memory, not DuckDB's buffer limit, is set by these: the CSV reader's buffers and the rows of
 * a Parquet row group held before it is written. At 1M orders the defaults (16 MB, 122,880 rows)
 * peak at ~360 MB RSS; 2 MB and 30,000 rows at ~180 MB, and run no slower.
 */
const CSV_BUFFER_BYTES = 2 * 1024 * 1024;
const PARQUET_OPTIONS = 'FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 30000';

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A table of at most this many rows in a unit is read from its CSV once into a DuckDB table;
 * a larger one stays a view that DuckDB streams into each query. A view re-reads (and, to
 * bind, re-opens and sniffs) the gzipped CSV for every statement naming it: the quarantine,
 * the model, the count, so the real 2024-11-15 extract's 11k-row tables were each read four
 * times. 250,000 rows of VARCHAR columns are ~60 MB in DuckDB, inside its memory limit (and
 * spilled to the unit's folder beyond it); a large table keeps the bounded memory of a stream.
 */
const MATERIALISE_ROWS = 250_000;

/**
 * `raw_<table>`: the run's raw objects, a table (small) or a view (large, see
 * MATERIALISE_ROWS). `src_<table>`: what the models read, quarantined rows left out. A run reads
 * each table in one snapshot, so an id appears once; only a table in several objects (a
 * backfill's chunks) is de-duplicated, keeping the latest version of each id.
 */
async function defineSourceViews(duck: Duck, lake: ObjectStore, manifest: ExtractManifest, dir: string): Promise<void> {
  const quarantineReasons = new Map(TOTESYS_MODELS.filter((m) => m.quarantine).map((m) => [m.quarantine!.source, m.quarantine!.reason]));
  for (const [table, columns] of Object.entries(TOTESYS_SOURCE_COLUMNS)) {
    const entry = manifest.tables[table];
    const files: string[] = [];
    for (const [i, object] of (entry && !entry.error ? entry.objects : []).entries()) {
      const path = join(dir, `${table}-${i}.csv.gz`);
      await downloadVerified(lake, object, path, manifestKey('extract', manifest.runId), reextractHint(manifest.runId));
      files.push(path);
    }
    const select = columns.map(ident).join(', ');
    if (files.length === 0) {
      await duck.run(`CREATE TABLE raw_${table} (${columns.map((c) => `${ident(c)} VARCHAR`).join(', ')})`);
    } else {
      // PostgreSQL CSV: NULL is an empty unquoted field, an empty string is "". One file whose
      // header names every column the models read is read with those columns given: DuckDB's
      // sniffer (a fixed cost per file, most of a small table's read) is skipped. Otherwise the
      // files are matched by their header names (a backfill's chunks, a column added meanwhile).
      const header = files.length === 1 ? await gzipCsvHeader(files[0]) : undefined;
      const layout =
        header && columns.every((c) => header.includes(c))
          ? `auto_detect = false, columns = {${header.map((h) => `${duckLiteral(h)}: 'VARCHAR'`).join(', ')}}`
          : 'all_varchar = true, union_by_name = true';
      const read = `SELECT ${select} FROM read_csv([${files.map(duckLiteral).join(', ')}],
         header = true, ${layout}, allow_quoted_nulls = false, delim = ',', quote = '"', escape = '"',
         buffer_size = ${CSV_BUFFER_BYTES})`;
      const dedup = files.length > 1 ? ` QUALIFY row_number() OVER (PARTITION BY ${ident(`${table}_id`)} ORDER BY CAST(last_updated AS TIMESTAMP) DESC) = 1` : '';
      const rows = entry!.objects.reduce((n, o) => n + o.rows, 0);
      await duck.run(`CREATE ${rows <= MATERIALISE_ROWS ? 'TABLE' : 'VIEW'} raw_${table} AS ${read}${dedup}`);
    }
    const reason = quarantineReasons.get(table);
    await duck.run(`CREATE VIEW src_${table} AS SELECT * FROM raw_${table}${reason ? ` WHERE (${reason}) IS NULL` : ''}`);
  }
}

async function mergeReferenceTables(
  duck: Duck,
  lake: ObjectStore,
  previous: Record<string, string>,
  dir: string,
  runId: string,
  source: string,
): Promise<Record<string, string>> {
  const current: Record<string, string> = { ...previous };
  for (const table of TOTESYS_REFERENCE_TABLES) {
    const id = `${table}_id`;
    const parts = [`SELECT *, 1 AS _newer FROM src_${table}`];
    if (previous[table]) {
      const path = join(dir, `current-${table}.parquet`);
      await lake.download(previous[table], path);
      parts.unshift(`SELECT *, 0 AS _newer FROM read_parquet(${duckLiteral(path)})`);
    }
    // This run's row wins over the stored one, even with an equal last_updated (a silent edit).
    await duck.run(
      `CREATE TABLE cur_${table} AS SELECT * EXCLUDE (_newer) FROM (${parts.join(' UNION ALL BY NAME ')})
       QUALIFY row_number() OVER (PARTITION BY ${id} ORDER BY CAST(last_updated AS TIMESTAMP) DESC, _newer DESC) = 1`,
    );
    const [{ n }] = await duck.rows<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM src_${table}`);
    if (n > 0) {
      const path = join(dir, `current-${table}-new.parquet`);
      await duck.run(`COPY cur_${table} TO ${duckLiteral(path)} (${PARQUET_OPTIONS})`);
      const key = processedKey(`${source}_current`, table, runId, 0);
      await uploadFile(lake, path, key, 0, 'application/vnd.apache.parquet');
      current[table] = key;
    }
  }
  return current;
}

async function quarantineFacts(duck: Duck, models: ModelQuery[]): Promise<Array<{ table: string; rows: number; reason: string }>> {
  const found: Array<{ table: string; rows: number; reason: string }> = [];
  for (const model of models) {
    if (!model.quarantine) continue;
    const { source, id, reason } = model.quarantine;
    await duck.run(
      `CREATE TABLE quarantine_${source} AS
         SELECT ${duckLiteral(source)} AS source_table, ${ident(id)} AS source_id, last_updated, reason, row_json
         FROM (SELECT *, ${reason} AS reason, to_json(s) AS row_json FROM raw_${source} s) WHERE reason IS NOT NULL`,
    );
    for (const row of await duck.rows<{ reason: string; n: number }>(
      `SELECT reason, count(*)::INTEGER AS n FROM quarantine_${source} GROUP BY reason ORDER BY reason`,
    )) {
      found.push({ table: source, rows: row.n, reason: row.reason });
    }
  }
  return found;
}

async function writeOutput(
  duck: Duck,
  lake: ObjectStore,
  query: string,
  dir: string,
  model: string,
  table: string,
  runId: string,
  kind: ProcessedTable['kind'],
  part = 0,
): Promise<ProcessedTable | undefined> {
  const path = join(dir, `${table}.parquet`);
  // COPY answers the rows it wrote: no second read of the file to count them.
  const n = await duck.run(`COPY (${query}) TO ${duckLiteral(path)} (${PARQUET_OPTIONS})`);
  if (n === 0) return undefined;
  const object = await uploadFile(lake, path, processedKey(model, table, runId, part), n, 'application/vnd.apache.parquet');
  return { kind, rows: n, objects: [object] };
}

/** Builds the star-schema rows of one extract run and writes them to the processed zone. */
export async function transformRun(options: TransformOptions, extract: ExtractManifest, pointer: TransformPointer | undefined): Promise<{ manifest: TransformManifest; current: Record<string, string> }> {
  const model = options.model ?? extract.source;
  const startedAt = new Date().toISOString();
  const base = { version: 1 as const, stage: 'transform' as const, runId: extract.runId, source: extract.source, model, input: `manifests/extract/${extract.runId}.json`, purpose: extract.purpose ?? 'incremental', startedAt };
  // A run that extracted nothing produces nothing: no DuckDB, no objects, the same current state.
  if (!Object.values(extract.tables).some((t) => !t.error && t.objects.length > 0)) {
    return { manifest: { ...base, finishedAt: new Date().toISOString(), tables: {}, quarantined: [] }, current: pointer?.current ?? {} };
  }
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'tributary-transform-'));
  const duck = await openDuck(dir);
  try {
    await defineSourceViews(duck, options.lake, extract, dir);
    const current = await mergeReferenceTables(duck, options.lake, pointer?.current ?? {}, dir, extract.runId, extract.source);
    await duck.run(`CREATE TABLE iso_currency (code VARCHAR, name VARCHAR)`);
    await duck.run(
      `INSERT INTO iso_currency VALUES ${Object.entries(ISO_4217_NAMES).map(([c, n]) => `(${duckLiteral(c)}, ${duckLiteral(n)})`).join(', ')}`,
    );
    const quarantined = await quarantineFacts(duck, TOTESYS_MODELS);
    const tables: Record<string, ProcessedTable> = {};
    for (const query of TOTESYS_MODELS) {
      const out = await writeOutput(duck, options.lake, query.sql, dir, model, query.table, extract.runId, query.kind);
      if (out) tables[query.table] = out;
      await options.checkpoint?.(`transform.after-object:${query.table}`);
    }
    for (const query of TOTESYS_MODELS.filter((m) => m.quarantine)) {
      const name = `quarantine_${query.quarantine!.source}`;
      const out = await writeOutput(duck, options.lake, `SELECT * FROM ${name}`, dir, model, name, extract.runId, 'quarantine');
      if (out) tables[name] = out;
    }
    const manifest: TransformManifest = {
      ...base,
      finishedAt: new Date().toISOString(),
      tables,
      quarantined,
    };
    return { manifest, current };
  } finally {
    duck.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Source tables that may be cut out of a run's base unit: every model reading them reads only
 * them (`rowLocal`), row by row, so any set of their rows transforms on its own. Their objects
 * are id-disjoint (a backfill's key-range chunks; an incremental run has one object a table).
 */
const SPLITTABLE = [...new Set(TOTESYS_MODELS.flatMap((m) => (m.rowLocal ? [m.rowLocal] : [])))];

/**
 * The units of one run: a splittable table with more than `unitRows` rows becomes units of
 * whole objects (each at most `unitRows` rows, or one object), the rest is the base unit.
 */
export function planTotesysUnits(extract: ExtractManifest, unitRows: number): TransformUnitSpec[] {
  const units: TransformUnitSpec[] = [];
  for (const table of SPLITTABLE) {
    const entry = extract.tables[table];
    if (!entry || entry.error) continue;
    const groups = groupObjects(entry.objects, unitRows);
    if (groups.length < 2) continue;
    groups.forEach((objects, i) => units.push({ id: `${table}-${String(i + 1).padStart(5, '0')}`, table, objects }));
  }
  const without = [...new Set(units.map((u) => u.table!))];
  return [{ id: 'base', ...(without.length ? { without } : {}) }, ...units];
}

/** One split unit: the models of one row-local table over some of its objects, as part `part`. */
async function transformTablePart(options: TransformOptions, extract: ExtractManifest, table: string, part: number): Promise<TransformManifest> {
  const model = options.model ?? extract.source;
  const startedAt = new Date().toISOString();
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'tributary-transform-'));
  const duck = await openDuck(dir);
  try {
    await defineSourceViews(duck, options.lake, extract, dir);
    const models = TOTESYS_MODELS.filter((m) => m.rowLocal === table);
    const quarantined = await quarantineFacts(duck, models);
    const tables: Record<string, ProcessedTable> = {};
    for (const query of models) {
      const out = await writeOutput(duck, options.lake, query.sql, dir, model, query.table, extract.runId, query.kind, part);
      if (out) tables[query.table] = out;
      await options.checkpoint?.(`transform.after-object:${query.table}`);
    }
    for (const query of models.filter((m) => m.quarantine)) {
      const name = `quarantine_${query.quarantine!.source}`;
      const out = await writeOutput(duck, options.lake, `SELECT * FROM ${name}`, dir, model, name, extract.runId, 'quarantine', part);
      if (out) tables[name] = out;
    }
    return { version: 1, stage: 'transform', runId: extract.runId, source: extract.source, model, input: `manifests/extract/${extract.runId}.json`, purpose: extract.purpose ?? 'incremental', startedAt, finishedAt: new Date().toISOString(), tables, quarantined };
  } finally {
    duck.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The totesys model as units: the base unit is the whole-run transform without the tables cut out of it. */
export function totesysUnits(options: TransformOptions): UnitTransform<TransformPointer> {
  return {
    planUnits: planTotesysUnits,
    async runUnit(extract, pointer, unit, part) {
      if (unit.table) return { manifest: await transformTablePart(options, restrict(extract, (t) => (t === unit.table ? unit.objects! : 'none')), unit.table, part) };
      const without = new Set(unit.without ?? []);
      const { manifest, current } = await transformRun(options, restrict(extract, (t) => (without.has(t) ? 'none' : 'all')), pointer);
      return { manifest, pointer: { lastRunId: extract.runId, current } };
    },
  };
}

/** Transforms every extract run of the source not transformed yet, oldest first, unit by unit. */
export function transformPending(options: TransformOptions & { unitRows?: number }): Promise<TransformResult[]> {
  return transformEachPending<TransformPointer>(options.lake, options.source, totesysUnits(options), options.unitRows ?? DEFAULTS.unitRows, options.checkpoint);
}
