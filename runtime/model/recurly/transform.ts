import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadFile } from '../../lake/files';
import { manifestKey, processedKey } from '../../lake/keys';
import { downloadVerified, reextractHint } from '../../lake/verify';
import type { ExtractManifest, ProcessedTable, TransformManifest } from '../../lake/manifest';
import type { ObjectStore } from '../../lake/port';
import { groupObjects, restrictExtract as restrict, transformEachPending, type TransformPointerBase, type TransformResult, type TransformUnitSpec, type UnitTransform } from '../pending';
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

async function buildTable(duck: Duck, lake: ObjectStore, dir: string, extract: ExtractManifest, table: RestTableModel, model: string, part: number): Promise<ProcessedTable | undefined> {
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
  const object = await uploadFile(lake, out, processedKey(model, table.table, extract.runId, part), n, 'application/vnd.apache.parquet');
  return { kind: 'table', rows: n, objects: [object] };
}

/**
 * Types the tables of one extract run (or of the part of it a unit holds) into Parquet tables
 * in the processed zone, under `part` (0 for the base unit, the unit's index for a split one).
 */
export async function transformRecurlyRun(options: RecurlyTransformOptions, extract: ExtractManifest, part = 0): Promise<TransformManifest> {
  const model = options.model ?? extract.source;
  const startedAt = new Date().toISOString();
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'tributary-recurly-'));
  const duck = await openDuck(dir);
  try {
    const tables: Record<string, ProcessedTable> = {};
    for (const table of options.tables ?? RECURLY_TABLES) {
      const out = await buildTable(duck, options.lake, dir, extract, table, model, part);
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
 * The units of one run: an endpoint whose objects make more than one group of at most
 * `unitRows` rows becomes units of whole objects (each at most `unitRows` rows, or one object);
 * the other endpoints stay in the base unit. Any set of an endpoint's objects transforms on its
 * own: each typed table reads one endpoint only, row by row, and its one dedupe (one row per
 * id + updated_at) never spans objects of a run, because the extract writes each version of a
 * run once (extractEndpoint's `seen`), so the units' rows together are the whole run's.
 */
export function planRecurlyUnits(extract: ExtractManifest, unitRows: number, tables: readonly RestTableModel[] = RECURLY_TABLES): TransformUnitSpec[] {
  const units: TransformUnitSpec[] = [];
  for (const source of new Set(tables.map((t) => t.source))) {
    const entry = extract.tables[source];
    if (!entry || entry.error) continue;
    const groups = groupObjects(entry.objects, unitRows);
    if (groups.length < 2) continue;
    groups.forEach((objects, i) => units.push({ id: `${source}-${String(i + 1).padStart(5, '0')}`, table: source, objects }));
  }
  const without = [...new Set(units.map((u) => u.table!))];
  return [{ id: 'base', ...(without.length ? { without } : {}) }, ...units];
}

/** Transforms every extract run of the source not transformed yet, oldest first, unit by unit. */
export function transformRecurlyPending(options: RecurlyTransformOptions & { unitRows?: number }): Promise<RecurlyTransformResult[]> {
  return transformEachPending<TransformPointerBase>(options.lake, options.source, recurlyUnits(options), options.unitRows ?? DEFAULTS.unitRows, options.checkpoint);
}

/**
 * The Recurly model as units: a split unit types one endpoint over only its objects, written
 * under its own part (its index in the plan), so parts never collide and a redone unit
 * overwrites its own objects; the base unit types the rest and moves the pointer.
 */
export function recurlyUnits(options: RecurlyTransformOptions): UnitTransform<TransformPointerBase> {
  const tables = options.tables ?? RECURLY_TABLES;
  return {
    planUnits: (extract, unitRows) => planRecurlyUnits(extract, unitRows, tables),
    async runUnit(extract, _pointer, unit, part) {
      if (unit.table) {
        const only = restrict(extract, (t) => (t === unit.table ? unit.objects! : 'none'));
        return { manifest: await transformRecurlyRun({ ...options, tables: tables.filter((t) => t.source === unit.table) }, only, part) };
      }
      const without = new Set(unit.without ?? []);
      const rest = restrict(extract, (t) => (without.has(t) ? 'none' : 'all'));
      return { manifest: await transformRecurlyRun({ ...options, tables: tables.filter((t) => !without.has(t.source)) }, rest), pointer: { lastRunId: extract.runId } };
    },
  };
}
