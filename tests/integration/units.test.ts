import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { backfillStage } from '../../runtime/handlers/backfill';
import { extractStage } from '../../runtime/handlers/extract';
import { loadStage } from '../../runtime/handlers/load';
import { handler as transformHandler, transformStage } from '../../runtime/handlers/transform';
import { listManifestRunIds, readManifest, type TransformManifest } from '../../runtime/lake/manifest';
import { LocalObjectStore } from '../../runtime/lake/local';
import { verifyObject } from '../../runtime/lake/verify';
import { groupObjects } from '../../runtime/model/pending';
import { planTotesysUnits } from '../../runtime/model/transform';
import { TOTESYS_STAR } from '../../runtime/model/totesys/star';
import { planLoadUnits } from '../../runtime/pipeline/load-step';
import { readRunRecords } from '../../runtime/state/run-record';
import { runPipeline } from '../../runtime/pipeline/run';
import { seedTotesys } from '../../runtime/sources/postgres/seed';
import { totesys } from '../support/pipelines';
import { createDatabase } from '../support/services';
import { withClient } from '../support/totesys';
import { extractedRows } from '../support/manifests';
import { warehouseChecksums } from '../support/warehouse-checksum';

/**
 * Bounded units of work: a run larger than `unitRows` is transformed and loaded in units of
 * whole objects of at most that many rows, one invocation (or CLI loop turn) and one
 * transaction each, and ends exactly where the whole-run path ends.
 */
const object = (rows: number) => ({ key: `k${rows}`, rows, bytes: rows, sha256: 'x' });

/** The environment the deployed handlers read, for a local lake and PostgreSQL, in 700-row units. */
function handlerEnv(sourceUrl: string, warehouseUrl: string, lakePath: string, chunkRows: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TRIBUTARY_PIPELINE: 'totesys',
    TRIBUTARY_SOURCE_NAME: 'totesys',
    TRIBUTARY_LAKE: lakePath,
    TRIBUTARY_SOURCE_URL: sourceUrl,
    TRIBUTARY_WAREHOUSE_URL: warehouseUrl,
    TRIBUTARY_WAREHOUSE_KIND: 'postgres',
    TRIBUTARY_CHUNK_ROWS: String(chunkRows),
    TRIBUTARY_UNIT_ROWS: '700',
    TRIBUTARY_FAULT: '',
  };
}

/** Invokes the load one unit at a time until it answers `more: false`, as the state machine's loop does. */
async function loadEveryUnit(runId: string, env: NodeJS.ProcessEnv): Promise<number> {
  let calls = 0;
  for (let more = true; more; calls++) {
    more = (await loadStage({ runId, step: true }, env)).more;
    expect(calls).toBeLessThan(40);
  }
  return calls;
}

