import { DAY_NAMES, MONTH_NAMES } from '../../model/dim-date';
import { factReferences, type ColumnType, type DimensionTable, type FactTable, type StarModel, type StarTable } from '../../model/star';

/**
 * Redshift's dialect of the load, kept to what Redshift accepts: no ON CONFLICT, no IS DISTINCT
 * FROM, no advisory locks, no COPY FROM STDIN; MERGE with no extra match conditions; TEXT would be
 * VARCHAR(256), so strings are VARCHAR(65535). Redshift does not enforce keys, so the statements
 * keep them true themselves.
 */
const TYPES: Record<ColumnType, string> = {
  int: 'INTEGER',
  bigint: 'BIGINT',
  date: 'DATE',
  time: 'TIME',
  varchar: 'VARCHAR(65535)',
  'numeric(10,2)': 'NUMERIC(10,2)',
  'numeric(18,2)': 'NUMERIC(18,2)',
  numeric: 'NUMERIC(38,6)',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
};

/** Parquet TIME is not a type Redshift's COPY reads: staged objects carry times as text. */
export const STAGE_TIME_TYPE = 'VARCHAR(32)';

export const LOAD_RUNS = 'tributary_load_runs';

export function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function redshiftType(type: ColumnType): string {
  return TYPES[type];
}

export function stageTable(table: string): string {
  return q(`tributary_stage_${table}`);
}

function columnDefs(table: StarTable, stage = false): string[] {
  return table.columns.map((c) => `${q(c.name)} ${stage && c.type === 'time' ? STAGE_TIME_TYPE : TYPES[c.type]}${!stage && !c.nullable ? ' NOT NULL' : ''}`);
}

export function schemaStatements(model: StarModel): string[] {
  const tables = [...model.dimensions, ...model.facts].map((t) => {
    if (t.kind === 'dimension') return `CREATE TABLE IF NOT EXISTS ${q(t.name)} (${columnDefs(t).join(', ')}, PRIMARY KEY (${q(t.key)}))`;
    return `CREATE TABLE IF NOT EXISTS ${q(t.name)} (${q(t.recordId)} BIGINT IDENTITY(1,1), ${columnDefs(t).join(', ')}, PRIMARY KEY (${q(t.recordId)}), UNIQUE (${t.versionKey.map(q).join(', ')}))`;
  });
  return [
    `CREATE TABLE IF NOT EXISTS ${LOAD_RUNS} (run_id VARCHAR(64) NOT NULL, source VARCHAR(128) NOT NULL, model VARCHAR(128) NOT NULL, loaded_at TIMESTAMP NOT NULL DEFAULT GETDATE(), summary VARCHAR(65535) NOT NULL, PRIMARY KEY (run_id))`,
    ...tables,
  ];
}

/** Staging, its own transaction: fresh tables, then one COPY of every staged object of each table. */
export function stageStatements(tables: readonly StarTable[], copies: ReadonlyArray<{ table: string; url: string }>, copyRoleArn: string): string[] {
  return [
    ...tables.flatMap((t) => [`DROP TABLE IF EXISTS ${stageTable(t.name)}`, `CREATE TABLE ${stageTable(t.name)} (${columnDefs(t, true).join(', ')})`]),
    ...copies.map((c) => `COPY ${stageTable(c.table)} FROM ${literal(c.url)} IAM_ROLE ${literal(copyRoleArn)} FORMAT AS PARQUET`),
  ];
}

/** A statement that fails (division by zero) unless the condition holds: the batch then rolls back. */
function assertThat(condition: string): string {
  return `SELECT 1 / (CASE WHEN ${condition} THEN 1 ELSE 0 END) AS ok`;
}

export function stagedCountsHold(expected: ReadonlyArray<{ table: string; rows: number }>): string {
  return assertThat(expected.map((e) => `(SELECT count(*) FROM ${stageTable(e.table)}) = ${e.rows}`).join(' AND ') || 'TRUE');
}

/** Both null, or equal: Redshift has no IS NOT DISTINCT FROM. */
function differs(a: string, b: string): string {
  return `(${a} <> ${b} OR (${a} IS NULL AND ${b} IS NOT NULL) OR (${a} IS NOT NULL AND ${b} IS NULL))`;
}

function staged(table: StarTable, column: string): string {
  const c = table.columns.find((x) => x.name === column);
  return c?.type === 'time' ? `CAST(s.${q(column)} AS TIME)` : `s.${q(column)}`;
}

/**
 * Type-1 MERGE of the staged rows that are new or changed (Redshift's MERGE takes no extra match
 * condition, so unchanged rows are filtered out first and the row count says what changed).
 */
export function mergeChanged(table: StarTable, keys: readonly string[]): string {
  const cols = table.columns.map((c) => c.name);
  const others = cols.filter((c) => !keys.includes(c));
  const changed = others.length ? others.map((c) => differs(`t.${q(c)}`, staged(table, c))).join(' OR ') : 'FALSE';
  const on = keys.map((k) => `t.${q(k)} = ${staged(table, k)}`).join(' AND ');
  const source = `SELECT ${cols.map((c) => `${staged(table, c)} AS ${q(c)}`).join(', ')} FROM ${stageTable(table.name)} s
    LEFT JOIN ${q(table.name)} t ON ${on}
    WHERE t.${q(keys[0])} IS NULL OR ${changed}`;
  return `MERGE INTO ${q(table.name)} USING (${source}) u ON ${keys.map((k) => `${q(table.name)}.${q(k)} = u.${q(k)}`).join(' AND ')}
    WHEN MATCHED THEN UPDATE SET ${(others.length ? others : keys).map((c) => `${q(c)} = u.${q(c)}`).join(', ')}
    WHEN NOT MATCHED THEN INSERT (${cols.map(q).join(', ')}) VALUES (${cols.map((c) => `u.${q(c)}`).join(', ')})`;
}

