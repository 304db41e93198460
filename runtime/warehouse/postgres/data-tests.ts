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

export async function runDataTests(client: Client, model: StarModel): Promise<DataTestResult[]> {
  const results: DataTestResult[] = [];
  for (const test of dataTestQueries(model)) {
    const res = await client.query<{ count: string }>(test.sql);
    results.push({ name: test.name, table: test.table, failures: Number(res.rows[0].count) });
  }
  return results;
}
