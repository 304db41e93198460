import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { LocalObjectStore } from '../../runtime/lake/local';
import { listManifestRunIds, readManifest, type ExtractManifest, type TransformManifest } from '../../runtime/lake/manifest';
import { duckLiteral, openDuck } from '../../runtime/model/duckdb';
import { transformFinishRun, transformPlanNext, transformPlannedUnit, type TransformUnitSpec } from '../../runtime/model/pending';
import { RECURLY_MODEL, RECURLY_TABLES } from '../../runtime/model/recurly/tables';
import { planRecurlyUnits, transformRecurlyPending } from '../../runtime/model/recurly/transform';
import { loadIntoWarehouse } from '../../runtime/pipeline/load-step';
import { bindSource } from '../../runtime/pipeline/registry';
import { runPipeline } from '../../runtime/pipeline/run';
import { readState } from '../../runtime/state/watermarks';
import { extractRest } from '../../runtime/sources/rest/extract';
import { recurlyApi, recurlyEndpoints } from '../../runtime/sources/rest/recurly';
import { PostgresWarehouse } from '../../runtime/warehouse/postgres/warehouse';
import { recurly } from '../support/pipelines';
import { FakeRecurly, type FakeRecord } from '../support/recurly-server';
import { createDatabase } from '../support/services';
import { seededRandom } from '../support/seeded-random';

/**
 * The Recurly transform in bounded units: with 10 records a raw object and 25 rows a unit, an
 * endpoint of several objects is transformed in units of whole objects, each its own Parquet
 * part, and the run's merged manifest holds the same rows as the run transformed whole; a
 * transform and a load killed at random points and rerun end with the same rows, each version once.
 */
const KEY = 'rk_test_0a1b2c3d4e5f60718293';
const OBJECT_ROWS = 10;
const UNIT_ROWS = 25;
const SEED = Number(process.env.TRIBUTARY_KILL_SEED ?? Date.now() % 1_000_000);
const fast = { sleep: async () => undefined, backoffMs: () => 1 };
const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 0, minute)).toISOString();

const random = seededRandom;

/**
 * accounts: 60 ids, 30 of them with a second version, and two ids sharing an updated_at across
 * a page boundary (90 records: 9 objects); subscriptions 35 (4 objects); invoices 8 and
 * transactions 22 (one group each: they stay in the base unit).
 */
function seed(server: FakeRecurly): void {
  const accounts: FakeRecord[] = [];
  for (let i = 0; i < 60; i++) accounts.push({ id: `acc${i}`, updated_at: at(i === 7 ? 6 : i), code: `code-${i}`, state: 'active', email: `a${i}@example.com`, tax_exempt: i % 7 === 0, address: { country: 'GB' }, created_at: at(0) });
  for (let i = 0; i < 30; i++) accounts.push({ id: `acc${i}`, updated_at: at(100 + i), code: `code-${i}`, state: 'closed', email: null, created_at: at(0) });
  server.data.set('accounts', accounts);
  server.data.set('subscriptions', Array.from({ length: 35 }, (_, i) => ({ id: `sub${i}`, updated_at: at(200 + i), account: { id: `acc${i % 60}` }, plan: { code: 'gold' }, state: 'active', unit_amount: 9.99, quantity: 1 + (i % 3), auto_renew: true })));
  server.data.set('invoices', Array.from({ length: 8 }, (_, i) => ({ id: `inv${i}`, updated_at: at(300 + i), number: String(1000 + i), account: { id: `acc${i}` }, total: 19.98, state: 'paid' })));
  server.data.set('transactions', Array.from({ length: 22 }, (_, i) => ({ id: `tx${i}`, updated_at: at(400 + i), account: { id: `acc${i}` }, invoice: { id: `inv${i % 8}` }, subscription_ids: [`sub${i}`], amount: 19.98, success: i % 5 !== 0 })));
}

