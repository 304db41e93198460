import { DAY_NAMES, MONTH_NAMES } from '../../model/dim-date';
import type { DimensionTable, FactTable, StarModel, StarTable } from '../../model/star';
import type { Bind } from './client';
import { LOAD_RUNS, q, sfType } from './ddl';

/** A statement and its binds, built here so tests can read exactly what a load sends. */
export interface Statement {
  sql: string;
  binds?: Bind[];
}

/**
 * A unit's staging table of a model table (`suffix`: block.ts's unitSuffix). Not TEMPORARY: a
 * detached block outlives the session that submitted it.
 */
export function stageTable(table: string, suffix: string): string {
  return q(`stage_${table}${suffix}`);
}

/** Created before BEGIN because DDL commits an open transaction; OR REPLACE so a resubmitted block starts clean. */
export function createStage(table: StarTable, suffix: string): Statement {
  return { sql: `CREATE OR REPLACE TABLE ${stageTable(table.name, suffix)} (${table.columns.map((c) => `${q(c.name)} ${sfType(c.type)}`).join(', ')})` };
}

const LAKE_KEY = /^[A-Za-z0-9=_.\/-]+$/;

/**
 * Loads one processed Parquet object from the external stage. FORCE because the staging table is
 * new each load: Snowflake's load history must not skip a file a rolled-back load read before.
 */
export function copyIntoStage(table: StarTable, stage: string, key: string, suffix: string): Statement {
  if (!LAKE_KEY.test(key)) throw new Error(`processed key ${JSON.stringify(key)} cannot be used in a stage path`);
  return {
    sql: `COPY INTO ${stageTable(table.name, suffix)} FROM @${stage}/${key} FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = TRUE`,
  };
}

export function runLoaded(runId: string): Statement {
  return { sql: `SELECT COUNT(*) AS "N" FROM ${q(LOAD_RUNS)} WHERE "RUN_ID" = ?`, binds: [runId] };
}

export function lastLoadedRun(source: string): Statement {
  return { sql: `SELECT MAX("RUN_ID") AS "RUN_ID" FROM ${q(LOAD_RUNS)} WHERE "SOURCE" = ? AND "RUN_ID" NOT LIKE '-%'`, binds: [source] };
}

/** Type-1 upsert: new keys inserted, changed rows updated, equal rows left alone. */
export function mergeDimension(dim: DimensionTable, suffix: string): Statement {
  const cols = dim.columns.map((c) => q(c.name));
  const nonKey = dim.columns.filter((c) => c.name !== dim.key).map((c) => q(c.name));
  const key = q(dim.key);
  const changed = nonKey.map((c) => `NOT EQUAL_NULL(t.${c}, s.${c})`).join(' OR ');
  return {
    sql: `MERGE INTO ${q(dim.name)} t
USING (SELECT ${cols.join(', ')} FROM ${stageTable(dim.name, suffix)} QUALIFY ROW_NUMBER() OVER (PARTITION BY ${key} ORDER BY ${key}) = 1) s
ON t.${key} = s.${key}
WHEN MATCHED AND (${changed}) THEN UPDATE SET ${nonKey.map((c) => `${c} = s.${c}`).join(', ')}
WHEN NOT MATCHED THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `s.${c}`).join(', ')})`,
  };
}

/** A string literal; binds do not reach inside a Snowflake Scripting block, so the block's values are these. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Inferred members for facts that arrived before their dimension row (see the PostgreSQL load). */
export function insertInferredMembers(model: StarModel, fact: FactTable, suffix: string): Statement[] {
  return fact.foreignKeys.map((fk) => {
    const dim = model.dimensions.find((d) => d.name === fk.references);
    if (!dim) throw new Error(`model ${model.name}: ${fact.name}.${fk.column} references unknown ${fk.references}`);
    const values = dim.columns.map((c) => {
      if (c.name === dim.key) return `s.${q(fk.column)}`;
      const type = sfType(c.type);
      if (dim.unknown?.[c.name]) return `CAST(${literal(dim.unknown[c.name])} AS ${type})`;
      return !c.nullable && c.type === 'varchar' ? `CAST('Unknown' AS ${type})` : `CAST(NULL AS ${type})`;
    });
    return {
      sql: `INSERT INTO ${q(dim.name)} (${dim.columns.map((c) => q(c.name)).join(', ')})
SELECT DISTINCT ${values.join(', ')} FROM ${stageTable(fact.name, suffix)} s
WHERE s.${q(fk.column)} IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${q(dim.name)} d WHERE d.${q(dim.key)} = s.${q(fk.column)})`,
    };
  });
}

