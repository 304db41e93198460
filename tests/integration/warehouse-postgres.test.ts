import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { copyStraightIn } from '../../runtime/warehouse/postgres/bulk';
import { TOTESYS_STAR } from '../../runtime/model/totesys/star';
import { assertReferencesPresent, collectReferenceKeys, createStage, referenceBounds } from '../../runtime/warehouse/postgres/load';
import { PostgresWarehouse } from '../../runtime/warehouse/postgres/warehouse';
import { createDatabase } from '../support/services';
import { withClient } from '../support/totesys';

const fact = TOTESYS_STAR.facts.find((f) => f.name === 'fact_payment')!;

describe('PostgreSQL warehouse schema and load checks', () => {
  let url: string;
  beforeAll(async () => {
    url = await createDatabase('whschema');
    const wh = await PostgresWarehouse.connect(url, TOTESYS_STAR);
    await wh.ensureSchema();
    await wh.ensureSchema(); // idempotent
    await wh.close();
  });

  it('declares every fact foreign key without row-by-row enforcement (PostgreSQL 18) or not at all (older)', async () => {
    await withClient(url, async (c) => {
      const version = Number((await c.query('SHOW server_version_num')).rows[0].server_version_num);
      const keys = await c.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND conrelid = 'fact_sales_order'::regclass`);
      if (version >= 180000) {
        expect(keys.rows[0].n).toBe(9);
        const enforced = await c.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND conenforced`);
        expect(enforced.rows[0].n).toBe(0);
      } else {
        expect(keys.rows[0].n).toBe(0);
      }
    });
  });

  it('migrates foreign keys a first version created enforced', async () => {
    const old = await createDatabase('whold');
    await withClient(old, async (c) => {
      await c.query('CREATE TABLE dim_transaction (transaction_id int PRIMARY KEY, transaction_type varchar NOT NULL, sales_order_id int, purchase_order_id int)');
      await c.query(`CREATE TABLE fact_payment (payment_record_id bigserial PRIMARY KEY, payment_id int NOT NULL, created_date date NOT NULL, created_time time NOT NULL,
        last_updated_date date NOT NULL, last_updated_time time NOT NULL, transaction_id int NOT NULL REFERENCES dim_transaction, counterparty_id int NOT NULL,
        payment_amount numeric NOT NULL, currency_id int NOT NULL, payment_type_id int NOT NULL, paid boolean NOT NULL, payment_date date NOT NULL,
        UNIQUE (payment_id, last_updated_date, last_updated_time))`);
    });
    const wh = await PostgresWarehouse.connect(old, TOTESYS_STAR);
    await wh.ensureSchema();
    await wh.close();
    await withClient(old, async (c) => {
      const version = Number((await c.query('SHOW server_version_num')).rows[0].server_version_num);
      const column = version >= 180000 ? 'conenforced' : 'true';
      const res = await c.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND conrelid = 'fact_payment'::regclass AND ${column}`);
      expect(res.rows[0].n).toBe(0);
    });
  });

  it('refuses a batch whose facts reference a dimension row that does not exist', async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await createStage(client, fact);
      await client.query(`INSERT INTO stage_fact_payment VALUES (1, '2024-01-01', '10:00', '2024-01-01', '10:00', 424242, 1, 10.5, 1, 1, true, '2024-01-02')`);
      const missing = /fact_payment: 1 value\(s\) of transaction_id -> dim_transaction missing, .*created_date -> dim_date missing.*load rolled back/;
      await expect(assertReferencesPresent(client, TOTESYS_STAR, fact)).rejects.toThrow(missing);
      // The same check over the batch's keys collected in one scan, as the load runs it.
      await client.query(`INSERT INTO stage_fact_payment VALUES (2, '2024-01-01', '10:00', '2024-01-01', '10:00', 424242, NULL, 10.5, 1, 1, true, '2024-01-02')`);
      const keys = await collectReferenceKeys(client, TOTESYS_STAR, fact);
      expect((await client.query('SELECT count(*)::int AS n FROM keys_fact_payment WHERE transaction_id IS NOT NULL')).rows[0].n).toBe(1);
      await expect(assertReferencesPresent(client, TOTESYS_STAR, fact, keys)).rejects.toThrow(missing);
      // Probing only the dimensions' key range the batch spans finds the same gaps.
      const bounds = await referenceBounds(client, TOTESYS_STAR, fact, keys);
      expect(bounds.get('transaction_id')).toEqual({ least: "'424242'::integer", greatest: "'424242'::integer" });
      await expect(assertReferencesPresent(client, TOTESYS_STAR, fact, keys, bounds)).rejects.toThrow(missing);
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  });
});

describe('PostgreSQL warehouse initial load (COPY straight into empty tables)', () => {
  let url: string;
  const constraints = (c: Client) =>
    c.query<{ conname: string; def: string }>(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'fact_payment'::regclass AND contype IN ('p', 'u') ORDER BY conname`);
  beforeAll(async () => {
    url = await createDatabase('whbulk');
    const wh = await PostgresWarehouse.connect(url, TOTESYS_STAR);
    await wh.ensureSchema();
    await wh.close();
  });

  async function csv(rows: string[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'whbulk-'));
    const path = join(dir, 'fact_payment.csv');
    await writeFile(path, [fact.columns.map((col) => col.name).join(','), ...rows].join('\n') + '\n');
    return path;
  }
  const row = (id: number) => `${id},2024-01-01,10:00:00,2024-01-01,10:00:00,7,1,10.50,1,1,true,2024-01-02`;

  const columns = fact.columns.map((col) => col.name);
  const count = async (c: Client, relation = 'fact_payment') => (await c.query(`SELECT count(*)::int AS n FROM ${relation}`)).rows[0].n;

  it('copies into an empty fact and rebuilds its unique indexes under their own names; the same rows again are left to the stage path', async () => {
    await withClient(url, async (c) => {
      const before = (await constraints(c)).rows;
      expect(before.length).toBe(2);
      await c.query('BEGIN');
      try {
        const path = await csv([row(1), row(2)]);
        expect(await copyStraightIn(c, fact, path, columns)).toEqual({ rows: 2, batch: 'fact_payment' });
        expect((await constraints(c)).rows).toEqual(before);
        // Not empty any more, and the batch repeats its keys: the stage and ON CONFLICT decide.
        expect(await copyStraightIn(c, fact, path, columns)).toBeUndefined();
        expect(await count(c)).toBe(2);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  });

  it('appends a batch whose keys all come after the table\'s greatest, its batch a view of exactly those rows; any other batch applies nothing', async () => {
    await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        await copyStraightIn(c, fact, await csv([row(1), row(5)]), columns);
        const appended = await copyStraightIn(c, fact, await csv([row(7), row(6), row(9)]), columns);
        expect(appended).toEqual({ rows: 3, batch: 'batch_fact_payment' });
        expect((await c.query('SELECT payment_id FROM batch_fact_payment ORDER BY payment_id')).rows.map((r) => r.payment_id)).toEqual([6, 7, 9]);
        expect(await count(c)).toBe(5);
        // A key at or below the greatest (a gap, or a new version of an old id): the stage path.
        expect(await copyStraightIn(c, fact, await csv([row(12), row(3)]), columns)).toBeUndefined();
        expect(await copyStraightIn(c, fact, await csv([row(20), row(9).replace('10:00:00,7', '11:00:00,7')]), columns)).toBeUndefined();
        // An exact version again: the unique index refuses it, the savepoint undoes the rest.
        expect(await copyStraightIn(c, fact, await csv([row(30), row(30)]), columns)).toBeUndefined();
        expect(await count(c)).toBe(5);
        // A reconcile corrects in place: never appended straight in.
        expect(await copyStraightIn(c, fact, await csv([row(40)]), columns, false)).toBeUndefined();
        expect(await count(c)).toBe(5);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  });

  it('with the batch\'s least key known, sends a batch that revisits old keys to the stage without copying, and still counts what it appends', async () => {
    await withClient(url, async (c) => {
      await c.query('BEGIN');
      try {
        await copyStraightIn(c, fact, await csv([row(1), row(5)]), columns);
        // At or below the greatest: no COPY is attempted (the file is never opened).
        expect(await copyStraightIn(c, fact, join(tmpdir(), 'whbulk-never-read.csv'), columns, true, '5')).toBeUndefined();
        expect(await copyStraightIn(c, fact, join(tmpdir(), 'whbulk-never-read.csv'), columns, true, '2')).toBeUndefined();
        expect(await count(c)).toBe(2);
        // A least key past the greatest appends; a wrong one is still caught by the count.
        expect(await copyStraightIn(c, fact, await csv([row(8), row(6)]), columns, true, '6')).toEqual({ rows: 2, batch: 'batch_fact_payment' });
        expect(await copyStraightIn(c, fact, await csv([row(12), row(3)]), columns, true, '12')).toBeUndefined();
        expect(await count(c)).toBe(4);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  });

  it('falls back, with nothing applied, when the batch repeats a version key', async () => {
    await withClient(url, async (c) => {
      const before = (await constraints(c)).rows;
      await c.query('BEGIN');
      try {
        const path = await csv([row(1), row(1)]);
        expect(await copyStraightIn(c, fact, path, columns)).toBeUndefined();
        expect(await count(c)).toBe(0);
        expect((await constraints(c)).rows).toEqual(before);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  });
});