describe('unit plans', () => {
  it('groups whole objects, in order, up to the bound (a larger object alone)', () => {
    expect(groupObjects([300, 300, 300, 900, 100].map(object), 700)).toEqual([[0, 1], [2], [3], [4]]);
    expect(groupObjects([], 700)).toEqual([]);
  });

  it('cuts only row-local tables out of a transform run, the rest stays in the base unit', () => {
    const table = (rows: number[]) => ({ rows: rows.reduce((a, b) => a + b, 0), objects: rows.map(object), watermark: { from: null, to: null }, snapshot: null, columns: [] });
    const extract = {
      version: 1 as const, stage: 'extract' as const, runId: 'r', source: 'totesys', format: 'csv.gz' as const, startedAt: '', finishedAt: '',
      tables: { sales_order: table([700, 700, 600]), payment: table([500]), staff: table([700, 700]) },
    };
    expect(planTotesysUnits(extract, 700)).toEqual([
      { id: 'base', without: ['sales_order'] },
      { id: 'sales_order-00001', table: 'sales_order', objects: [0] },
      { id: 'sales_order-00002', table: 'sales_order', objects: [1] },
      { id: 'sales_order-00003', table: 'sales_order', objects: [2] },
    ]);
    expect(planTotesysUnits(extract, 10_000)).toEqual([{ id: 'base' }]);
  });

  it('loads dimensions before facts, each unit within the bound; a small run stays one transaction', () => {
    const entry = (kind: 'dimension' | 'fact', rows: number[]) => ({ kind, rows: rows.reduce((a, b) => a + b, 0), objects: rows.map(object) });
    const manifest: TransformManifest = {
      version: 1, stage: 'transform', runId: 'R', source: 'totesys', model: 'totesys', input: '', startedAt: '', finishedAt: '', quarantined: [],
      tables: { dim_staff: entry('dimension', [20]), dim_transaction: entry('dimension', [600, 600]), fact_sales_order: entry('fact', [700, 50]), fact_payment: entry('fact', [600]) },
    };
    const units = planLoadUnits(TOTESYS_STAR, manifest, 700)!;
    expect(units).toEqual([
      { id: '-R-00001', tables: { dim_staff: [0], dim_transaction: [0] } },
      { id: '-R-00002', tables: { dim_transaction: [1] } },
      { id: '-R-00003', tables: { fact_sales_order: [0] } },
      { id: '-R-00004', tables: { fact_sales_order: [1], fact_payment: [0] } },
    ]);
    expect(planLoadUnits(TOTESYS_STAR, manifest, 10_000)).toBeUndefined();
  });
});

describe('a backfilled run in units of 700 rows', () => {
  let sourceUrl: string;
  let reference: Awaited<ReturnType<typeof warehouseChecksums>>;
  const dirs: string[] = [];
  const lakeDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-units-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    sourceUrl = await createDatabase('unitsrc');
    await seedTotesys({ sourceUrl, generate: 2000 });
    const warehouseUrl = await createDatabase('unitref');
    await runPipeline({ ...totesys(sourceUrl, warehouseUrl, new LocalObjectStore(lakeDir()), { chunkRows: 700 }), checkpoint: () => undefined });
    reference = await warehouseChecksums(warehouseUrl);
    expect(reference.fact_sales_order.rows).toBe(2000);
  });

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('CLI loop: the same warehouse as whole runs, every load unit within 700 rows and recorded with its rows', async () => {
    const warehouseUrl = await createDatabase('unitcli');
    const lake = new LocalObjectStore(lakeDir());
    const summary = await runPipeline({ ...totesys(sourceUrl, warehouseUrl, lake, { chunkRows: 700 }), unitRows: 700, checkpoint: () => undefined });
    expect(await warehouseChecksums(warehouseUrl)).toEqual(reference);
    // The backfill's run was transformed in units: its sales orders (3 chunks) as 3 objects.
    const backfillRun = summary.transforms.find((t) => t.manifest.tables.fact_sales_order?.rows === 2000)!;
    expect(backfillRun.manifest.tables.fact_sales_order.objects.length).toBe(3);
    const units = await withClient(warehouseUrl, async (c) => (await c.query<{ run_id: string; summary: { tables: Array<{ staged: number }> } }>(`SELECT run_id, summary FROM tributary_load_runs WHERE run_id LIKE '-%' ORDER BY run_id`)).rows);
    expect(units.length).toBeGreaterThan(4);
    for (const u of units) expect(u.run_id.startsWith(`-${backfillRun.runId}-`)).toBe(true);
    for (const u of units) expect(u.summary.tables.reduce((n, t) => n + t.staged, 0)).toBeLessThanOrEqual(700);
    // The run itself is recorded once all its units are, so the next load starts after it.
    expect(await withClient(warehouseUrl, async (c) => (await c.query(`SELECT 1 FROM tributary_load_runs WHERE run_id = $1`, [backfillRun.runId])).rowCount)).toBe(1);
    // A second run changes nothing.
    await runPipeline({ ...totesys(sourceUrl, warehouseUrl, lake, { chunkRows: 700 }), unitRows: 700, checkpoint: () => undefined });
    expect(await warehouseChecksums(warehouseUrl)).toEqual(reference);
  });

  it('deployed path: the handlers take one unit per invocation until more is false, as the state machine loops', async () => {
    const warehouseUrl = await createDatabase('unitstep');
    const lakePath = lakeDir();
    const env = handlerEnv(sourceUrl, warehouseUrl, lakePath, 700);
    const plan = await backfillStage({ action: 'plan' }, env);
    if (plan.action !== 'plan' || !plan.backfillId) throw new Error('expected a backfill plan');
    const lake = new LocalObjectStore(lakePath);
    const chunks = JSON.parse((await lake.getText(plan.chunksKey!))!) as Array<{ table: string; index: number; lo: number; hi: number }>;
    for (const chunk of chunks) await backfillStage({ action: 'chunk', backfillId: plan.backfillId, chunk }, env);
    await backfillStage({ action: 'finish', backfillId: plan.backfillId }, env);
    const { runId } = await extractStage({}, env);
    const transformCalls: string[] = [];
    for (let more = true; more; ) {
      const out = await transformStage({ runId, step: true }, env);
      transformCalls.push(out.unit ?? `finish ${out.transformedRuns.join(',')}`);
      more = out.more;
      expect(transformCalls.length).toBeLessThan(40);
    }
    // The backfill run: base + 3 sales_order + 3 payment + 3 transaction units, then its finish; then the incremental run.
    expect(transformCalls.filter((c) => c.startsWith('sales_order-')).length).toBe(3);
    expect(transformCalls.filter((c) => c.startsWith('finish')).length).toBe(2);
    expect(await loadEveryUnit(runId, env)).toBeGreaterThan(5);
    expect(await warehouseChecksums(warehouseUrl)).toEqual(reference);
    const processed = await listManifestRunIds(lake, 'transform');
    expect(processed.length).toBe(2);
    expect((await readManifest<TransformManifest>(lake, 'transform', processed[0]))!.tables.fact_payment.objects.length).toBeGreaterThan(1);
  });
});

