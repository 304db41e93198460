import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { factReferences, type DimensionTable, type FactTable, type StarModel } from '../../model/star';
import { pgType, typedLiteral } from './ddl';
import type { TableLoad } from '../port';

function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function stageName(table: string): string {
  return `stage_${table}`;
}

export async function createStage(client: Client, table: DimensionTable | FactTable): Promise<void> {
  const cols = table.columns.map((c) => `${q(c.name)} ${pgType(c.type)}`).join(', ');
  await client.query(`CREATE TEMP TABLE ${stageName(table.name)} (${cols}) ON COMMIT DROP`);
}

export async function copyIntoStage(client: Client, table: string, csvPath: string, columns: string[]): Promise<number> {
  return copyInto(client, stageName(table), csvPath, columns);
}

/**
 * Below this many rows a relation the load just filled is not analyzed: the planner already
 * sizes a never-analyzed table from its pages, and any plan over so few rows is quick, while
 * ANALYZE costs a fixed few tens of milliseconds per table (a quarter of a small first load's
 * load step, and of an incremental run's).
 */
export const ANALYZE_FROM_ROWS = 100_000;

/**
 * COPY of a CSV file into `relation` (a stage, or a target the initial load fills directly),
 * then ANALYZE when it holds many rows: temp tables are never auto-analyzed, and a target
 * filled in this transaction has no statistics yet; without them the planner guesses value
 * distributions when joining large batches with dimensions.
 */
export async function copyInto(client: Client, relation: string, csvPath: string, columns: string[], analyze = true): Promise<number> {
  const sql = `COPY ${q(relation)} (${columns.map(q).join(', ')}) FROM STDIN WITH (FORMAT csv, HEADER true)`;
  const stream = client.query(copyFrom(sql));
  await pipeline(createReadStream(csvPath), stream);
  const rows = stream.rowCount ?? 0;
  if (analyze && rows >= ANALYZE_FROM_ROWS) await client.query(`ANALYZE ${q(relation)}`);
  return rows;
}

/**
 * The distinct non-null values of a batch's column, as `k`: anti-joins probe each key once, not
 * once per fact row (a few hundred dates instead of millions of rows). The batch is the stage,
 * or the fact table itself when the initial load copied straight into it (it holds only the batch).
 */
function distinctKeys(relation: string, column: string): string {
  return `SELECT DISTINCT ${q(column)} AS k FROM ${q(relation)} WHERE ${q(column)} IS NOT NULL`;
}

/**
 * `keys_<fact>`: the distinct non-null values of every reference column of a fact's batch, in
 * one scan of the batch (hashed grouping sets) instead of one per reference per statement: the
 * inferred members, the calendar rows and the reference check each read this instead of the
 * batch (at 1M orders, 19 scans of the staged facts became 3). A row holds one column's value,
 * the other columns NULL. Returns the relation to pass as their `batch`.
 */
export async function collectReferenceKeys(client: Client, model: StarModel, fact: FactTable, batch = stageName(fact.name)): Promise<string> {
  const columns = [...new Set(factReferences(model, fact).map((r) => r.column))].map(q);
  const keys = `keys_${fact.name}`;
  if (columns.length === 0) return batch;
  const created = await client.query(
    `CREATE TEMP TABLE ${q(keys)} ON COMMIT DROP AS
     SELECT ${columns.join(', ')} FROM ${q(batch)} GROUP BY GROUPING SETS (${columns.map((c) => `(${c})`).join(', ')})`,
  );
  if ((created.rowCount ?? ANALYZE_FROM_ROWS) >= ANALYZE_FROM_ROWS) await client.query(`ANALYZE ${q(keys)}`);
  return keys;
}

/** Each reference column's least and greatest value in a batch, as SQL literals of its type. */
export type KeyBounds = Map<string, { least: string; greatest: string }>;

