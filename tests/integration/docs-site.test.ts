import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { CliIo } from '../../runtime/cli/commands';
import { main } from '../../runtime/cli/main';
import type { RunEvent } from '../../runtime/lineage/openlineage';
import { OPENLINEAGE_URL_ENV } from '../../runtime/lineage/emit';
import { collectSiteData } from '../../runtime/docs/collect';
import { renderSite, singleFileSite } from '../../runtime/docs/render';
import { writeFileSync } from 'node:fs';
import { runPipeline } from '../../runtime/pipeline/run';
import { totesys } from '../support/pipelines';
import { totesysFixture, withClient, type TotesysFixture } from '../support/totesys';

/** Debian's chromium (installed by .ci/run when missing); playwright-core downloads no browser. */
const CHROMIUM = process.env.TRIBUTARY_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(__dirname, '..', '..', 'test-artifacts', 'docs-site');

function capture(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), interactive: false, env };
}

/** A Marquez-style endpoint on 127.0.0.1 that keeps every event POSTed to /api/v1/lineage. */
async function lineageEndpoint(): Promise<{ url: string; received: RunEvent[]; close: () => Promise<void> }> {
  const received: RunEvent[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v1/lineage') {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RunEvent);
        res.writeHead(201).end();
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((ok) => server.close(() => ok())) };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the run history and data-docs site', () => {
  let fx: TotesysFixture;
  let endpoint: Awaited<ReturnType<typeof lineageEndpoint>>;
  let siteDir: string;
  let profileDir: string;
  let browser: BrowserContext;
  let page: Page;
  const runIds: string[] = [];
  const savedEnv = process.env[OPENLINEAGE_URL_ENV];

  beforeAll(async () => {
    fx = await totesysFixture();
    endpoint = await lineageEndpoint();
    process.env[OPENLINEAGE_URL_ENV] = endpoint.url;
    const run = (checkpoint?: (point: string) => void) => runPipeline({ ...totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake), checkpoint });
    // 1: the initial load of the real extract; 2: nothing changed.
    runIds.push((await run()).runId, (await run()).runId);
    // 3: three orders change, then the load fails inside its transaction (rolled back).
    await withClient(fx.sourceUrl, (c) => c.query('UPDATE sales_order SET units_sold = units_sold + 1, last_updated = now() WHERE sales_order_id IN (1, 2, 3)'));
    const failLoad = (point: string) => {
      if (point === 'load.after-facts') throw new Error('fact_sales_order: disk full on the warehouse (simulated)');
    };
    await expect(run(failLoad)).rejects.toThrow(/disk full/);
    runIds.push(readdirSync(join(fx.lakeDir, 'runs', 'totesys')).map((f) => f.replace(/\.json$/, '')).sort()[2]);
    // 4: two more orders change; the run loads its own rows and the failed run's.
    await withClient(fx.sourceUrl, (c) => c.query('UPDATE sales_order SET units_sold = units_sold + 1, last_updated = now() WHERE sales_order_id IN (4, 5)'));
    runIds.push((await run()).runId);

    siteDir = mkdtempSync(join(tmpdir(), 'tributary-site-'));
    const io = capture();
    expect(await main(['docs', '--out', siteDir, '--lake', fx.lakeDir, '--warehouse', fx.warehouseUrl], io)).toBe(0);
    expect(io.stderr).toEqual([]);
    mkdirSync(SHOTS, { recursive: true });
    profileDir = mkdtempSync(join(tmpdir(), 'tributary-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    // Opened from disk: anything fetched from the network would be a page that breaks offline.
    page.on('request', (req) => {
      if (!req.url().startsWith('file://')) throw new Error(`the site fetched ${req.url()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await endpoint?.close();
    if (savedEnv === undefined) delete process.env[OPENLINEAGE_URL_ENV];
    else process.env[OPENLINEAGE_URL_ENV] = savedEnv;
    for (const dir of [siteDir, profileDir, fx?.lakeDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the four runs with their outcomes, and the failed run with its error', async () => {
    await page.goto(`file://${join(siteDir, 'index.html')}`);
    await shot(page, 'runs');
    const rows = await page.locator('main table').first().locator('tbody tr').all();
    const seen = await Promise.all(rows.map(async (r) => (await r.locator('td').allInnerTexts()).slice(0, 4)));
    expect(seen.map((cells) => [cells[0], cells[1], cells[3]])).toEqual([
      ['#1', runIds[0], 'succeeded'],
      ['#2', runIds[1], 'succeeded'],
      ['#3', runIds[2], 'failed'],
      ['#4', runIds[3], 'succeeded'],
    ]);
    expect(await rows[2].innerText()).toMatch(/load: fact_sales_order: disk full on the warehouse \(simulated\)/);
    // The two charts are drawn, one bar group per run.
    await expect(page.locator('svg[aria-label^="Rows per run"]').count()).resolves.toBe(1);
    await expect(page.locator('svg[aria-label^="Step durations"] text', { hasText: '#4' }).count()).resolves.toBe(1);
  });

  it('as one file (the deployed site): each page a section the link fragment shows', async () => {
    const file = join(siteDir, 'single.html');
    writeFileSync(file, singleFileSite(renderSite(await collectSiteData({ lake: fx.lake, warehouseUrl: fx.warehouseUrl }))));
    await page.goto(`file://${file}`);
    await expect(page.locator('section.page:visible h1').allInnerTexts()).resolves.toEqual(['Runs']);
    await page.getByRole('link', { name: runIds[2] }).click();
    expect(new URL(page.url()).hash).toBe(`#run-${runIds[2]}`);
    await shot(page, 'single-file-run-3');
    await expect(page.locator('section.page:visible h1').allInnerTexts()).resolves.toEqual([`Run ${runIds[2]}`]);
    await expect(page.locator('section.page:visible .error').innerText()).resolves.toMatch(/^Failed during load: fact_sales_order: disk full/);
    await page.locator('section.page:visible header').getByRole('link', { name: 'Lineage' }).click();
    await expect(page.locator('section.page:visible h1').allInnerTexts()).resolves.toEqual(['Lineage']);
  });

  it("shows the first load's fact counts on its run page", async () => {
    await page.goto(`file://${join(siteDir, 'index.html')}`);
    await page.getByRole('link', { name: runIds[0] }).click();
    await shot(page, 'run-1-initial-load');
    const appended = async (table: string) => (await page.locator('tr', { has: page.locator('td', { hasText: new RegExp(`^${table}$`) }) }).locator('td').allInnerTexts())[3];
    expect(await appended('fact_sales_order')).toBe('11,187');
    expect(await appended('fact_purchase_order')).toBe('4,649');
    expect(await appended('fact_payment')).toBe('15,836');
    await expect(page.locator('main').innerText()).resolves.toMatch(/succeeded/);
    for (const step of ['extract', 'transform', 'load']) await expect(page.locator('td', { hasText: new RegExp(`^${step}$`) }).count()).resolves.toBe(1);
  });

  it("shows the failed run's error and that its rows were loaded by the next run", async () => {
    await page.goto(`file://${join(siteDir, 'runs', `totesys-${runIds[2]}.html`)}`);
    await shot(page, 'run-3-failed');
    await expect(page.locator('.error').innerText()).resolves.toMatch(/^Failed during load: fact_sales_order: disk full on the warehouse \(simulated\)/);
    // The password of the URL never reaches the page.
    expect(readFileSync(join(siteDir, 'runs', `totesys-${runIds[2]}.html`), 'utf8')).not.toContain('harness-pw');
    const cells = await page.locator('tr', { has: page.locator('td', { hasText: /^fact_sales_order$/ }) }).locator('td').allInnerTexts();
    expect(cells.slice(1, 4)).toEqual(['–', '3', '3']);
    await expect(page.locator('main').innerText()).resolves.toMatch(/Loaded into the warehouse at/);
    await page.goto(`file://${join(siteDir, 'runs', `totesys-${runIds[3]}.html`)}`);
    await shot(page, 'run-4-incremental');
    const incremental = await page.locator('tr', { has: page.locator('td', { hasText: /^sales_order$/ }) }).locator('td').allInnerTexts();
    expect(incremental[1]).toBe('2');
  });

  it('draws the lineage graph from the model definitions', async () => {
    await page.goto(`file://${join(siteDir, 'lineage.html')}`);
    await shot(page, 'lineage');
    const nodes = await page.locator('svg.lineage g.node').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-node')));
    for (const node of ['source:sales_order', 'raw:sales_order', 'processed:fact_sales_order', 'warehouse:fact_sales_order', 'warehouse:dim_date', 'warehouse:dim_counterparty', 'processed:quarantine_payment']) {
      expect(nodes).toContain(node);
    }
    expect(nodes.filter((n) => n?.startsWith('source:'))).toHaveLength(11);
    expect(nodes.filter((n) => n?.startsWith('warehouse:'))).toHaveLength(11);
    // dim_counterparty is built from counterparty and address: both edges are drawn.
    const into = await page.locator('svg.lineage path[data-to="processed:dim_counterparty"]').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-from')).sort());
    expect(into).toEqual(['raw:address', 'raw:counterparty']);
    const phone = await page.locator('#table-dim_counterparty + p + table tr', { hasText: 'counterparty_legal_phone_number' }).locator('td').allInnerTexts();
    expect(phone).toEqual(['counterparty_legal_phone_number', 'varchar', 'address.phone']);
    await expect(page.locator('#table-fact_sales_order').innerText()).resolves.toMatch(/11,192 rows now/);
  });

  it('shows freshness per source table and the last data-test results', async () => {
    await page.goto(`file://${join(siteDir, 'freshness.html')}`);
    await shot(page, 'freshness');
    const order = await page.locator('tr', { has: page.locator('td', { hasText: /^sales_order$/ }) }).locator('td').allInnerTexts();
    expect(order[1]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+/);
    expect(order[4]).toBe('fresh');
    await expect(page.locator('tbody tr').count()).resolves.toBe(11);
    await page.goto(`file://${join(siteDir, 'tests.html')}`);
    await shot(page, 'data-tests');
    await expect(page.locator('main').innerText()).resolves.toContain(`recorded by run ${runIds[3]}`);
    const facts = await page.locator('table').first().locator('tr', { has: page.locator('td', { hasText: /^fact_sales_order$/ }) }).locator('td').allInnerTexts();
    expect(facts[3]).toBe('0');
    expect(Number(facts[1])).toBeGreaterThan(5);
    for (const name of ['runs', 'run-1-initial-load', 'run-3-failed', 'lineage', 'freshness', 'data-tests']) expect(existsSync(join(SHOTS, `${name}.png`))).toBe(true);
  });

  it('emits OpenLineage events that validate against the published schema, to the lake and the endpoint', async () => {
    const schema = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'openlineage', 'OpenLineage.json'), 'utf8')) as object;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const inLake = runIds.map((id) => JSON.parse(readFileSync(join(fx.lakeDir, 'lineage', `${id}.json`), 'utf8')) as RunEvent[]);
    expect(inLake.map((events) => events.map((e) => e.eventType))).toEqual([
      ['START', 'COMPLETE'],
      ['START', 'COMPLETE'],
      ['START', 'FAIL'],
      ['START', 'COMPLETE'],
    ]);
    for (const event of inLake.flat()) {
      const ok = validate(event);
      expect({ event: event.eventType, errors: ok ? [] : validate.errors }).toEqual({ event: event.eventType, errors: [] });
    }
    // The schema is not a rubber stamp: a run id that is not a UUID is refused.
    expect(validate({ ...inLake[0][0], run: { runId: 'not-a-uuid' } })).toBe(false);
    expect(endpoint.received).toEqual(inLake.flat());
    const first = inLake[0][1];
    expect(first.inputs.map((d) => d.name)).toContain(`${new URL(fx.sourceUrl).pathname.slice(1)}.public.sales_order`);
    const facts = first.outputs.find((d) => d.name.endsWith('.public.fact_sales_order'))!;
    expect(facts.outputFacets?.outputStatistics.rowCount).toBe(11187);
    expect((facts.facets?.schema.fields as Array<{ name: string }>).map((f) => f.name)).toContain('units_sold');
    expect(inLake[2][1].run.facets?.errorMessage.message).toMatch(/disk full/);
    expect(JSON.stringify(inLake)).not.toContain('harness-pw');
  });
});
