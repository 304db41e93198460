import { Client } from 'pg';
import { TOTESYS_STAR } from '../../runtime/model/totesys/star';
import { assertReferencesPresent, createStage } from '../../runtime/warehouse/postgres/load';
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
      await expect(assertReferencesPresent(client, TOTESYS_STAR, fact)).rejects.toThrow(
        /fact_payment: 1 value\(s\) of transaction_id -> dim_transaction missing, .*created_date -> dim_date missing.*load rolled back/,
      );
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  });
});