export function mergeDimension(dim: DimensionTable): string {
  return mergeChanged(dim, [dim.key]);
}

/** One inferred-member INSERT per dimension the staged facts reference (see the PostgreSQL load). */
export function insertInferredMembers(model: StarModel, facts: readonly FactTable[]): string[] {
  const byDim = new Map<string, string[]>();
  for (const fact of facts) {
    for (const fk of fact.foreignKeys) byDim.set(fk.references, [...(byDim.get(fk.references) ?? []), `SELECT ${q(fk.column)} AS k FROM ${stageTable(fact.name)}`]);
  }
  return [...byDim.entries()].map(([name, sources]) => {
    const dim = model.dimensions.find((d) => d.name === name)!;
    const values = dim.columns.map((c) => {
      if (c.name === dim.key) return 'x.k';
      const type = TYPES[c.type];
      if (dim.unknown?.[c.name]) return `CAST(${literal(dim.unknown[c.name])} AS ${type})`;
      return !c.nullable && c.type === 'varchar' ? `CAST('Unknown' AS ${type})` : `CAST(NULL AS ${type})`;
    });
    return `INSERT INTO ${q(dim.name)} (${dim.columns.map((c) => q(c.name)).join(', ')})
      SELECT ${values.join(', ')} FROM (SELECT DISTINCT k FROM (${sources.join(' UNION ALL ')}) a WHERE k IS NOT NULL) x
      WHERE NOT EXISTS (SELECT 1 FROM ${q(dim.name)} d WHERE d.${q(dim.key)} = x.k)`;
  });
}

function names(expr: string, list: readonly string[], base: number): string {
  return `CASE ${expr} ${list.map((n, i) => `WHEN ${i + base} THEN ${literal(n)}`).join(' ')} END`;
}

/** A calendar row for every date the staged facts reference (names spelled as PostgreSQL's FMDay). */
export function addReferencedDates(model: StarModel, facts: readonly FactTable[]): string | undefined {
  const dates = model.dates;
  const sources = facts.flatMap((f) => f.dateColumns.map((c) => `SELECT ${q(c)} AS d FROM ${stageTable(f.name)}`));
  if (!dates || sources.length === 0) return undefined;
  const isoDow = `(CASE WHEN EXTRACT(dow FROM d) = 0 THEN 7 ELSE CAST(EXTRACT(dow FROM d) AS INTEGER) END)`;
  return `INSERT INTO ${q(dates.name)} (${dates.columns.map((c) => q(c.name)).join(', ')})
    SELECT d, CAST(EXTRACT(year FROM d) AS INTEGER), CAST(EXTRACT(month FROM d) AS INTEGER), CAST(EXTRACT(day FROM d) AS INTEGER), ${isoDow},
           ${names(isoDow, DAY_NAMES, 1)}, ${names('CAST(EXTRACT(month FROM d) AS INTEGER)', MONTH_NAMES, 1)}, CAST(EXTRACT(quarter FROM d) AS INTEGER)
    FROM (SELECT DISTINCT d FROM (${sources.join(' UNION ALL ')}) a WHERE d IS NOT NULL) x
    WHERE NOT EXISTS (SELECT 1 FROM ${q(dates.name)} t WHERE t.${q(dates.key)} = x.d)`;
}

/** Each staged version once: a version already in the table is skipped by its key. */
export function appendFacts(fact: FactTable): string {
  const cols = fact.columns.map((c) => c.name);
  const keys = fact.versionKey;
  return `INSERT INTO ${q(fact.name)} (${cols.map(q).join(', ')})
    SELECT ${cols.map(q).join(', ')} FROM (
      SELECT ${cols.map((c) => `${staged(fact, c)} AS ${q(c)}`).join(', ')}, ROW_NUMBER() OVER (PARTITION BY ${keys.map((k) => staged(fact, k)).join(', ')} ORDER BY ${keys.map((k) => staged(fact, k)).join(', ')}) AS n
      FROM ${stageTable(fact.name)} s
      WHERE NOT EXISTS (SELECT 1 FROM ${q(fact.name)} f WHERE ${keys.map((k) => `f.${q(k)} = ${staged(fact, k)}`).join(' AND ')})
    ) v WHERE n = 1`;
}

/** Serialises loads of this warehouse: the runs table is locked until the transaction ends. */
export const lockRuns = `LOCK ${LOAD_RUNS}`;

export function runNotLoaded(runId: string): string {
  return assertThat(`NOT EXISTS (SELECT 1 FROM ${LOAD_RUNS} WHERE run_id = ${literal(runId)})`);
}

export function recordRun(runId: string, source: string, model: string, summary: unknown): string {
  return `INSERT INTO ${LOAD_RUNS} (run_id, source, model, summary) VALUES (${literal(runId)}, ${literal(source)}, ${literal(model)}, ${literal(JSON.stringify(summary))})`;
}

export function dropStages(tables: readonly StarTable[]): string[] {
  return tables.map((t) => `DROP TABLE IF EXISTS ${stageTable(t.name)}`);
}

export { factReferences };
