import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest, type TransformManifest } from '../../runtime/lake/manifest';
import { TOTESYS_STAR } from '../../runtime/model/totesys/star';
import { runPipeline } from '../../runtime/pipeline/run';
import { PostgresWarehouse } from '../../runtime/warehouse/postgres/warehouse';
import { createDatabase } from '../support/services';
import { totesys } from '../support/pipelines';
import { count, totesysFixture, withClient, type TotesysFixture } from '../support/totesys';

const FACT_DATE_COLUMNS: Record<string, string[]> = {
  fact_sales_order: ['created_date', 'last_updated_date', 'agreed_payment_date', 'agreed_delivery_date'],
  fact_purchase_order: ['created_date', 'last_updated_date', 'agreed_delivery_date', 'agreed_payment_date'],
  fact_payment: ['created_date', 'last_updated_date', 'payment_date'],
};

async function factCounts(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of Object.keys(FACT_DATE_COLUMNS)) out[t] = await count(url, `SELECT count(*) AS n FROM ${t}`);
  return out;
}

function run(fx: TotesysFixture) {
  return runPipeline(totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake));
}

function applied(summary: Awaited<ReturnType<typeof runPipeline>>, table: string): number {
  return summary.loads.flatMap((l) => l.tables).filter((t) => t.table === table).reduce((n, t) => n + t.applied, 0);
}