/**
 * The least and greatest value of every reference column of a fact's batch, in one statement.
 * The anti-joins against a dimension read only the dimension's key range between them (through
 * its primary key): a unit of a backfill references a narrow range of a large dimension, so its
 * probe costs what the unit holds, not what the dimension has grown to.
 */
export async function referenceBounds(client: Client, model: StarModel, fact: FactTable, batch = stageName(fact.name)): Promise<KeyBounds> {
  const refs = factReferences(model, fact);
  const columns = [...new Set(refs.map((r) => r.column))];
  const bounds: KeyBounds = new Map();
  if (columns.length === 0) return bounds;
  const res = await client.query<Record<string, string | null>>(
    `SELECT ${columns.map((c, i) => `min(${q(c)})::text AS l${i}, max(${q(c)})::text AS g${i}`).join(', ')} FROM ${q(batch)}`,
  );
  const row = res.rows[0];
  columns.forEach((column, i) => {
    const least = row[`l${i}`];
    const greatest = row[`g${i}`];
    const type = fact.columns.find((c) => c.name === column)?.type;
    if (least !== null && greatest !== null) bounds.set(column, { least: typedLiteral(least, type), greatest: typedLiteral(greatest, type) });
  });
  return bounds;
}

/** The dimension rows a batch's column can reference: the key range its values span, or none. */
function dimensionRange(dimension: string, key: string, column: string, bounds?: KeyBounds): string {
  const range = bounds?.get(column);
  if (!bounds) return q(dimension);
  if (!range) return `(SELECT * FROM ${q(dimension)} WHERE false)`;
  return `(SELECT * FROM ${q(dimension)} WHERE ${q(key)} BETWEEN ${range.least} AND ${range.greatest})`;
}

/**
 * Type-1 upsert: inserts new ids, updates ids whose values differ, leaves equal rows alone. The
 * transform emits one row per id; a duplicate would make PostgreSQL refuse the statement
 * ("cannot affect row a second time") rather than pick one silently.
 */
export async function upsertDimension(client: Client, dim: DimensionTable): Promise<number> {
  const cols = dim.columns.map((c) => q(c.name));
  const nonKey = dim.columns.filter((c) => c.name !== dim.key).map((c) => q(c.name));
  const set = nonKey.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  const changed = `(${nonKey.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${nonKey.map((c) => `EXCLUDED.${c}`).join(', ')})`;
  const res = await client.query(
    `INSERT INTO ${q(dim.name)} AS t (${cols.join(', ')})
     SELECT ${cols.join(', ')} FROM ${stageName(dim.name)}
     ON CONFLICT (${q(dim.key)}) DO UPDATE SET ${set} WHERE ${changed}`,
  );
  return res.rowCount ?? 0;
}

/**
 * Facts may arrive before the dimension row they reference. Rather than drop the fact or break
 * the foreign key, an inferred member holding 'Unknown' is inserted; the dimension's real row
 * overwrites it when it is extracted.
 */
export async function insertInferredMembers(client: Client, model: StarModel, fact: FactTable, batch = stageName(fact.name), bounds?: KeyBounds): Promise<number> {
  let inserted = 0;
  for (const fk of fact.foreignKeys) {
    const dim = model.dimensions.find((d) => d.name === fk.references);
    if (!dim) throw new Error(`model ${model.name}: ${fact.name}.${fk.column} references unknown ${fk.references}`);
    const values = dim.columns.map((c) => {
      if (c.name === dim.key) return 's.k';
      // Untyped literals would resolve as text; every placeholder carries its column's type.
      const type = pgType(c.type);
      if (dim.unknown?.[c.name]) return `'${dim.unknown[c.name]}'::${type}`;
      return !c.nullable && c.type === 'varchar' ? `'Unknown'::${type}` : `NULL::${type}`;
    });
    const res = await client.query(
      `INSERT INTO ${q(dim.name)} (${dim.columns.map((c) => q(c.name)).join(', ')})
       SELECT ${values.join(', ')} FROM (${distinctKeys(batch, fk.column)}) s
       WHERE NOT EXISTS (SELECT 1 FROM ${dimensionRange(dim.name, dim.key, fk.column, bounds)} d WHERE d.${q(dim.key)} = s.k)
       ON CONFLICT DO NOTHING`,
    );
    inserted += res.rowCount ?? 0;
  }
  return inserted;
}

