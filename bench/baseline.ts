import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { StarTable } from '../runtime/model/star';
import { TOTESYS_STAR } from '../runtime/model/totesys/star';
import { TOTESYS_TABLES } from '../runtime/sources/postgres/tables';
import { pgType } from '../runtime/warehouse/postgres/ddl';

/**
 * The physical baseline: what moving the same rows costs with nothing but PostgreSQL's COPY,
 * no lake, no transform, no indexes. Tributary's figures are reported as ratios to it.
 */

export const BASELINE_SCHEMA = 'tributary_bench_baseline';

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: 'tributary-bench' });
  await client.connect();
  return client;
}

function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Raw `COPY (SELECT …) TO STDOUT` of all 11 source tables into a sink that drops the bytes. */
export async function copyOutAll(sourceUrl: string): Promise<{ rows: number; bytes: number; perTable: Record<string, number> }> {
  const client = await connect(sourceUrl);
  let rows = 0;
  let bytes = 0;
  const perTable: Record<string, number> = {};
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    for (const table of TOTESYS_TABLES) {
      const cols = await client.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [q(table.name)],
      );
      const start = performance.now();
      const copy = client.query(copyTo(`COPY (SELECT ${cols.rows.map((c) => q(c.name)).join(', ')} FROM ${q(table.name)}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
      await pipeline(
        copy,
        new Writable({
          write(chunk: Buffer, _enc, done) {
            bytes += chunk.length;
            done();
          },
        }),
      );
      rows += copy.rowCount;
      perTable[table.name] = Math.round(performance.now() - start);
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  return { rows, bytes, perTable };
}

/**
 * The warehouse-shaped rows of the source, as SELECT expressions in the column order of the
 * model's tables: the three facts plus the two dimensions that grow with N.
 */
export const WAREHOUSE_SHAPES: Record<string, { from: string; select: string[] }> = {
  fact_sales_order: {
    from: 'sales_order',
    select: [
      'sales_order_id',
      'created_at::date',
      'created_at::time',
      'last_updated::date',
      'last_updated::time',
      'staff_id',
      'counterparty_id',
      'units_sold',
      'unit_price',
      'currency_id',
      'design_id',
      'agreed_payment_date::date',
      'agreed_delivery_date::date',
      'agreed_delivery_location_id',
    ],
  },
  fact_purchase_order: {
    from: 'purchase_order',
    select: [
      'purchase_order_id',
      'created_at::date',
      'created_at::time',
      'last_updated::date',
      'last_updated::time',
      'staff_id',
      'counterparty_id',
      'item_code',
      'item_quantity',
      'item_unit_price',
      'currency_id',
      'agreed_delivery_date::date',
      'agreed_payment_date::date',
      'agreed_delivery_location_id',
    ],
  },
  fact_payment: {
    from: 'payment',
    select: [
      'payment_id',
      'created_at::date',
      'created_at::time',
      'last_updated::date',
      'last_updated::time',
      'transaction_id',
      'counterparty_id',
      'payment_amount',
      'currency_id',
      'payment_type_id',
      'paid',
      'payment_date::date',
    ],
  },
  dim_transaction: { from: '"transaction"', select: ['transaction_id', 'transaction_type::text', 'sales_order_id', 'purchase_order_id'] },
  dim_design: { from: 'design', select: ['design_id', 'design_name', 'file_location', 'file_name'] },
};

function modelTable(name: string): StarTable {
  const table = [...TOTESYS_STAR.dimensions, ...TOTESYS_STAR.facts].find((t) => t.name === name);
  if (!table) throw new Error(`bench: the totesys model has no table ${name}`);
  return table;
}

/** `CREATE TABLE` shaped like a warehouse table, without keys, constraints or indexes. */
export function unindexedDdl(table: StarTable): string {
  return `CREATE TABLE ${BASELINE_SCHEMA}.${q(table.name)} (${table.columns.map((c) => `${q(c.name)} ${pgType(c.type)}`).join(', ')})`;
}

/**
 * Writes the warehouse-shaped rows as CSV files (not timed), then times raw
 * `COPY … FROM STDIN` of those files into fresh unindexed tables of the warehouse database.
 */
export async function copyInAll(
  sourceUrl: string,
  warehouseUrl: string,
  dir: string,
  timed: <T>(work: () => Promise<T>) => Promise<T>,
): Promise<{ rows: number; perTable: Record<string, number> }> {
  const source = await connect(sourceUrl);
  const files: Array<{ table: StarTable; path: string }> = [];
  try {
    for (const [name, shape] of Object.entries(WAREHOUSE_SHAPES)) {
      const table = modelTable(name);
      if (table.columns.length !== shape.select.length) throw new Error(`bench: ${name} has ${table.columns.length} columns, shape ${shape.select.length}`);
      const path = join(dir, `baseline-${name}.csv`);
      await pipeline(source.query(copyTo(`COPY (SELECT ${shape.select.join(', ')} FROM ${shape.from}) TO STDOUT WITH (FORMAT csv, HEADER true)`)), createWriteStream(path));
      files.push({ table, path });
    }
  } finally {
    await source.end();
  }
  const warehouse = await connect(warehouseUrl);
  const perTable: Record<string, number> = {};
  let rows = 0;
  try {
    await warehouse.query(`DROP SCHEMA IF EXISTS ${BASELINE_SCHEMA} CASCADE`);
    await warehouse.query(`CREATE SCHEMA ${BASELINE_SCHEMA}`);
    for (const { table } of files) await warehouse.query(unindexedDdl(table));
    await timed(async () => {
      for (const { table, path } of files) {
        const start = performance.now();
        const copy = warehouse.query(copyFrom(`COPY ${BASELINE_SCHEMA}.${q(table.name)} FROM STDIN WITH (FORMAT csv, HEADER true)`));
        await pipeline(createReadStream(path), copy);
        rows += copy.rowCount ?? 0;
        perTable[table.name] = Math.round(performance.now() - start);
      }
    });
    await warehouse.query(`DROP SCHEMA ${BASELINE_SCHEMA} CASCADE`);
  } finally {
    await warehouse.end();
  }
  return { rows, perTable };
}