/** The second run: new versions of some accounts and subscriptions, new accounts. */
function secondRun(server: FakeRecurly): void {
  const accounts = server.data.get('accounts')!;
  for (let i = 0; i < 40; i++) accounts.push({ id: `acc${i % 20 === 0 ? i : 60 + i}`, updated_at: at(500 + i), code: `late-${i}`, state: 'active', created_at: at(500) });
  const subs = server.data.get('subscriptions')!;
  for (let i = 0; i < 12; i++) subs.push({ id: `sub${i}`, updated_at: at(600 + i), account: { id: 'acc1' }, plan: { code: 'silver' }, state: 'expired' });
}

/** Every row of a processed table of a run, read back from its Parquet objects, in version order. */
async function processedRows(lake: LocalObjectStore, manifest: TransformManifest, table: string): Promise<Record<string, unknown>[]> {
  const objects = manifest.tables[table]?.objects ?? [];
  if (objects.length === 0) return [];
  const dir = await mkdtemp(join(tmpdir(), 'rest-units-pq-'));
  const duck = await openDuck(dir);
  try {
    const files: string[] = [];
    for (const [i, o] of objects.entries()) {
      files.push(join(dir, `${i}.parquet`));
      await lake.download(o.key, files.at(-1)!);
    }
    return await duck.rows(`SELECT * FROM read_parquet([${files.map(duckLiteral).join(', ')}]) ORDER BY id, updated_at`);
  } finally {
    duck.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Each transform run's rows per table, from its merged manifest: what the load reads. */
async function processedByRun(lake: LocalObjectStore): Promise<Record<string, Record<string, Record<string, unknown>[]>>> {
  const out: Record<string, Record<string, Record<string, unknown>[]>> = {};
  for (const runId of await listManifestRunIds(lake, 'transform')) {
    const manifest = (await readManifest<TransformManifest>(lake, 'transform', runId))!;
    out[runId] = {};
    for (const t of RECURLY_TABLES) out[runId][t.table] = await processedRows(lake, manifest, t.table);
  }
  return out;
}

/** The warehouse's rows of every Recurly table (record ids left out: they follow load order). */
async function warehouseRows(url: string): Promise<Record<string, unknown[]>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of RECURLY_TABLES) {
      const res = await client.query(`SELECT ${t.columns.map((c) => `"${c.name}"::text`).join(', ')} FROM ${t.table} ORDER BY id, updated_at`);
      const dup = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${t.table} GROUP BY id, updated_at HAVING count(*) > 1) d`);
      expect(dup.rows[0].n).toBe(0);
      out[t.table] = res.rows;
    }
    return out;
  } finally {
    await client.end();
  }
}

const rowsOf = (extract: ExtractManifest, source: string, unit: TransformUnitSpec) => unit.objects!.reduce((n, i) => n + extract.tables[source].objects[i].rows, 0);

describe(`Recurly transform in bounded units (kill seed ${SEED})`, () => {
  let api: FakeRecurly;
  let root: string;
  /** The lakes after the same two extract runs, before any transform: copies of one another. */
  let extracted: string;

  beforeAll(async () => {
    api = await new FakeRecurly(KEY).start();
    api.pageSize = 7; // pages cross object boundaries (10 records an object)
    seed(api);
    root = await mkdtemp(join(tmpdir(), 'rest-units-'));
    extracted = join(root, 'extracted');
    const lake = new LocalObjectStore(extracted);
    const extract = (runId: string) => extractRest({ lake, source: 'recurly', api: recurlyApi(KEY, api.url), endpoints: recurlyEndpoints(), http: fast, objectRows: OBJECT_ROWS, runId });
    const first = await extract('20240601T000000000Z-units1');
    secondRun(api);
    const second = await extract('20240602T000000000Z-units2');
    expect([first.failedTables, second.failedTables]).toEqual([[], []]);
    expect(first.manifest.tables.accounts.objects.map((o) => o.rows)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(second.manifest.tables.accounts.objects.map((o) => o.rows)).toEqual([10, 10, 10, 10]);
  });
  afterAll(async () => {
    await api.stop();
    await rm(root, { recursive: true, force: true });
  });

  /** A fresh copy of the extracted lake. */
  let copies = 0;
  async function lakeCopy(): Promise<LocalObjectStore> {
    const dir = join(root, `copy-${++copies}`);
    await cp(extracted, dir, { recursive: true });
    return new LocalObjectStore(dir);
  }

  it('plans units of whole objects within the bound; a single larger object is a unit alone', async () => {
    const lake = new LocalObjectStore(extracted);
    const extract = (await readManifest<ExtractManifest>(lake, 'extract', '20240601T000000000Z-units1'))!;
    const units = planRecurlyUnits(extract, UNIT_ROWS);
    expect(units[0]).toEqual({ id: 'base', without: ['accounts', 'subscriptions'] });
    expect(units.slice(1).map((u) => [u.id, u.objects])).toEqual([
      ['accounts-00001', [0, 1]],
      ['accounts-00002', [2, 3]],
      ['accounts-00003', [4, 5]],
      ['accounts-00004', [6, 7]],
      ['accounts-00005', [8]],
      ['subscriptions-00001', [0, 1]],
      ['subscriptions-00002', [2, 3]],
    ]);
    for (const unit of units.slice(1)) expect(rowsOf(extract, unit.table!, unit)).toBeLessThanOrEqual(UNIT_ROWS);
    // The base unit's tables are each one group: none above the bound.
    for (const t of ['invoices', 'transactions']) expect(extract.tables[t].rows).toBeLessThanOrEqual(UNIT_ROWS);
    // Objects larger than the bound (an extract at a larger objectRows): one unit each.
    const large = planRecurlyUnits(extract, 15);
    expect(large.filter((u) => u.table === 'accounts').map((u) => u.objects)).toEqual([[0], [1], [2], [3], [4], [5], [6], [7], [8]]);
    const big = { ...extract, tables: { ...extract.tables, accounts: { ...extract.tables.accounts, objects: extract.tables.accounts.objects.map((o, i) => ({ ...o, rows: i === 3 ? 40 : 10 })) } } };
    expect(planRecurlyUnits(big, UNIT_ROWS).filter((u) => u.table === 'accounts').map((u) => u.objects)).toEqual([[0, 1], [2], [3], [4, 5], [6, 7], [8]]);
    // At the default bound a run is one unit, as before.
    expect(planRecurlyUnits(extract, 1_000_000)).toEqual([{ id: 'base' }]);
    // Only the endpoints the pipeline models are cut.
    expect(planRecurlyUnits(extract, UNIT_ROWS, RECURLY_TABLES.filter((t) => t.source !== 'accounts'))[0]).toEqual({ id: 'base', without: ['subscriptions'] });
  });

  let whole: Awaited<ReturnType<typeof processedByRun>>;
  let wholeLake: LocalObjectStore;

  it('merges the units into the same rows, table by table, as the run transformed whole', async () => {
    wholeLake = await lakeCopy();
    const wholeRuns = await transformRecurlyPending({ lake: wholeLake, source: 'recurly', unitRows: 1_000_000 });
    expect(wholeRuns.map((r) => Object.values(r.manifest.tables).map((t) => t.objects.length))).toEqual([[1, 1, 1, 1], [1, 1]]);
    whole = await processedByRun(wholeLake);

    const lake = await lakeCopy();
    const units = await transformRecurlyPending({ lake, source: 'recurly', unitRows: UNIT_ROWS });
    expect(units.map((r) => r.runId)).toEqual(wholeRuns.map((r) => r.runId));
    const [first, second] = units.map((r) => r.manifest);
    expect(first.tables.recurly_accounts.objects.map((o) => o.rows)).toEqual([20, 20, 20, 20, 10]);
    expect(first.tables.recurly_subscriptions.objects.map((o) => o.rows)).toEqual([20, 15]);
    expect(first.tables.recurly_invoices.objects.map((o) => o.rows)).toEqual([8]);
    expect(second.tables.recurly_accounts.objects.map((o) => o.rows)).toEqual([20, 20]);
    // Each unit's part is its own object: parts 1..n of the split tables, part 0 the base's.
    const keys = units.flatMap((r) => Object.values(r.manifest.tables).flatMap((t) => t.objects.map((o) => o.key)));
    expect(new Set(keys).size).toBe(keys.length);
    expect(first.tables.recurly_accounts.objects.map((o) => Number(/-(\d+)\.parquet$/.exec(o.key)?.[1]))).toEqual([1, 2, 3, 4, 5]);
    expect(first.tables.recurly_subscriptions.objects.map((o) => Number(/-(\d+)\.parquet$/.exec(o.key)?.[1]))).toEqual([6, 7]);
    expect(Number(/-(\d+)\.parquet$/.exec(first.tables.recurly_invoices.objects[0].key)?.[1])).toBe(0);
    // Row for row (raw_json included), and each manifest's counts are its objects'.
    expect(await processedByRun(lake)).toEqual(whole);
    expect(whole['20240601T000000000Z-units1'].recurly_accounts).toHaveLength(90);
    expect(whole['20240602T000000000Z-units2'].recurly_subscriptions).toHaveLength(12);
    for (const m of [first, second]) for (const t of Object.values(m.tables)) expect(t.rows).toBe(t.objects.reduce((n, o) => n + o.rows, 0));
    // The pointer moved with the base unit, to the last run.
    expect((await readState<{ lastRunId: string }>(lake, 'recurly', '_transform'))?.value.lastRunId).toBe('20240602T000000000Z-units2');
  });

  it('ends with the same processed rows and warehouse rows, each version once, after kills at random points', async () => {
    const next = random(SEED);
    const lake = await lakeCopy();
    const points = ['transform.before-unit-result', 'transform.after-object:recurly_accounts', 'transform.before-manifest', 'transform.after-manifest'];
    let kills = 0;
    for (let attempt = 0; ; attempt++) {
      expect(attempt).toBeLessThan(60);
      // Each attempt dies at the k-th fault point it reaches (k in 1..4), until one gets through.
      let left = 1 + Math.floor(next() * 4);
      const checkpoint = (point: string) => {
        if (points.includes(point) && --left === 0) throw new Error(`killed at ${point}`);
      };
      try {
        await transformRecurlyPending({ lake, source: 'recurly', unitRows: UNIT_ROWS, checkpoint });
        break;
      } catch (err) {
        expect((err as Error).message).toMatch(/^killed at /);
        kills++;
      }
    }
    expect(kills).toBeGreaterThan(3);
    expect(await processedByRun(lake)).toEqual(whole);
    // A redone unit overwrote its own part: the processed zone holds exactly the manifests' objects.
    const referenced = new Set<string>();
    for (const runId of await listManifestRunIds(lake, 'transform')) {
      for (const t of Object.values((await readManifest<TransformManifest>(lake, 'transform', runId))!.tables)) for (const o of t.objects) referenced.add(o.key);
    }
    expect(new Set(await lake.list('processed/'))).toEqual(referenced);

    // The units' runs load in units of 25 rows, killed at random too; the whole runs load whole.
    const unitsUrl = await createDatabase('rest_units');
    let loadKills = 0;
    for (let attempt = 0; ; attempt++) {
      expect(attempt).toBeLessThan(100);
      // A load unit passes six fault points (its commit after the fourth): the k-th of up to 15
      // lands in any of the next three units, inside or after its transaction.
      let left = 1 + Math.floor(next() * 15);
      const checkpoint = (point: string) => {
        if (point.startsWith('load.') && --left === 0) throw new Error(`killed at ${point}`);
      };
      try {
        await loadIntoWarehouse(await PostgresWarehouse.connect(unitsUrl, RECURLY_MODEL), lake, 'recurly', { model: RECURLY_MODEL, unitRows: UNIT_ROWS, checkpoint });
        break;
      } catch (err) {
        expect((err as Error).message).toMatch(/^killed at /);
        loadKills++;
      }
    }
    expect(loadKills).toBeGreaterThan(0);
    const wholeUrl = await createDatabase('rest_whole');
    await loadIntoWarehouse(await PostgresWarehouse.connect(wholeUrl, RECURLY_MODEL), wholeLake, 'recurly', { model: RECURLY_MODEL });
    const expected = await warehouseRows(wholeUrl);
    expect(expected.recurly_accounts).toHaveLength(90 + 40);
    expect(await warehouseRows(unitsUrl)).toEqual(expected);
    // Loading every run again (a replayed or doubled load) adds no version.
    const wh = await PostgresWarehouse.connect(unitsUrl, RECURLY_MODEL);
    try {
      for (const runId of await listManifestRunIds(lake, 'transform')) await wh.loadRun(lake, (await readManifest<TransformManifest>(lake, 'transform', runId))!);
    } finally {
      await wh.close();
    }
    expect(await warehouseRows(unitsUrl)).toEqual(expected);
  });

  it('fans a run\'s units out (the state machine\'s plan, units at once in any order, finish) to the same rows', async () => {
    const lake = await lakeCopy();
    // The deployed binding's units, as the transform function gets them.
    const units = bindSource({ kind: 'rest', apiKey: KEY, apiUrl: api.url }).transformUnits({ lake, source: 'recurly' });
    const planned: string[][] = [];
    for (;;) {
      const plan = await transformPlanNext(lake, 'recurly', units, UNIT_ROWS, 1000);
      if (!plan.more) break;
      planned.push(plan.units);
      // Independent units: all at once, the last first; the pointer moves only at the finish.
      await Promise.all([...plan.units].reverse().map((id) => transformPlannedUnit(lake, 'recurly', units, plan.runId, id)));
      expect((await transformFinishRun(lake, 'recurly', plan.runId)).finished?.runId).toBe(plan.runId);
    }
    expect(planned.map((u) => u.length)).toEqual([8, 3]);
    expect(await processedByRun(lake)).toEqual(whole);
  });

  it('runs the pipeline in units at the pipeline\'s unitRows (extract objects, transform units, load units)', async () => {
    const server = await new FakeRecurly(KEY).start();
    server.pageSize = 7;
    seed(server);
    const dir = join(root, 'pipeline');
    try {
      const lake = new LocalObjectStore(dir);
      const url = await createDatabase('rest_pipeline_units');
      const summary = await runPipeline({ ...recurly({ apiKey: KEY, apiUrl: server.url, lake, warehouse: { kind: 'postgres', url }, http: fast }), unitRows: UNIT_ROWS });
      const [transform] = summary.transforms;
      // The extract cut objects of 25 records; the transform kept them one unit each.
      expect(transform.manifest.tables.recurly_accounts.objects.map((o) => o.rows)).toEqual([25, 25, 25, 15]);
      expect(transform.manifest.tables.recurly_subscriptions.objects.map((o) => o.rows)).toEqual([25, 10]);
      expect(transform.manifest.tables.recurly_transactions.objects.map((o) => o.rows)).toEqual([22]);
      const plan = await readState<{ units: TransformUnitSpec[] }>(lake, 'recurly', `_transform_units/${transform.runId}/plan`);
      expect(plan?.value.units.map((u) => u.id)).toEqual(['base', 'accounts-00001', 'accounts-00002', 'accounts-00003', 'accounts-00004', 'subscriptions-00001', 'subscriptions-00002']);
      const rows = await warehouseRows(url);
      expect(Object.fromEntries(Object.entries(rows).map(([t, r]) => [t, r.length]))).toEqual({ recurly_accounts: 90, recurly_subscriptions: 35, recurly_invoices: 8, recurly_transactions: 22 });
      // The load ran in units too: their records, then the run's own.
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const records = (await client.query<{ run_id: string }>('SELECT run_id FROM tributary_load_runs ORDER BY run_id')).rows.map((r) => r.run_id);
        expect(records.filter((r) => r.startsWith(`-${transform.runId}-`)).length).toBeGreaterThan(1);
        expect(records).toContain(transform.runId);
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
  });
});
