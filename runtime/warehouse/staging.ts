import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { duckLiteral, type Duck } from '../model/duckdb';
import type { LakeObject } from '../lake/manifest';
import type { ObjectStore } from '../lake/port';
import { downloadVerified } from '../lake/verify';

/**
 * Turns a processed table's Parquet objects into one local CSV file (header row, PostgreSQL
 * NULL convention) for a warehouse COPY; rows stay inside DuckDB and files. With `leastOf`, also
 * the least value of that column as text (null when the batch has no value): one column's scan of
 * the Parquet, which lets a load tell a batch of only-new keys from one that revisits old keys
 * before it writes anything.
 */
export async function parquetToCsv(
  duck: Duck,
  lake: ObjectStore,
  objects: LakeObject[],
  dir: string,
  name: string,
  manifest: string,
  leastOf?: string,
): Promise<{ path: string; columns: string[]; least?: string | null }> {
  const files: string[] = [];
  for (const [i, object] of objects.entries()) {
    const path = join(dir, `${name}-${i}.parquet`);
    // Checked before its table is copied: a damaged object fails the load transaction, which loads nothing.
    await downloadVerified(lake, object, path, manifest, 'Recover: restore the object from the bucket\'s versions (processed objects are rebuilt only by re-running the transform)');
    files.push(path);
  }
  const source = `read_parquet([${files.map(duckLiteral).join(', ')}], union_by_name = true)`;
  const described = await duck.rows<{ column_name: string }>(`DESCRIBE SELECT * FROM ${source}`);
  const csv = join(dir, `${name}.csv`);
  await duck.run(`COPY (SELECT * FROM ${source}) TO ${duckLiteral(csv)} (FORMAT csv, HEADER true, QUOTE '"', NULL '')`);
  const columns = described.map((d) => d.column_name);
  const least = leastOf !== undefined && columns.includes(leastOf) ? await duck.rows<{ least: string | null }>(`SELECT CAST(min("${leastOf.replace(/"/g, '""')}") AS VARCHAR) AS least FROM ${source}`) : undefined;
  // The CSV holds the rows now: the downloads leave /tmp before the next table's arrive.
  await Promise.all(files.map((f) => rm(f, { force: true })));
  return { path: csv, columns, ...(least ? { least: least[0]?.least ?? null } : {}) };
}