/**
 * Adds a row of the model's calendar dimension for every date any staged fact references.
 * `batchOf` names where a fact's batch is (its stage unless the initial load filled the table).
 */
export async function addReferencedDates(client: Client, model: StarModel, facts: FactTable[], batchOf: (fact: FactTable) => string = (f) => stageName(f.name)): Promise<number> {
  const dates = model.dates;
  if (!dates) return 0;
  const sources = facts.flatMap((f) => f.dateColumns.map((c) => `SELECT k AS d FROM (${distinctKeys(batchOf(f), c)}) x`));
  if (sources.length === 0) return 0;
  const res = await client.query(
    `INSERT INTO ${q(dates.name)} (date_id, year, month, day, day_of_week, day_name, month_name, quarter)
     SELECT d, extract(year FROM d)::int, extract(month FROM d)::int, extract(day FROM d)::int,
            extract(isodow FROM d)::int, to_char(d, 'FMDay'), to_char(d, 'FMMonth'), extract(quarter FROM d)::int
     FROM (${sources.join(' UNION ')}) dates
     WHERE d IS NOT NULL
     ON CONFLICT (date_id) DO NOTHING`,
  );
  return res.rowCount ?? 0;
}

/**
 * Appends each staged source version once; a version already loaded is skipped by its key.
 * A reconcile run instead corrects the stored version in place: the source changed the row
 * without changing `last_updated`, so it is the same version with other values.
 */
export async function appendFacts(client: Client, fact: FactTable, correct = false): Promise<number> {
  const cols = fact.columns.map((c) => q(c.name));
  const key = fact.versionKey.map(q).join(', ');
  const others = cols.filter((c) => !fact.versionKey.map(q).includes(c));
  const onConflict = correct
    ? `DO UPDATE SET ${others.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
       WHERE (${others.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${others.map((c) => `EXCLUDED.${c}`).join(', ')})`
    : 'DO NOTHING';
  const res = await client.query(
    `INSERT INTO ${q(fact.name)} AS t (${cols.join(', ')})
     SELECT ${cols.join(', ')} FROM ${stageName(fact.name)}
     ORDER BY ${key}
     ON CONFLICT (${key}) ${onConflict}`,
  );
  return res.rowCount ?? 0;
}

export type { TableLoad };

/**
 * The fact foreign keys, checked set-based on the staged batch: one anti-join per reference.
 * Inferred members and dim_date rows were added just before, so any hit is a bug; the load
 * rolls back rather than commit a fact pointing nowhere.
 */
export async function assertReferencesPresent(client: Client, model: StarModel, fact: FactTable, batch = stageName(fact.name), bounds?: KeyBounds): Promise<void> {
  const checks = factReferences(model, fact).map(
    (r) =>
      `SELECT ${`'${r.column} -> ${r.dim}'`} AS ref, count(*) AS n FROM (${distinctKeys(batch, r.column)}) s
       WHERE NOT EXISTS (SELECT 1 FROM ${dimensionRange(r.dim, r.key, r.column, bounds)} d WHERE d.${q(r.key)} = s.k)`,
  );
  const res = await client.query<{ ref: string; n: string }>(checks.join(' UNION ALL '));
  const broken = res.rows.filter((r) => Number(r.n) > 0);
  if (broken.length) {
    throw new Error(`${fact.name}: ${broken.map((b) => `${b.n} value(s) of ${b.ref} missing`).join(', ')}; load rolled back`);
  }
}
