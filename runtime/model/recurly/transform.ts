import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadFile } from '../../lake/files';
import { manifestKey, processedKey } from '../../lake/keys';
import { downloadVerified, reextractHint } from '../../lake/verify';
import type { ExtractManifest, ProcessedTable, TransformManifest } from '../../lake/manifest';
import type { ObjectStore } from '../../lake/port';
import { transformEachPending, type TransformPointerBase, type TransformResult, type UnitTransform } from '../pending';
import { DEFAULTS } from '../../contract';
import { DUCK_TYPES, duckLiteral, openDuck, type Duck } from '../duckdb';
import { RECURLY_TABLES, type RestColumn, type RestTableModel } from './tables';

export interface RecurlyTransformOptions {
  lake: ObjectStore;
  source: string;
  model?: string;
  tables?: RestTableModel[];
  workDir?: string;
  checkpoint?: (point: string) => Promise<void> | void;
}

export type RecurlyTransformResult = TransformResult;


function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The SQL that reads one typed column out of a record (`json`), failing loudly on a bad value. */
export function columnExpression(column: RestColumn): string {
  if (column.path === '$') return `CAST(json AS VARCHAR)`;
  const text = `(json ->> ${duckLiteral(column.path)})`;
  // Recurly timestamps carry an offset (`…Z`); stored as UTC wall-clock time.
  if (column.type === 'timestamp') return `(CAST(${text} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')`;
  if (column.type === 'varchar') return text;
  return `CAST(${text} AS ${DUCK_TYPES[column.type]})`;
}

/** The model as SQL: typed columns, one row per id + updated_at, the last one read wins. */
export function tableQuery(table: RestTableModel, files: string[]): string {
  const select = table.columns.map((c) => `${columnExpression(c)} AS ${ident(c.name)}`).join(',\n       ');
  return `SELECT ${table.columns.map((c) => ident(c.name)).join(', ')} FROM (
  SELECT ${select}, filename AS _file, ordinality AS _line
  FROM read_ndjson_objects([${files.map(duckLiteral).join(', ')}], filename = true) WITH ORDINALITY
)
QUALIFY row_number() OVER (PARTITION BY "id", "updated_at" ORDER BY _file DESC, _line DESC) = 1`;
}

/**
 * The first record a typed column cannot be read from, as its lake object and line: what a
 * failed transform reports instead of DuckDB's message, which quotes the record's value.
 */
async function locateBadValue(duck: Duck, table: RestTableModel, files: string[], keys: string[]): Promise<string | undefined> {
  for (const column of table.columns) {
    if (column.path === '$' || column.type === 'varchar') continue;
    const text = `(json ->> ${duckLiteral(column.path)})`;
    const target = column.type === 'timestamp' ? 'TIMESTAMPTZ' : DUCK_TYPES[column.type];
    const [bad] = await duck.rows<{ file: string; line: number }>(
      `SELECT file, line FROM (
         SELECT filename AS file, json, CAST(row_number() OVER (PARTITION BY filename ORDER BY ordinality) AS INTEGER) AS line
         FROM read_ndjson_objects([${files.map(duckLiteral).join(', ')}], filename = true) WITH ORDINALITY)
        WHERE ${text} IS NOT NULL AND TRY_CAST(${text} AS ${target}) IS NULL ORDER BY file, line LIMIT 1`,
    );
    if (bad) return `column ${column.name} of ${keys[files.indexOf(bad.file)] ?? bad.file} line ${bad.line} is not a valid ${target}`;
  }
  return undefined;
}

async function buildTable(duck: Duck, lake: ObjectStore, dir: string, extract: ExtractManifest, table: RestTableModel, model: string): Promise<ProcessedTable | undefined> {
  const entry = extract.tables[table.source];
  if (!entry || entry.error || entry.objects.length === 0) return undefined;
  const files: string[] = [];
  for (const [i, object] of entry.objects.entries()) {
    const path = join(dir, `${table.source}-${String(i).padStart(6, '0')}.jsonl.gz`);
    await downloadVerified(lake, object, path, manifestKey('extract', extract.runId), reextractHint(extract.runId));
    files.push(path);
  }
  const out = join(dir, `${table.table}.parquet`);
  try {
    await duck.run(`COPY (${tableQuery(table, files)}) TO ${duckLiteral(out)} (FORMAT parquet, COMPRESSION zstd)`);
  } catch (err) {
    const where = await locateBadValue(duck, table, files, entry.objects.map((o) => o.key)).catch(() => undefined);
    throw new Error(`transform ${model}.${table.table} (run ${extract.runId}): ${where ?? (err as Error).message}`);
  }
  const [{ n }] = await duck.rows<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM read_parquet(${duckLiteral(out)})`);
  const object = await uploadFile(lake, out, processedKey(model, table.table, extract.runId, 0), n, 'application/vnd.apache.parquet');
  return { kind: 'table', rows: n, objects: [object] };
}

/** Types one extract run's raw JSON Lines into Parquet tables in the processed zone. */
export async function transformRecurlyRun(options: RecurlyTransformOptions, extract: ExtractManifest): Promise<TransformManifest> {
  const model = options.model ?? extract.source;
  const startedAt = new Date().toISOString();
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'tributary-recurly-'));
  const duck = await openDuck(dir);
  try {
    const tables: Record<string, ProcessedTable> = {};
    for (const table of options.tables ?? RECURLY_TABLES) {
      const out = await buildTable(duck, options.lake, dir, extract, table, model);
      if (out) tables[table.table] = out;
      await options.checkpoint?.(`transform.after-object:${table.table}`);
    }
    return {
      version: 1,
      stage: 'transform',
      runId: extract.runId,
      source: extract.source,
      model,
      input: `manifests/extract/${extract.runId}.json`,
      startedAt,
      finishedAt: new Date().toISOString(),
      tables,
      quarantined: [],
    };
  } finally {
    duck.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Transforms every extract run of the source not transformed yet, oldest first. A Recurly run
 * is one unit (its endpoints are paged into objects by the extract; NOT cut further yet).
 */
export function transformRecurlyPending(options: RecurlyTransformOptions): Promise<RecurlyTransformResult[]> {
  return transformEachPending<TransformPointerBase>(options.lake, options.source, recurlyUnits(options), DEFAULTS.unitRows, options.checkpoint);
}

export function recurlyUnits(options: RecurlyTransformOptions): UnitTransform<TransformPointerBase> {
  return { runUnit: async (extract) => ({ manifest: await transformRecurlyRun(options, extract), pointer: { lastRunId: extract.runId } }) };
}
