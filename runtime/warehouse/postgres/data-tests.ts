import type { Client } from 'pg';
import { factReferences, type StarModel } from '../../model/star';

import type { DataTestResult } from '../port';

export type { DataTestResult };

function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The checks run after every load (as dbt's generic tests would): keys unique, required
 * columns not null, every fact foreign key present in its dimension. Each query counts
 * offending rows; a healthy warehouse returns 0 for all.
 */
export function dataTestQueries(model: StarModel): Array<{ name: string; table: string; sql: string }> {
  const tests: Array<{ name: string; table: string; sql: string }> = [];
  for (const dim of model.dimensions) {
    tests.push({
      name: `unique ${dim.key}`,
      table: dim.name,
      sql: `SELECT count(*) FROM (SELECT ${q(dim.key)} FROM ${q(dim.name)} GROUP BY 1 HAVING count(*) > 1) d`,
    });
  }
  for (const table of [...model.dimensions, ...model.facts]) {
    const required = table.columns.filter((c) => !c.nullable);
    if (required.length === 0) continue;
    tests.push({
      name: `not null (${required.map((c) => c.name).join(', ')})`,
      table: table.name,
      sql: `SELECT count(*) FROM ${q(table.name)} WHERE ${required.map((c) => `${q(c.name)} IS NULL`).join(' OR ')}`,
    });
  }
  for (const fact of model.facts) {
    tests.push({
      name: `unique (${fact.versionKey.join(', ')})`,
      table: fact.name,
      sql: `SELECT count(*) FROM (SELECT 1 FROM ${q(fact.name)} GROUP BY ${fact.versionKey.map(q).join(', ')} HAVING count(*) > 1) d`,
    });
    for (const ref of factReferences(model, fact)) {
      tests.push({
        name: `${ref.column} references ${ref.dim}`,
        table: fact.name,
        sql: `SELECT count(*) FROM ${q(fact.name)} f WHERE f.${q(ref.column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${q(ref.dim)} d WHERE d.${q(ref.key)} = f.${q(ref.column)})`,
      });
    }
  }
  return tests;
}

/**
 * Every data test as one statement, one row per test (`i` its index in `tests`): one round trip
 * instead of one per test. Also what the Redshift warehouse sends (the checks are ANSI SQL).
 */
export function dataTestsAsOneQuery(tests: ReadonlyArray<{ sql: string }>): string {
  return tests.map((t, i) => `SELECT ${i} AS i, (${t.sql}) AS failures`).join(' UNION ALL ');
}

/** The results of `dataTestsAsOneQuery`'s rows, in the order of `tests`. */
export function dataTestResults(tests: ReadonlyArray<{ name: string; table: string }>, rows: ReadonlyArray<Record<string, unknown>>): DataTestResult[] {
  const failures = new Map(rows.map((r) => [Number(r.i), Number(r.failures)]));
  return tests.map((t, i) => ({ name: t.name, table: t.table, failures: failures.get(i) ?? 0 }));
}

export async function runDataTests(client: Client, model: StarModel): Promise<DataTestResult[]> {
  const tests = dataTestQueries(model);
  if (tests.length === 0) return [];
  const res = await client.query<{ i: number; failures: string }>(dataTestsAsOneQuery(tests));
  return dataTestResults(tests, res.rows);
}