describe('totesys pipeline on the bundled real extract', () => {
  let fx: TotesysFixture;
  beforeAll(async () => {
    fx = await totesysFixture();
  });

  it('loads every fact row, every dimension and a dim_date row for every referenced date', async () => {
    const summary = await run(fx);
    expect(summary.extract.manifest.tables.sales_order.rows).toBe(11187);
    expect(Object.values(summary.extract.manifest.tables).every((t) => t.cursorIndexed === true)).toBe(true);
    expect(summary.dataTests.length).toBeGreaterThan(40);
    expect(summary.dataTests.filter((t) => t.failures > 0)).toEqual([]);
    expect(await factCounts(fx.warehouseUrl)).toEqual({ fact_sales_order: 11187, fact_purchase_order: 4649, fact_payment: 15836 });
    expect(await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM dim_design')).toBe(473);
    expect(await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM dim_transaction')).toBe(15836);
    expect(await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM dim_location')).toBe(30);
    for (const [fact, columns] of Object.entries(FACT_DATE_COLUMNS)) {
      for (const column of columns) {
        const missing = await count(fx.warehouseUrl, `SELECT count(*) AS n FROM ${fact} f WHERE NOT EXISTS (SELECT 1 FROM dim_date d WHERE d.date_id = f.${column})`);
        expect({ fact, column, missing }).toEqual({ fact, column, missing: 0 });
      }
    }
    await withClient(fx.warehouseUrl, async (c) => {
      const d = await c.query(`SELECT day_of_week, day_name, month_name, quarter FROM dim_date WHERE date_id = '2022-11-06'`);
      expect(d.rows[0]).toEqual({ day_of_week: 7, day_name: 'Sunday', month_name: 'November', quarter: 4 });
      const cur = await c.query('SELECT currency_code, currency_name FROM dim_currency ORDER BY currency_id');
      expect(cur.rows).toEqual([
        { currency_code: 'GBP', currency_name: 'Pound Sterling' },
        { currency_code: 'USD', currency_name: 'US Dollar' },
        { currency_code: 'EUR', currency_name: 'Euro' },
      ]);
      // Millisecond times survive extract → Parquet → warehouse.
      const t = await c.query(`SELECT created_time::text AS t FROM fact_sales_order WHERE sales_order_id = 1`);
      expect(t.rows[0].t).toBe('14:20:52.186');
      const cp = await c.query(`SELECT * FROM dim_counterparty WHERE counterparty_id = 1`);
      const src = await withClient(fx.sourceUrl, (s) =>
        s.query(`SELECT c.counterparty_legal_name, a.address_line_1, a.phone FROM counterparty c JOIN address a ON a.address_id = c.legal_address_id WHERE counterparty_id = 1`),
      );
      expect(cp.rows[0].counterparty_legal_name).toBe(src.rows[0].counterparty_legal_name);
      expect(cp.rows[0].counterparty_legal_address_line_1).toBe(src.rows[0].address_line_1);
      expect(cp.rows[0].counterparty_legal_phone_number).toBe(src.rows[0].phone);
    });
    // A paid payment is two source versions only if both were extracted; the extract holds the latest.
    expect(await count(fx.warehouseUrl, 'SELECT count(DISTINCT payment_id) AS n FROM fact_payment')).toBe(15836);
  });

  it('appends nothing and writes no raw object when run again', async () => {
    const before = await factCounts(fx.warehouseUrl);
    const summary = await run(fx);
    expect(await factCounts(fx.warehouseUrl)).toEqual(before);
    expect(Object.values(summary.extract.manifest.tables).every((t) => t.rows === 0 && t.objects.length === 0)).toBe(true);
    // Nothing changed, so the whole-warehouse data tests were not rerun.
    expect(summary.dataTests).toEqual([]);
    // The empty run is still transformed and recorded, without any processed object.
    expect(summary.transforms.map((t) => t.manifest.tables)).toEqual([{}]);
    expect(summary.loads.map((l) => [l.runId, l.loaded])).toEqual([[summary.runId, true]]);
    const rawFiles = readdirSync(`${fx.lakeDir}/raw/totesys`, { recursive: true }).map(String).filter((f) => f.includes(summary.runId));
    expect(rawFiles).toEqual([]);
  });

  it('appends one fact row per new source version and updates exactly the affected dimension rows', async () => {
    const before = await factCounts(fx.warehouseUrl);
    const affectedCounterparties = await withClient(fx.sourceUrl, async (c) => {
      // Three new orders sharing one last_updated, two updated orders, an address used by a
      // counterparty, one payment marked paid.
      await c.query(`INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
                     SELECT '2030-01-02 09:00:00.123', '2030-01-02 09:00:00.123', 1, 1, 1, 100 + g, 2.50, 1, '2030-01-09', '2030-01-10', 1 FROM generate_series(1, 3) g`);
      await c.query(`UPDATE sales_order SET units_sold = units_sold + 1, last_updated = '2030-01-02 09:30:00.5' WHERE sales_order_id IN (10, 20)`);
      const legal = await c.query<{ legal_address_id: number }>('SELECT legal_address_id FROM counterparty WHERE counterparty_id = 5');
      const addressId = legal.rows[0].legal_address_id;
      await c.query(`UPDATE address SET address_line_1 = '1 Changed Street', last_updated = '2030-01-02 10:00:00' WHERE address_id = $1`, [addressId]);
      await c.query(`UPDATE payment SET paid = NOT paid, last_updated = '2030-01-02 07:55:00.001' WHERE payment_id = 7`);
      const users = await c.query<{ counterparty_id: number }>('SELECT counterparty_id FROM counterparty WHERE legal_address_id = $1 ORDER BY 1', [addressId]);
      return users.rows.map((r) => r.counterparty_id);
    });
    const summary = await run(fx);
    const after = await factCounts(fx.warehouseUrl);
    expect(after.fact_sales_order - before.fact_sales_order).toBe(5);
    expect(after.fact_payment - before.fact_payment).toBe(1);
    expect(after.fact_purchase_order).toBe(before.fact_purchase_order);
    expect(applied(summary, 'dim_location')).toBe(1);
    expect(applied(summary, 'dim_counterparty')).toBe(affectedCounterparties.length);
    expect(applied(summary, 'dim_design')).toBe(0);
    await withClient(fx.warehouseUrl, async (c) => {
      const rows = await c.query(`SELECT counterparty_id, counterparty_legal_address_line_1 FROM dim_counterparty WHERE counterparty_legal_address_line_1 = '1 Changed Street' ORDER BY 1`);
      expect(rows.rows.map((r) => r.counterparty_id)).toEqual(affectedCounterparties);
      const versions = await c.query(`SELECT units_sold, last_updated_time::text AS t FROM fact_sales_order WHERE sales_order_id = 10 ORDER BY sales_record_id`);
      expect(versions.rows).toHaveLength(2);
      expect(versions.rows[1].units_sold).toBe(versions.rows[0].units_sold + 1);
      expect(versions.rows[1].t).toBe('09:30:00.5');
    });
  });

  it('picks up a row committed later with the same last_updated as the watermark, once', async () => {
    const wm = await withClient(fx.sourceUrl, async (c) => (await c.query('SELECT max(last_updated)::text AS wm FROM sales_order')).rows[0].wm as string);
    const before = await factCounts(fx.warehouseUrl);
    await withClient(fx.sourceUrl, (c) =>
      c.query(`INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
               VALUES ($1, $1, 2, 2, 2, 5000, 3.00, 2, '2030-02-01', '2030-02-02', 2)`, [wm]),
    );
    await run(fx);
    expect((await factCounts(fx.warehouseUrl)).fact_sales_order - before.fact_sales_order).toBe(1);
    await run(fx);
    expect((await factCounts(fx.warehouseUrl)).fact_sales_order - before.fact_sales_order).toBe(1);
  });

  it('extracts a transaction that commits after a run began with an older last_updated', async () => {
    const late = await withClient(fx.sourceUrl, async (a) => {
      await a.query('BEGIN');
      const ins = await a.query<{ id: number }>(
        `INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
         VALUES ('2030-03-01 10:00:00', '2030-03-01 10:00:00', 3, 3, 3, 777, 2.22, 1, '2030-03-05', '2030-03-06', 3) RETURNING sales_order_id AS id`,
      );
      // Meanwhile another writer commits a newer row, and a run reads past the open transaction.
      await withClient(fx.sourceUrl, (b) =>
        b.query(`INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
                 VALUES ('2030-03-01 10:05:00', '2030-03-01 10:05:00', 3, 3, 3, 888, 2.22, 1, '2030-03-05', '2030-03-06', 3)`),
      );
      const during = await run(fx);
      expect(during.extract.manifest.tables.sales_order.rows).toBe(1);
      expect(during.extract.manifest.tables.sales_order.watermark.to).toBe('2030-03-01 10:05:00');
      await a.query('COMMIT');
      return ins.rows[0].id;
    });
    const after = await run(fx);
    expect(after.extract.manifest.tables.sales_order.rows).toBe(1);
    expect(await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM fact_sales_order WHERE sales_order_id = $1', [late])).toBe(1);
    const again = await run(fx);
    expect(again.extract.manifest.tables.sales_order.rows).toBe(0);
  });
  it('without an index on the cursor (as the live totesys), counts a run in the scan that finds its greatest cursor: the same rows and watermark', async () => {
    await withClient(fx.sourceUrl, async (c) => {
      await c.query('DROP INDEX sales_order_last_updated_idx');
      await c.query(`INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
                     SELECT '2030-04-01 10:00:00', '2030-04-01 10:00:00', 1, 1, 1, 10 + g, 2.50, 1, '2030-04-09', '2030-04-10', 1 FROM generate_series(1, 2) g`);
      await c.query(`UPDATE sales_order SET units_sold = units_sold + 1, last_updated = '2030-04-01 11:00:00.25' WHERE sales_order_id = 30`);
    });
    const before = await factCounts(fx.warehouseUrl);
    const summary = await run(fx);
    const sales = summary.extract.manifest.tables.sales_order;
    expect({ rows: sales.rows, cursorIndexed: sales.cursorIndexed, to: sales.watermark.to }).toEqual({ rows: 3, cursorIndexed: false, to: '2030-04-01 11:00:00.25' });
    expect((await factCounts(fx.warehouseUrl)).fact_sales_order - before.fact_sales_order).toBe(3);
    const again = await run(fx);
    expect(again.extract.manifest.tables.sales_order.rows).toBe(0);
    expect(again.extract.manifest.tables.sales_order.watermark.to).toBe('2030-04-01 11:00:00.25');
  });
});

describe('a damaged processed object found while its run is loaded', () => {
  it('fails the load naming the object, and the tables copied before it keep nothing', async () => {
    const fx = await totesysFixture();
    const first = await run(fx);
    const manifest = await readManifest<TransformManifest>(fx.lake, 'transform', first.runId);
    // The last table copied: every dimension and the other facts are in the transaction by then.
    const key = manifest!.tables.fact_payment.objects[0].key;
    writeFileSync(join(fx.lakeDir, key), 'not parquet');
    const fresh = await createDatabase('whdamaged');
    const warehouse = await PostgresWarehouse.connect(fresh, TOTESYS_STAR);
    try {
      await warehouse.ensureSchema();
      await expect(warehouse.loadRun(fx.lake, manifest!)).rejects.toThrow(key);
    } finally {
      await warehouse.close();
    }
    expect(await count(fresh, 'SELECT count(*) AS n FROM dim_staff')).toBe(0);
    expect(await count(fresh, 'SELECT count(*) AS n FROM fact_sales_order')).toBe(0);
    expect(await count(fresh, 'SELECT count(*) AS n FROM tributary_load_runs')).toBe(0);
  });
});