/**
 * Gap A of issue 16: an incremental run (no backfill) of more than `unitRows` rows is extracted
 * as objects of at most that many rows, so the transform and the load cut it into bounded units.
 */
describe('a large incremental run in units of 700 rows', () => {
  const CLI = resolve(__dirname, '..', '..', 'bin', 'tributary.js');
  // Above every table's size: nothing is backfilled, the first run is one incremental run.
  const NO_BACKFILL = 1_000_000;
  let sourceUrl: string;
  let reference: Awaited<ReturnType<typeof warehouseChecksums>>;
  let referenceRows: Record<string, number>;
  const dirs: string[] = [];
  const lakeDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-incr-units-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    sourceUrl = await createDatabase('incrsrc');
    await seedTotesys({ sourceUrl, generate: 2000 });
    const warehouseUrl = await createDatabase('incrref');
    const lake = new LocalObjectStore(lakeDir());
    // The whole-run result: every table one object, one transform unit, one load transaction.
    const whole = await runPipeline({ ...totesys(sourceUrl, warehouseUrl, lake, { chunkRows: NO_BACKFILL }), unitRows: 1_000_000, checkpoint: () => undefined });
    expect(whole.backfill).toBeUndefined();
    expect(whole.extract.manifest.tables.sales_order.objects.length).toBe(1);
    reference = await warehouseChecksums(warehouseUrl);
    referenceRows = await extractedRows(lake);
    expect(reference.fact_sales_order.rows).toBe(2000);
  });

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('extracts bounded objects (700, 700, 600), each verified by its checksum, and transforms and loads them in units to the whole-run warehouse', async () => {
    const warehouseUrl = await createDatabase('incrcli');
    const lake = new LocalObjectStore(lakeDir());
    const summary = await runPipeline({ ...totesys(sourceUrl, warehouseUrl, lake, { chunkRows: NO_BACKFILL }), unitRows: 700, checkpoint: () => undefined });
    expect(summary.backfill).toBeUndefined();
    const extract = summary.extract.manifest;
    expect(extract.tables.sales_order.objects.map((o) => o.rows)).toEqual([700, 700, 600]);
    for (const [table, entry] of Object.entries(extract.tables)) {
      // Every object full but the last, which is not empty; together exactly the table's rows.
      const rows = entry.objects.map((o) => o.rows);
      expect({ table, full: rows.slice(0, -1).every((n) => n === 700), last: rows.length === 0 || (rows.at(-1)! > 0 && rows.at(-1)! <= 700), sum: rows.reduce((a, n) => a + n, 0) }).toEqual({ table, full: true, last: true, sum: referenceRows[table] });
    }
    for (const table of ['payment', 'transaction']) expect(extract.tables[table].objects.length).toBeGreaterThanOrEqual(3);
    // Small tables stay one object; every object's key is its own and its checksum holds.
    expect(extract.tables.currency.objects.length).toBe(1);
    const keys = Object.values(extract.tables).flatMap((t) => t.objects.map((o) => o.key));
    expect(new Set(keys).size).toBe(keys.length);
    for (const object of Object.values(extract.tables).flatMap((t) => t.objects)) await verifyObject(lake, object, 'test', 'test');
    // The run's transform was cut into units along those objects (as planTotesysUnits plans it).
    expect(planTotesysUnits(extract, 700).filter((u) => u.table === 'sales_order').length).toBe(3);
    const run = summary.transforms.find((t) => t.runId === extract.runId)!;
    expect(run.manifest.tables.fact_sales_order.objects.length).toBe(3);
    const loadUnits = await withClient(warehouseUrl, async (c) => (await c.query<{ summary: { tables: Array<{ staged: number }> } }>(`SELECT summary FROM tributary_load_runs WHERE run_id LIKE $1`, [`-${extract.runId}-%`])).rows);
    expect(loadUnits.length).toBeGreaterThan(3);
    for (const u of loadUnits) expect(u.summary.tables.reduce((n, t) => n + t.staged, 0)).toBeLessThanOrEqual(700);
    expect(await warehouseChecksums(warehouseUrl)).toEqual(reference);
    expect(await extractedRows(lake)).toEqual(referenceRows);
  });

  it('deployed path: the transform handler takes the run object group by object group', async () => {
    const warehouseUrl = await createDatabase('incrstep');
    const lakePath = lakeDir();
    const env = handlerEnv(sourceUrl, warehouseUrl, lakePath, NO_BACKFILL);
    const { runId, rows } = await extractStage({}, env);
    expect(rows).toBe(Object.values(referenceRows).reduce((a, b) => a + b, 0));
    const units: string[] = [];
    for (let more = true; more; ) {
      const out = await transformStage({ runId, step: true }, env);
      if (out.unit) units.push(out.unit);
      more = out.more;
      expect(units.length).toBeLessThan(40);
    }
    expect(units.filter((u) => u.startsWith('sales_order-'))).toEqual(['sales_order-00001', 'sales_order-00002', 'sales_order-00003']);
    await loadEveryUnit(runId, env);
    expect(await warehouseChecksums(warehouseUrl)).toEqual(reference);
  });

  it('fanned out: plan, every unit of the run at once, finish; a unit outside the plan or a run not next is refused', async () => {
    const warehouseUrl = await createDatabase('incrfan');
    const lakePath = lakeDir();
    const env = handlerEnv(sourceUrl, warehouseUrl, lakePath, NO_BACKFILL);
    const { runId, runStartedAt } = await extractStage({}, env);
    // A budget smaller than the run: the plan lists that many units, the rest wait for the next plan.
    const capped = await transformStage({ runId, runStartedAt, action: 'plan', spent: 998, maxUnits: 1000 }, env);
    const plan = await transformStage({ runId, runStartedAt, action: 'plan', spent: 0, maxUnits: 1000 }, env);
    expect({ more: capped.more, transformRun: capped.transformRun, units: capped.units }).toEqual({ more: true, transformRun: runId, units: plan.units!.slice(0, 2) });
    expect(plan.units![0]).toBe('base');
    expect(plan.units!.filter((u) => u.startsWith('sales_order-'))).toEqual(['sales_order-00001', 'sales_order-00002', 'sales_order-00003']);
    expect(plan.unitCount).toBe(plan.units!.length);
    // Ids reach lake keys: only the plan's are taken, and only for the next pending run.
    await expect(transformStage({ runId, action: 'unit', transformRun: runId, unit: '../../escape' }, env)).rejects.toThrow(/is not a unit of the plan/);
    await expect(transformStage({ runId, action: 'unit', transformRun: '20200101T000000000Z-aaaaaa', unit: 'base' }, env)).rejects.toThrow(/is not the next pending run/);
    // Finishing before the units are done finishes nothing and says so.
    expect((await transformStage({ runId, action: 'finish', transformRun: runId }, env))).toMatchObject({ more: true, transformedRuns: [] });
    // Every unit at once, as the Map runs them (the Map's MaxConcurrency is a bound, not an order).
    // Through the Lambda handler, as the Map invokes it: the units run at once and, since the run
    // record is read and written whole, they leave it alone (their updates would race); the finish records.
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const quiet = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let finished: Awaited<ReturnType<typeof transformHandler>>;
    try {
      await Promise.all(plan.units!.map((unit) => transformHandler({ runId, runStartedAt, action: 'unit', transformRun: runId, unit })));
      expect((await readRunRecords(new LocalObjectStore(lakePath), 'totesys')).filter((r) => r.runId === runId)).toEqual([]);
      const again = await transformStage({ runId, action: 'plan', spent: 0, maxUnits: 1000 }, env);
      expect({ more: again.more, units: again.units }).toEqual({ more: true, units: [] });
      finished = await transformHandler({ runId, runStartedAt, action: 'finish', transformRun: runId });
    } finally {
      quiet.mockRestore();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
    expect((await readRunRecords(new LocalObjectStore(lakePath), 'totesys')).find((r) => r.runId === runId)?.steps.map((st) => st.step)).toEqual(['transform']);
    expect({ more: finished.more, transformedRuns: finished.transformedRuns }).toEqual({ more: false, transformedRuns: [runId] });
    expect(finished.rows).toBeGreaterThan(2000);
    expect((await transformStage({ runId, action: 'plan', spent: 0, maxUnits: 1000 }, env))).toMatchObject({ more: false, transformRun: '', units: [], unitCount: 0 });
    await loadEveryUnit(runId, env);
    expect(await warehouseChecksums(warehouseUrl)).toEqual(reference);
  });

  it.each(['extract.after-object:sales_order', 'extract.mid-copy:payment'])('a kill at %s, between or inside the objects of one table, is recovered with no row twice or missed', async (point) => {
    const lakePath = lakeDir();
    const warehouseUrl = await createDatabase('incrcrash');
    const crashed = spawnSync(process.execPath, [CLI, 'run', '--source', sourceUrl, '--warehouse', warehouseUrl, '--lake', lakePath, '--chunk-rows', String(NO_BACKFILL)], {
      env: { ...process.env, TRIBUTARY_FAULT: point, TRIBUTARY_UNIT_ROWS: '700' },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect({ point, signal: crashed.signal }).toEqual({ point, signal: 'SIGKILL' });
    const lake = new LocalObjectStore(lakePath);
    // The kill came after at least one finished object of the table, which no manifest lists.
    expect((await lake.list('raw/totesys/sales_order/')).length).toBeGreaterThanOrEqual(1);
    expect(await listManifestRunIds(lake, 'extract')).toEqual([]);
    await runPipeline({ ...totesys(sourceUrl, warehouseUrl, lake, { chunkRows: NO_BACKFILL }), unitRows: 700, checkpoint: () => undefined });
    expect(await warehouseChecksums(warehouseUrl)).toEqual(reference);
    expect(await extractedRows(lake)).toEqual(referenceRows);
  });
});
