import type { ColumnType, StarModel, StarTable } from '../../model/star';

const PG_TYPES: Record<ColumnType, string> = {
  int: 'integer',
  bigint: 'bigint',
  date: 'date',
  time: 'time',
  varchar: 'varchar',
  'numeric(10,2)': 'numeric(10,2)',
  numeric: 'numeric',
  boolean: 'boolean',
  timestamp: 'timestamp',
};

export function pgType(type: ColumnType): string {
  return PG_TYPES[type];
}

export function tableDdl(table: StarTable): string {
  const cols = table.columns.map((c) => `  ${c.name} ${pgType(c.type)}${c.nullable ? '' : ' NOT NULL'}`);
  if (table.kind === 'dimension') {
    return `CREATE TABLE IF NOT EXISTS ${table.name} (\n${cols.join(',\n')},\n  PRIMARY KEY (${table.key})\n)`;
  }
  const fks = new Map(table.foreignKeys.map((fk) => [fk.column, fk.references]));
  const withRefs = table.columns.map((c, i) => {
    const ref = fks.get(c.name) ?? (table.dateColumns.includes(c.name) ? 'dim_date' : undefined);
    return ref ? `${cols[i]} REFERENCES ${ref}` : cols[i];
  });
  return `CREATE TABLE IF NOT EXISTS ${table.name} (\n  ${table.recordId} bigserial PRIMARY KEY,\n${withRefs.join(',\n')},\n  UNIQUE (${table.versionKey.join(', ')})\n)`;
}

/** Statements that create the star schema and Tributary's bookkeeping tables, idempotently. */
export function schemaStatements(model: StarModel): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS tributary_load_runs (
       run_id     text PRIMARY KEY,
       source     text NOT NULL,
       model      text NOT NULL,
       loaded_at  timestamptz NOT NULL DEFAULT now(),
       summary    jsonb NOT NULL
     )`,
    `CREATE TABLE IF NOT EXISTS tributary_schema_version (model text PRIMARY KEY, version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    ...model.dimensions.map(tableDdl),
    ...model.facts.map(tableDdl),
  ];
}
