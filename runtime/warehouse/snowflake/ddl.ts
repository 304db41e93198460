import { factReferences, type ColumnType, type DimensionTable, type FactTable, type StarModel, type StarTable } from '../../model/star';

const SF_TYPES: Record<ColumnType, string> = {
  int: 'INTEGER',
  bigint: 'BIGINT',
  date: 'DATE',
  time: 'TIME',
  varchar: 'VARCHAR',
  'numeric(10,2)': 'NUMBER(10,2)',
  // Kept as the unbounded numeric was mapped before the model named its scale: existing tables stay as they are.
  'numeric(18,2)': 'NUMBER(38,6)',
  // PostgreSQL's unbounded numeric has no Snowflake twin; 38 digits with 6 decimals holds any amount here.
  numeric: 'NUMBER(38,6)',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP_NTZ',
};

export const LOAD_RUNS = 'TRIBUTARY_LOAD_RUNS';
export const SCHEMA_VERSION_TABLE = 'TRIBUTARY_SCHEMA_VERSION';

export function sfType(type: ColumnType): string {
  return SF_TYPES[type];
}

/**
 * Snowflake folds unquoted names to upper case; quoting the upper-cased name gives the same
 * table while keeping words such as `number` or `type` from clashing with keywords.
 */
export function q(name: string): string {
  return `"${name.toUpperCase().replace(/"/g, '""')}"`;
}

function columnDefs(table: StarTable): string[] {
  return table.columns.map((c) => `  ${q(c.name)} ${sfType(c.type)}${c.nullable ? '' : ' NOT NULL'}`);
}

function dimensionDdl(dim: DimensionTable): string {
  return `CREATE TABLE IF NOT EXISTS ${q(dim.name)} (\n${columnDefs(dim).join(',\n')},\n  PRIMARY KEY (${q(dim.key)})\n)`;
}

/** Constraints other than NOT NULL are informational in Snowflake: the load keeps them true. */
function factDdl(fact: FactTable, model: StarModel): string {
  const refs = factReferences(model, fact).map((r) => `  FOREIGN KEY (${q(r.column)}) REFERENCES ${q(r.dim)} (${q(r.key)})`);
  return `CREATE TABLE IF NOT EXISTS ${q(fact.name)} (
  ${q(fact.recordId)} NUMBER(38,0) AUTOINCREMENT START 1 INCREMENT 1 NOT NULL,
${columnDefs(fact).join(',\n')},
  PRIMARY KEY (${q(fact.recordId)}),
  UNIQUE (${fact.versionKey.map(q).join(', ')})${refs.length ? `,\n${refs.join(',\n')}` : ''}
)`;
}

export function tableDdl(table: StarTable, model: StarModel): string {
  return table.kind === 'dimension' ? dimensionDdl(table) : factDdl(table, model);
}

/** The model's tables in Snowflake types, plus Tributary's bookkeeping tables; idempotent. */
export function schemaStatements(model: StarModel): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${q(LOAD_RUNS)} (
  "RUN_ID" VARCHAR NOT NULL,
  "SOURCE" VARCHAR NOT NULL,
  "MODEL" VARCHAR NOT NULL,
  "LOADED_AT" TIMESTAMP_LTZ NOT NULL DEFAULT CURRENT_TIMESTAMP(),
  "SUMMARY" VARIANT,
  PRIMARY KEY ("RUN_ID")
)`,
    `CREATE TABLE IF NOT EXISTS ${q(SCHEMA_VERSION_TABLE)} ("MODEL" VARCHAR NOT NULL, "VERSION" INTEGER NOT NULL, "APPLIED_AT" TIMESTAMP_LTZ NOT NULL DEFAULT CURRENT_TIMESTAMP(), PRIMARY KEY ("MODEL"))`,
    ...model.dimensions.map((d) => tableDdl(d, model)),
    ...model.facts.map((f) => tableDdl(f, model)),
  ];
}
