import type { Client } from 'pg';
import { factReferences, type ColumnType, type StarModel, type StarTable } from '../../model/star';

const PG_TYPES: Record<ColumnType, string> = {
  int: 'integer',
  bigint: 'bigint',
  date: 'date',
  time: 'time',
  varchar: 'varchar',
  'numeric(10,2)': 'numeric(10,2)',
  'numeric(18,2)': 'numeric(18,2)',
  numeric: 'numeric',
  boolean: 'boolean',
  timestamp: 'timestamp',
};

export function pgType(type: ColumnType): string {
  return PG_TYPES[type];
}

/** A value read back as text, as a SQL literal of its column's type (untyped when unknown). */
export function typedLiteral(value: string, type: ColumnType | undefined): string {
  return `'${value.replace(/'/g, "''")}'::${type ? pgType(type) : 'text'}`;
}

/**
 * How fact foreign keys are declared. Enforced row by row they cost a trigger per reference per
 * row (22 million at 1M orders: most of a load); the load checks the same invariant set-based on
 * each batch instead. PostgreSQL 18 keeps them in the catalog as NOT ENFORCED (BI tools read
 * them); older servers, and Redshift, get no constraint.
 */
export type FactKeys = 'not-enforced' | 'omitted';

export function factKeysFor(serverVersionNum: number): FactKeys {
  return serverVersionNum >= 180000 ? 'not-enforced' : 'omitted';
}

export function tableDdl(table: StarTable, model: StarModel, factKeys: FactKeys = 'not-enforced'): string {
  const cols = table.columns.map((c) => `  ${c.name} ${pgType(c.type)}${c.nullable ? '' : ' NOT NULL'}`);
  if (table.kind === 'dimension') {
    return `CREATE TABLE IF NOT EXISTS ${table.name} (\n${cols.join(',\n')},\n  PRIMARY KEY (${table.key})\n)`;
  }
  const refs = new Map(factReferences(model, table).map((r) => [r.column, r.dim]));
  const withRefs = table.columns.map((c, i) => {
    const ref = refs.get(c.name);
    if (!ref || factKeys === 'omitted') return cols[i];
    return `${cols[i]} REFERENCES ${ref} NOT ENFORCED`;
  });
  return `CREATE TABLE IF NOT EXISTS ${table.name} (\n  ${table.recordId} bigserial PRIMARY KEY,\n${withRefs.join(',\n')},\n  UNIQUE (${table.versionKey.join(', ')})\n)`;
}

/** Statements that create the star schema and Tributary's bookkeeping tables, idempotently. */
export function schemaStatements(model: StarModel, factKeys: FactKeys = 'not-enforced'): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS tributary_load_runs (
       run_id     text PRIMARY KEY,
       source     text NOT NULL,
       model      text NOT NULL,
       loaded_at  timestamptz NOT NULL DEFAULT now(),
       summary    jsonb NOT NULL
     )`,
    `CREATE TABLE IF NOT EXISTS tributary_schema_version (model text PRIMARY KEY, version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    ...model.dimensions.map((dim) => tableDdl(dim, model)),
    ...model.facts.map((fact) => tableDdl(fact, model, factKeys)),
  ];
}

/** Migrates fact foreign keys created enforced (schema version 1) to the current declaration. */
export async function relaxFactKeys(client: Client, model: StarModel, factKeys: FactKeys): Promise<void> {
  const enforced = factKeys === 'not-enforced' ? 'AND c.conenforced' : '';
  const res = await client.query<{ table_name: string; conname: string }>(
    `SELECT t.relname AS table_name, c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
      WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1) ${enforced}`,
    [model.facts.map((f) => f.name)],
  );
  for (const row of res.rows) {
    const action = factKeys === 'not-enforced' ? 'ALTER CONSTRAINT' : 'DROP CONSTRAINT';
    await client.query(`ALTER TABLE "${row.table_name}" ${action} "${row.conname}"${factKeys === 'not-enforced' ? ' NOT ENFORCED' : ''}`);
  }
}
