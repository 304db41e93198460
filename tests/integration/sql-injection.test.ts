import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { backfillStage, type BackfillEvent } from '../../runtime/handlers/backfill';
import { LocalObjectStore } from '../../runtime/lake/local';
import { runPipeline } from '../../runtime/pipeline/run';
import { recurly } from '../support/pipelines';
import { activePlan, planBackfill, runBackfillChunk, type BackfillPlan } from '../../runtime/sources/postgres/backfill';
import { extractPostgres } from '../../runtime/sources/postgres/extract';
import { seedTotesys } from '../../runtime/sources/postgres/seed';
import { queryOne } from '../../runtime/sources/postgres/statement';
import { TOTESYS_TABLES } from '../../runtime/sources/postgres/tables';
import { readState, writeState, type TableState } from '../../runtime/state/watermarks';
import { FakeRecurly } from '../support/recurly-server';
import { createDatabase } from '../support/services';

/** Each payload, if it ever ran as SQL, would leave a table `pwned` behind. */
const PWN = 'CREATE TABLE pwned (x int)';
const DESIGN = TOTESYS_TABLES.filter((t) => t.name === 'design');

describe('values that reach SQL from an event, a lake object, config or a REST payload', () => {
  let sourceUrl: string;
  let source: Client;
  let dir: string;
  let lake: LocalObjectStore;
  let plan: BackfillPlan;

  const pwned = async (client: Client = source) => (await client.query<{ t: string | null }>("SELECT to_regclass('pwned')::text AS t")).rows[0].t;

  beforeAll(async () => {
    sourceUrl = await createDatabase('inject');
    await seedTotesys({ sourceUrl });
    source = new Client({ connectionString: sourceUrl });
    await source.connect();
    dir = await mkdtemp(join(tmpdir(), 'inject-lake-'));
    lake = new LocalObjectStore(dir);
    // design has 473 rows: three chunks of at most 200.
    plan = (await planBackfill({ sourceUrl, lake, source: 'inject', tables: DESIGN, chunkRows: 200 }))!;
    expect(plan.chunks.length).toBe(3);
  });
  afterAll(async () => {
    await source.end();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => expect(await pwned()).toBeNull());

  it('sends one statement per query: the extended protocol refuses a second one', async () => {
    await expect(queryOne(source, `SELECT 1; ${PWN}`)).rejects.toThrow('cannot insert multiple commands into a prepared statement');
  });

  it('refuses a backfill event whose chunk carries SQL or is not a chunk of the plan', async () => {
    const env = { TRIBUTARY_LAKE: dir, TRIBUTARY_SOURCE_NAME: 'inject', TRIBUTARY_SOURCE_URL: sourceUrl };
    const chunkEvent = (chunk: unknown) => backfillStage({ action: 'chunk', backfillId: plan.backfillId, chunk } as unknown as BackfillEvent, env);
    const [first] = plan.chunks;
    await expect(chunkEvent({ ...first, lo: `0; ${PWN}; --` })).rejects.toThrow(`backfill ${plan.backfillId}: chunk lo of design is not an integer`);
    await expect(chunkEvent({ ...first, hi: `1) TO STDOUT; ${PWN}; COPY (SELECT 1` })).rejects.toThrow('chunk hi of design is not an integer');
    await expect(chunkEvent({ ...first, table: `design"; ${PWN}; --` })).rejects.toThrow('chunk table is not a table of the plan');
    await expect(chunkEvent({ ...first, lo: 1.5 })).rejects.toThrow('chunk lo of design is not an integer');
    // Well-formed but wider than planned: it would read rows past the plan's snapshot.
    await expect(chunkEvent({ ...first, lo: -1e15, hi: 1e15 })).rejects.toThrow('chunk design#0 is not a chunk of the plan');
    await expect(chunkEvent(null)).rejects.toThrow('a chunk must be an object');
    expect((await lake.list('state/inject/_backfill/')).filter((k) => !/\/(plan|chunks)\.json$/.test(k))).toEqual([]);
    // The planned chunk itself still runs.
    await expect(chunkEvent(first)).resolves.toMatchObject({ action: 'chunk', skipped: false, rows: expect.any(Number) });
  });

  it('refuses a plan or chunk list in the lake that carries SQL, and keeps its watermark a literal', async () => {
    const key = `state/inject/_backfill/${plan.backfillId}/plan.json`;
    const original = (await lake.getText(key))!;
    try {
      await lake.put(key, JSON.stringify({ ...plan, chunks: [{ ...plan.chunks[1], lo: `0; ${PWN}` }] }));
      await expect(activePlan(lake, 'inject')).rejects.toThrow('backfill plan of inject: chunk lo of design is not an integer');
      await lake.put(key, JSON.stringify({ ...plan, backfillId: `../../x'; ${PWN}` }));
      await expect(activePlan(lake, 'inject')).rejects.toThrow('backfillId is not a run id');
      // A watermark is bound as a quoted literal: the quote cannot close it, the cast refuses it.
      const tampered = { ...plan, tables: { design: { ...plan.tables.design, watermark: `2030-01-01'; ${PWN}; --` } } };
      await lake.put(key, JSON.stringify(tampered));
      const read = (await activePlan(lake, 'inject'))!;
      await expect(runBackfillChunk({ sourceUrl, lake, tables: DESIGN }, read, read.chunks[1])).rejects.toThrow(/invalid input syntax for type timestamp/);
    } finally {
      await lake.put(key, original);
    }
  });

  it('keeps a watermark and snapshot read from lake state as literals', async () => {
    const src = 'inject_state';
    await extractPostgres({ sourceUrl, lake, source: src, tables: DESIGN });
    const stored = (await readState<TableState>(lake, src, 'design'))!;
    await writeState(lake, src, 'design', { ...stored.value, watermark: `2020-01-01') OR (1=1; ${PWN}; --` }, stored.tag);
    await expect(extractPostgres({ sourceUrl, lake, source: src, tables: DESIGN })).rejects.toThrow(/invalid input syntax for type timestamp/);
    const again = (await readState<TableState>(lake, src, 'design'))!;
    await writeState(lake, src, 'design', { ...stored.value, snapshot: `1:2:'::txid_snapshot); ${PWN}; --` }, again.tag);
    await expect(extractPostgres({ sourceUrl, lake, source: src, tables: DESIGN })).rejects.toThrow(/invalid input syntax for type (txid|pg)_snapshot/);
  });

  it('refuses config and reconcile keys that carry SQL', async () => {
    const src = 'inject_config';
    await extractPostgres({ sourceUrl, lake, source: src, tables: DESIGN });
    await expect(extractPostgres({ sourceUrl, lake, source: src, tables: DESIGN, lookback: `1 hour'::interval); ${PWN}; --` })).rejects.toThrow(
      /invalid input syntax for type interval/,
    );
    await expect(planBackfill({ sourceUrl, lake, source: 'inject_rows', tables: DESIGN, chunkRows: Number('1; DROP') })).rejects.toThrow('chunk rows must be a positive integer, got NaN');
    const ids = [`1}'::bigint[]); ${PWN}; --`] as unknown as number[];
    await expect(extractPostgres({ sourceUrl, lake, source: src, tables: DESIGN, only: { design: ids } })).rejects.toThrow(/reconcile of design: key .* is not an integer/);
  });

  it('carries REST payload fields as data: they reach the warehouse verbatim and run nothing', async () => {
    const key = 'rk_test_inject_0123456789';
    const api = await new FakeRecurly(key).start();
    const warehouseUrl = await createDatabase('inject_wh');
    const hostile = {
      code: `x'); DROP TABLE tributary_load_runs; --`,
      email: `"; ${PWN}; --`,
      state: `\\'; ${PWN}; --`,
    };
    api.data.set('accounts', [{ id: `acc'1"; ${PWN}`, updated_at: '2024-05-01T10:00:00Z', ...hostile }]);
    const restLake = new LocalObjectStore(await mkdtemp(join(tmpdir(), 'inject-rest-')));
    const warehouse = new Client({ connectionString: warehouseUrl });
    await warehouse.connect();
    try {
      await runPipeline(recurly({ apiKey: key, apiUrl: api.url, lake: restLake, warehouse: { kind: 'postgres', url: warehouseUrl }, endpoints: ['accounts'], http: { sleep: async () => undefined } }));
      const rows = await warehouse.query('SELECT id, code, email, state FROM recurly_accounts');
      expect(rows.rows).toEqual([{ id: `acc'1"; ${PWN}`, ...hostile }]);
      expect((await warehouse.query('SELECT count(*)::int AS n FROM tributary_load_runs')).rows[0].n).toBe(1);
      expect(await pwned(warehouse)).toBeNull();
    } finally {
      await warehouse.end();
      await api.stop();
      await rm(restLake.location, { recursive: true, force: true });
    }
  });
});
