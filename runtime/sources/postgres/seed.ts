import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { UsageError } from '../../config/urls';
import { connectPostgres } from '../../postgres/connect';
import { generateTotesys } from './generate';
import { TOTESYS_TABLES } from './tables';

/**
 * The package folder holding `data/`: three levels up from this source file, two from the
 * compiled CLI bundle (dist/cli/main.js), so it is found by walking up rather than counted.
 */
function packageRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'data', 'totesys-schema.sql'))) return dir;
  }
  return resolve(from, '..', '..', '..');
}

const PACKAGE_ROOT = packageRoot(__dirname);
export const BUNDLED_DATA_DIR = join(PACKAGE_ROOT, 'data', 'totesys-2024-11-15');
const SCHEMA_FILE = join(PACKAGE_ROOT, 'data', 'totesys-schema.sql');

/** The source tables in an order that satisfies every foreign key (the extract's order). */
export const TOTESYS_LOAD_ORDER: readonly string[] = TOTESYS_TABLES.map((t) => t.name);

export const REFERENCE_TABLES = ['address', 'currency', 'department', 'counterparty', 'staff', 'payment_type'] as const;

export interface SeedOptions {
  sourceUrl: string;
  /** Folder of COPY CSVs with headers (default: the bundled real extract). */
  dataDir?: string;
  /** Generate this many sales orders (and related rows in the real data's proportions) instead. */
  generate?: number;
  /** Drop existing totesys tables first. */
  reset?: boolean;
}

export interface SeedResult {
  rows: Record<string, number>;
}

async function hasTotesysTables(client: Client): Promise<boolean> {
  const res = await client.query(`SELECT 1 FROM pg_class WHERE relname = 'sales_order' AND relnamespace = current_schema()::regnamespace`);
  return (res.rowCount ?? 0) > 0;
}

async function dropTotesys(client: Client): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${[...TOTESYS_LOAD_ORDER].reverse().map((t) => `"${t}"`).join(', ')} CASCADE`);
  await client.query(`DROP TYPE IF EXISTS "PaymentTypeName", "TransactionType"`);
}

export async function copyCsvInto(client: Client, table: string, file: string): Promise<number> {
  const stream = client.query(copyFrom(`COPY "${table}" FROM STDIN WITH (FORMAT csv, HEADER true)`));
  await pipeline(createReadStream(file), stream);
  return stream.rowCount ?? 0;
}

export async function resetSequences(client: Client): Promise<void> {
  for (const table of TOTESYS_LOAD_ORDER) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence('"${table}"', '${table}_id'), coalesce((SELECT max(${table}_id) FROM "${table}"), 0) + 1, false)`,
    );
  }
}

/** Creates the totesys schema in a database and loads the bundled real extract or generated rows. */
export async function seedTotesys(options: SeedOptions): Promise<SeedResult> {
  const dataDir = resolve(options.dataDir ?? BUNDLED_DATA_DIR);
  if (options.generate === undefined) {
    const missing = TOTESYS_LOAD_ORDER.filter((t) => !existsSync(join(dataDir, `${t}.csv`)));
    if (missing.length) throw new UsageError(`--data: ${dataDir} has no ${missing.map((t) => `${t}.csv`).join(', ')}`);
  }
  const client = await connectPostgres(options.sourceUrl, 'source');
  try {
    if (await hasTotesysTables(client)) {
      if (!options.reset) throw new UsageError('--source: the database already holds the totesys tables; pass --reset to replace them');
      await dropTotesys(client);
    }
    await client.query('BEGIN');
    await client.query(readFileSync(SCHEMA_FILE, 'utf8'));
    const rows: Record<string, number> = {};
    if (options.generate === undefined) {
      for (const table of TOTESYS_LOAD_ORDER) rows[table] = await copyCsvInto(client, table, join(dataDir, `${table}.csv`));
    } else {
      for (const table of REFERENCE_TABLES) rows[table] = await copyCsvInto(client, table, join(BUNDLED_DATA_DIR, `${table}.csv`));
      Object.assign(rows, await generateTotesys(client, options.generate));
    }
    await resetSequences(client);
    // The live totesys has no index on last_updated; the sample gets one per table, as
    // recommended for any source, so incremental reads are index range scans.
    for (const table of TOTESYS_LOAD_ORDER) await client.query(`CREATE INDEX IF NOT EXISTS "${table}_last_updated_idx" ON "${table}" (last_updated)`);
    await client.query('COMMIT');
    await client.query('ANALYZE');
    return { rows };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
