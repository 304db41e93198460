import { main } from '../../runtime/cli/main';
import { reconcile } from '../../runtime/pipeline/reconcile';
import { runPipeline } from '../../runtime/pipeline/run';
import { totesys } from '../support/pipelines';
import { reconcileStage } from '../../runtime/handlers/reconcile';
import { count, totesysFixture, withClient, type TotesysFixture } from '../support/totesys';

describe('reconciliation of source and warehouse', () => {
  let fx: TotesysFixture;
  beforeAll(async () => {
    fx = await totesysFixture();
    await runPipeline(totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake));
  });

  it('finds nothing to repair right after a load', async () => {
    const report = await reconcile(totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake));
    expect(report.tables.filter((t) => t.differingChunks > 0)).toEqual([]);
    expect(report.runId).toBeUndefined();
    expect(report.tables.find((t) => t.table === 'payment')).toMatchObject({ sourceRows: 15836, warehouseRows: 15836 });
  });

  it('repairs rows edited in the source without last_updated changing, as seen in the real data', async () => {
    const factsBefore = await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM fact_sales_order');
    await withClient(fx.sourceUrl, async (c) => {
      await c.query(`UPDATE design SET file_location = '/moved' WHERE design_id = 7`);
      await c.query(`UPDATE sales_order SET staff_id = 3, agreed_delivery_date = '2030-12-24' WHERE sales_order_id IN (42, 4242)`);
      await c.query(`UPDATE address SET phone = '0000 000000' WHERE address_id = (SELECT legal_address_id FROM counterparty WHERE counterparty_id = 2)`);
    });
    // A normal run misses edits below the watermark's look-back window: last_updated did not
    // move. (All 30 addresses share the newest address timestamp, so the edited address is
    // inside the window, and the normal run already re-reads it.)
    const normal = await runPipeline(totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake));
    expect(normal.extract.manifest.tables.address.rows).toBe(1);
    expect(normal.extract.manifest.tables.sales_order.rows).toBe(0);
    expect(await count(fx.warehouseUrl, `SELECT count(*) AS n FROM dim_design WHERE file_location = '/moved'`)).toBe(0);

    const dry = await reconcile({ ...totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake), repair: false, chunkSize: 500 });
    const byTable = Object.fromEntries(dry.tables.map((t) => [t.table, t]));
    expect(byTable.design.changed).toEqual([7]);
    expect(byTable.sales_order.changed).toEqual([42, 4242]);
    expect(byTable.sales_order.differingChunks).toBe(2);
    expect(byTable.address.changed).toEqual([]);
    expect(byTable.counterparty.changed).toEqual([]);
    expect(byTable.payment.changed).toEqual([]);
    expect(dry.repaired).toEqual([]);

    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), interactive: false, env: {} };
    const out: string[] = [];
    expect(await main(['reconcile', '--source', fx.sourceUrl, '--warehouse', fx.warehouseUrl, '--lake', fx.lakeDir], io)).toBe(0);
    expect(out.join('\n')).toMatch(/sales_order: changed without last_updated changing: ids 42, 4242/);
    expect(out.join('\n')).toMatch(/repaired in reconcile run/);

    await withClient(fx.warehouseUrl, async (c) => {
      expect((await c.query('SELECT file_location FROM dim_design WHERE design_id = 7')).rows[0].file_location).toBe('/moved');
      const so = await c.query(`SELECT sales_staff_id, agreed_delivery_date::text AS d FROM fact_sales_order WHERE sales_order_id = 42`);
      expect(so.rows).toEqual([{ sales_staff_id: 3, d: '2030-12-24' }]);
      expect((await c.query('SELECT counterparty_legal_phone_number AS p FROM dim_counterparty WHERE counterparty_id = 2')).rows[0].p).toBe('0000 000000');
    });
    // The corrected version replaced the stored one: no second row for the same version.
    expect(await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM fact_sales_order')).toBe(factsBefore);
    const after = await reconcile({ ...totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake), repair: false });
    expect(after.tables.filter((t) => t.differingChunks > 0)).toEqual([]);
    // The reconcile run moved no watermark: the next normal run reads nothing.
    const next = await runPipeline(totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake));
    expect(Object.values(next.extract.manifest.tables).reduce((n, t) => n + t.rows, 0)).toBe(0);
  });

  it('reports rows missing from the warehouse and repairs them through the handler', async () => {
    await withClient(fx.warehouseUrl, (c) => c.query('DELETE FROM fact_payment WHERE payment_id = 99'));
    const out = await reconcileStage({}, { TRIBUTARY_LAKE: fx.lakeDir, TRIBUTARY_SOURCE_URL: fx.sourceUrl, TRIBUTARY_WAREHOUSE_URL: fx.warehouseUrl });
    expect(out).toMatchObject({ changed: 0, missing: 1, extra: 0 });
    expect(out.repairedRows).toBeGreaterThanOrEqual(1);
    expect(await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM fact_payment WHERE payment_id = 99')).toBe(1);
  });
});
