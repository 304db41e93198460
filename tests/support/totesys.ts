import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { LocalObjectStore } from '../../runtime/lake/local';
import { seedTotesys } from '../../runtime/sources/postgres/seed';
import { createDatabase } from './services';

export interface TotesysFixture {
  sourceUrl: string;
  warehouseUrl: string;
  lakeDir: string;
  lake: LocalObjectStore;
}

/** A seeded totesys source, an empty warehouse database and a fresh local lake. */
export async function totesysFixture(options: { generate?: number } = {}): Promise<TotesysFixture> {
  const sourceUrl = await createDatabase('src');
  const warehouseUrl = await createDatabase('wh');
  await seedTotesys({ sourceUrl, generate: options.generate });
  const lakeDir = mkdtempSync(join(tmpdir(), 'tributary-lake-'));
  return { sourceUrl, warehouseUrl, lakeDir, lake: new LocalObjectStore(lakeDir) };
}

export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function count(url: string, sql: string, params: unknown[] = []): Promise<number> {
  return withClient(url, async (c) => Number((await c.query<{ n: string }>(sql, params)).rows[0].n));
}