function decode(expr: string, names: readonly string[]): string {
  return `DECODE(${expr}, ${names.map((n, i) => `${i + 1}, ${literal(n)}`).join(', ')})`;
}

/** A dim_date row for every date the staged facts reference (names spelled as PostgreSQL's FMDay). */
export function addReferencedDates(model: StarModel, facts: FactTable[], suffix: string): Statement | undefined {
  const DIM_DATE = model.dates;
  if (!DIM_DATE) return undefined;
  const sources = facts.flatMap((f) => f.dateColumns.map((c) => `SELECT ${q(c)} AS "D" FROM ${stageTable(f.name, suffix)}`));
  if (sources.length === 0) return undefined;
  return {
    sql: `INSERT INTO ${q(DIM_DATE.name)} (${DIM_DATE.columns.map((c) => q(c.name)).join(', ')})
SELECT "D", YEAR("D"), MONTH("D"), DAY("D"), DAYOFWEEKISO("D"), ${decode('DAYOFWEEKISO("D")', DAY_NAMES)}, ${decode('MONTH("D")', MONTH_NAMES)}, QUARTER("D")
FROM (${sources.join(' UNION ')}) dates
WHERE "D" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${q(DIM_DATE.name)} x WHERE x.${q(DIM_DATE.key)} = dates."D")`,
  };
}

/**
 * Appends each staged version once. Snowflake does not enforce UNIQUE, so the version key is
 * checked here: a version already in the table is skipped.
 */
export function appendFacts(fact: FactTable, suffix: string): Statement {
  const cols = fact.columns.map((c) => q(c.name));
  const keys = fact.versionKey.map(q);
  return {
    sql: `INSERT INTO ${q(fact.name)} (${cols.join(', ')})
SELECT ${cols.map((c) => `s.${c}`).join(', ')} FROM ${stageTable(fact.name, suffix)} s
WHERE NOT EXISTS (SELECT 1 FROM ${q(fact.name)} f WHERE ${keys.map((k) => `EQUAL_NULL(f.${k}, s.${k})`).join(' AND ')})
QUALIFY ROW_NUMBER() OVER (PARTITION BY ${keys.map((k) => `s.${k}`).join(', ')} ORDER BY ${keys.map((k) => `s.${k}`).join(', ')}) = 1`,
  };
}

/**
 * A reconcile run (the source changed a row without changing its version): the stored version
 * is corrected in place, new versions are still inserted; equal rows are left alone.
 */
export function correctFacts(fact: FactTable, suffix: string): Statement {
  const cols = fact.columns.map((c) => q(c.name));
  const keys = fact.versionKey.map(q);
  const others = cols.filter((c) => !keys.includes(c));
  return {
    sql: `MERGE INTO ${q(fact.name)} t
USING (SELECT ${cols.join(', ')} FROM ${stageTable(fact.name, suffix)} QUALIFY ROW_NUMBER() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${keys.join(', ')}) = 1) s
ON ${keys.map((k) => `EQUAL_NULL(t.${k}, s.${k})`).join(' AND ')}
WHEN MATCHED AND (${others.map((c) => `NOT EQUAL_NULL(t.${c}, s.${c})`).join(' OR ')}) THEN UPDATE SET ${others.map((c) => `${c} = s.${c}`).join(', ')}
WHEN NOT MATCHED THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `s.${c}`).join(', ')})`,
  };
}
