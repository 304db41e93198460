import { runPipeline } from '../../runtime/pipeline/run';
import { totesys } from '../support/pipelines';
import { newRunId } from '../../runtime/lake/keys';
import { listManifestRunIds, readManifest, type ExtractManifest } from '../../runtime/lake/manifest';
import { RunInProgressError } from '../../runtime/state/run-lock';
import { main } from '../../runtime/cli/main';
import { count, totesysFixture, withClient, type TotesysFixture } from '../support/totesys';

function run(fx: TotesysFixture) {
  return runPipeline(totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake));
}

const NEW_ORDER = `INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)`;

describe('reliability of the totesys pipeline', () => {
  let fx: TotesysFixture;
  beforeAll(async () => {
    fx = await totesysFixture({ generate: 300 });
    await run(fx);
  });

  it('lets one of two simultaneous runs proceed and turns the other away cleanly', async () => {
    await withClient(fx.sourceUrl, (c) => c.query(`${NEW_ORDER} VALUES ('2031-01-01 08:00', '2031-01-01 08:00', 1, 1, 1, 10, 2.00, 1, '2031-01-05', '2031-01-06', 1)`));
    const outcomes = await Promise.allSettled([run(fx), run(fx)]);
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(RunInProgressError);
    expect(String(refused[0].message)).toMatch(/in progress/);
    expect(await count(fx.warehouseUrl, `SELECT count(*) AS n FROM fact_sales_order WHERE units_sold = 10`)).toBe(1);
  });

  it('loads a run started by a clock that stepped back: its run id still sorts after the last run', async () => {
    await withClient(fx.sourceUrl, (c) => c.query(`${NEW_ORDER} VALUES ('2031-01-15 08:00', '2031-01-15 08:00', 1, 1, 1, 9, 2.00, 1, '2031-01-20', '2031-01-21', 1)`));
    const summary = await runPipeline({ ...totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake), runId: newRunId(new Date('2020-01-01T00:00:00Z')) });
    expect(summary.runId > '2026').toBe(true);
    expect(summary.loads.map((l) => l.runId)).toEqual([summary.runId]);
    expect(await count(fx.warehouseUrl, `SELECT count(*) AS n FROM fact_sales_order WHERE units_sold = 9`)).toBe(1);
  });

  it('quarantines a row the model cannot use, with its reason, and loads the rest', async () => {
    await withClient(fx.sourceUrl, (c) =>
      c.query(`${NEW_ORDER} VALUES ('2031-02-01 08:00', '2031-02-01 08:00', 1, 1, 1, 11, 2.00, 1, 'next tuesday', '2031-02-06', 1),
                                   ('2031-02-01 08:00', '2031-02-01 08:00', 1, 1, 1, 12, 2.00, 1, '2031-02-05', '2031-02-06', 1)`),
    );
    const summary = await run(fx);
    const quarantined = summary.transforms.flatMap((t) => t.manifest.quarantined);
    expect(quarantined).toEqual([{ table: 'sales_order', rows: 1, reason: 'unparseable agreed_delivery_date: "next tuesday"' }]);
    expect(summary.transforms[0].manifest.tables.quarantine_sales_order.rows).toBe(1);
    expect(await count(fx.warehouseUrl, `SELECT count(*) AS n FROM fact_sales_order WHERE units_sold IN (11, 12)`)).toBe(1);
    expect(summary.dataTests.filter((t) => t.failures > 0)).toEqual([]);
  });

  it('loads a fact whose dimension row arrives later, then completes the dimension', async () => {
    await withClient(fx.sourceUrl, async (c) => {
      // The real data has orders pointing at designs created later; without the FK the design can
      // arrive in a later run than the order.
      await c.query('ALTER TABLE sales_order DROP CONSTRAINT sales_order_design_id_fkey');
      await c.query(`${NEW_ORDER} VALUES ('2031-03-01 08:00', '2031-03-01 08:00', 99999, 1, 1, 13, 2.00, 1, '2031-03-05', '2031-03-06', 1)`);
    });
    const first = await run(fx);
    expect(first.loads[0].inferred).toBe(1);
    await withClient(fx.warehouseUrl, async (c) => {
      expect((await c.query('SELECT design_name FROM dim_design WHERE design_id = 99999')).rows).toEqual([{ design_name: 'Unknown' }]);
    });
    expect(await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM fact_sales_order WHERE design_id = 99999')).toBe(1);
    await withClient(fx.sourceUrl, (c) =>
      c.query(`INSERT INTO design (design_id, created_at, design_name, file_location, file_name, last_updated) VALUES (99999, '2031-03-02', 'Late', '/late', 'late.json', '2031-03-02')`),
    );
    await run(fx);
    await withClient(fx.warehouseUrl, async (c) => {
      expect((await c.query('SELECT design_name, file_location FROM dim_design WHERE design_id = 99999')).rows).toEqual([{ design_name: 'Late', file_location: '/late' }]);
    });
  });

  it('carries a new source column into the raw zone and reports it', async () => {
    await withClient(fx.sourceUrl, async (c) => {
      await c.query(`ALTER TABLE design ADD COLUMN colourway text`);
      await c.query(`INSERT INTO design (created_at, design_name, file_location, file_name, last_updated, colourway) VALUES ('2031-04-01', 'Teal', '/t', 't.json', '2031-04-01', 'teal')`);
    });
    // Through the CLI: the table says which columns drifted, and --json carries the same.
    const stdout: string[] = [];
    const io = { out: (t: string) => stdout.push(t), err: () => undefined, interactive: false, env: {} };
    expect(await main(['run', '--source', fx.sourceUrl, '--warehouse', fx.warehouseUrl, '--lake', fx.lakeDir], io)).toBe(0);
    expect(stdout.join('\n')).toMatch(/^design\s+1\s+.*drift: new columns: colourway$/m);
    const extracts = await listManifestRunIds(fx.lake, 'extract');
    const design = (await readManifest<ExtractManifest>(fx.lake, 'extract', extracts[extracts.length - 1]))!.tables.design;
    expect(design.drift).toEqual({ added: ['colourway'], removed: [], retyped: [] });
    expect(design.columns.map((c) => c.name)).toContain('colourway');
    expect(design.error).toBeUndefined();
    expect(await count(fx.warehouseUrl, `SELECT count(*) AS n FROM dim_design WHERE design_name = 'Teal'`)).toBe(1);
  });

  it('stops a table whose column was dropped, with a clear error, while the other tables load', async () => {
    await withClient(fx.sourceUrl, async (c) => {
      await c.query(`ALTER TABLE staff DROP COLUMN email_address`);
      await c.query(`${NEW_ORDER} VALUES ('2031-05-01 08:00', '2031-05-01 08:00', 1, 1, 1, 14, 2.00, 1, '2031-05-05', '2031-05-06', 1)`);
    });
    const stderr: string[] = [];
    const code = await main(['run', '--source', fx.sourceUrl, '--warehouse', fx.warehouseUrl, '--lake', fx.lakeDir], {
      out: () => undefined,
      err: (t) => stderr.push(t),
      interactive: false,
      env: {},
    });
    expect(code).toBe(1);
    expect(stderr.join('\n')).toMatch(/schema drift in totesys\.staff: dropped column email_address; table stopped/);
    expect(await count(fx.warehouseUrl, `SELECT count(*) AS n FROM fact_sales_order WHERE units_sold = 14`)).toBe(1);
    // The stopped table's watermark did not move: once the column is back, nothing is lost.
    const wm = JSON.parse(await fx.lake.getText('state/totesys/staff.json') as string);
    expect(wm.columns.map((c: { name: string }) => c.name)).toContain('email_address');
  });

  it('detects a foreign key the warehouse no longer satisfies in the data tests', async () => {
    await withClient(fx.warehouseUrl, async (c) => {
      await c.query('ALTER TABLE fact_payment DROP CONSTRAINT IF EXISTS fact_payment_transaction_id_fkey');
      await c.query('DELETE FROM dim_transaction WHERE transaction_id = (SELECT min(transaction_id) FROM fact_payment)');
    });
    // The checks run after a load that changed the warehouse.
    await withClient(fx.sourceUrl, (c) => c.query(`${NEW_ORDER} VALUES ('2031-06-01 08:00', '2031-06-01 08:00', 1, 1, 1, 15, 2.00, 1, '2031-06-05', '2031-06-06', 1)`));
    const summary = await run(fx).catch((e) => {
      throw e;
    });
    const failing = summary.dataTests.filter((t) => t.failures > 0);
    expect(failing).toEqual([{ name: 'transaction_id references dim_transaction', table: 'fact_payment', failures: 1 }]);
  });
});
