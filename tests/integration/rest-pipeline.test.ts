import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runCommand, type CliIo } from '../../runtime/cli/commands';
import { UsageError } from '../../runtime/config/urls';
import { LocalObjectStore } from '../../runtime/lake/local';
import type { TransformManifest } from '../../runtime/lake/manifest';
import { duckLiteral, openDuck } from '../../runtime/model/duckdb';
import { runPipeline } from '../../runtime/pipeline/run';
import { recurly } from '../support/pipelines';
import { RECURLY_MODEL } from '../../runtime/model/recurly/tables';
import { PostgresWarehouse } from '../../runtime/warehouse/postgres/warehouse';
import { loadBlock, unitSuffix } from '../../runtime/warehouse/snowflake/block';
import { parseSnowflakeUrl } from '../../runtime/warehouse/snowflake/config';
import { FakeRecurly } from '../support/recurly-server';
import { createDatabase } from '../support/services';
import { FakeSnowflake, WarehouseSim } from '../support/snowflake-server';

const KEY = 'rk_test_5a4b3c2d1e0f99887766';
const SF_PASSWORD = 'snowPw-8c7b6a5d';

function seed(server: FakeRecurly): void {
  server.data.set('accounts', [
    { id: 'acc1', updated_at: '2024-05-01T10:00:00Z', code: 'alice', state: 'active', email: 'a@example.com', tax_exempt: false, address: { country: 'GB' }, created_at: '2024-04-01T09:00:00Z' },
    { id: 'acc2', updated_at: '2024-05-01T10:00:00Z', code: 'bob', state: 'closed', email: null, created_at: '2024-04-02T09:00:00+02:00' },
  ]);
  server.data.set('subscriptions', [
    { id: 'sub1', updated_at: '2024-05-02T00:00:00Z', account: { id: 'acc1' }, plan: { code: 'gold' }, state: 'active', currency: 'GBP', unit_amount: 9.99, quantity: 2, auto_renew: true },
  ]);
  server.data.set('invoices', [{ id: 'inv1', updated_at: '2024-05-03T00:00:00Z', number: '1001', account: { id: 'acc1' }, total: 19.98, paid: 19.98, balance: 0, state: 'paid' }]);
  server.data.set('transactions', [
    { id: 'tx1', updated_at: '2024-05-03T00:00:01Z', account: { id: 'acc1' }, invoice: { id: 'inv1' }, subscription_ids: ['sub1'], amount: 19.98, success: true, payment_method: { object: 'credit_card' }, type: 'purchase' },
  ]);
}

/** COPY's row count, as Snowflake would report it: the rows the transform wrote to that object. */
function processedRows(lakeDir: string, key: string): number {
  const folder = join(lakeDir, 'manifests', 'transform');
  for (const file of readdirSync(folder)) {
    const m = JSON.parse(readFileSync(join(folder, file), 'utf8')) as TransformManifest;
    for (const t of Object.values(m.tables)) for (const o of t.objects) if (o.key === key) return o.rows;
  }
  return 0;
}

async function parquetRows(lake: LocalObjectStore, key: string, typed = 'updated_at'): Promise<Record<string, unknown>[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pq-'));
  const duck = await openDuck(dir);
  try {
    await lake.download(key, join(dir, 'f.parquet'));
    return await duck.rows(`SELECT * EXCLUDE (raw_json), typeof(${typed}) AS t_type FROM read_parquet(${duckLiteral(join(dir, 'f.parquet'))}) ORDER BY id`);
  } finally {
    duck.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('Recurly → lake → warehouse pipeline', () => {
  let api: FakeRecurly;
  let sf: FakeSnowflake;
  let sim: WarehouseSim;
  let dir: string;
  let lake: LocalObjectStore;
  const fast = { sleep: async () => undefined, backoffMs: () => 1 };

  beforeEach(async () => {
    api = await new FakeRecurly(KEY).start();
    api.pageSize = 2;
    seed(api);
    sf = await new FakeSnowflake().start();
    dir = await mkdtemp(join(tmpdir(), 'recurly-lake-'));
    lake = new LocalObjectStore(dir);
    sim = new WarehouseSim(sf, (key) => processedRows(dir, key));
  });
  afterEach(async () => {
    await api.stop();
    await sf.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const snowflakeConfig = () => parseSnowflakeUrl(`snowflake://loader:${SF_PASSWORD}@acme/ANALYTICS/RECURLY?stage=LAKE_STAGE&accessUrl=${encodeURIComponent(sf.url)}`);

  it('types the four endpoints and loads them into Snowflake once; a run with nothing new changes nothing', async () => {
    const summary = await runPipeline(recurly({
      apiKey: KEY,
      apiUrl: api.url,
      lake,
      warehouse: { kind: 'snowflake', config: snowflakeConfig() },
      http: fast,
      runId: '20240506T000000000Z-run001',
    }));
    expect(summary.failedTables).toEqual([]);
    expect(Object.fromEntries(Object.entries(summary.extract.manifest.tables).map(([k, t]) => [k, t.rows]))).toEqual({ accounts: 2, subscriptions: 1, invoices: 1, transactions: 1 });
    const transform = summary.transforms[0].manifest;
    expect(Object.fromEntries(Object.entries(transform.tables).map(([k, t]) => [k, [t.kind, t.rows]]))).toEqual({
      recurly_accounts: ['table', 2],
      recurly_subscriptions: ['table', 1],
      recurly_invoices: ['table', 1],
      recurly_transactions: ['table', 1],
    });
    const accounts = await parquetRows(lake, transform.tables.recurly_accounts.objects[0].key);
    expect(accounts.map((r) => [r.id, r.updated_at, r.code, r.email, r.tax_exempt, r.billing_country, r.created_at, r.t_type])).toEqual([
      ['acc1', '2024-05-01 10:00:00', 'alice', 'a@example.com', false, 'GB', '2024-04-01 09:00:00', 'TIMESTAMP'],
      ['acc2', '2024-05-01 10:00:00', 'bob', null, null, null, '2024-04-02 07:00:00', 'TIMESTAMP'],
    ]);
    const [sub] = await parquetRows(lake, transform.tables.recurly_subscriptions.objects[0].key, 'unit_amount');
    expect([sub.account_id, sub.plan_code, sub.unit_amount, sub.quantity, sub.auto_renew, sub.t_type]).toEqual(['acc1', 'gold', '9.990000', 2, true, 'DECIMAL(38,6)']);
    const [tx] = await parquetRows(lake, transform.tables.recurly_transactions.objects[0].key);
    expect([tx.account_id, tx.invoice_id, tx.subscription_id, tx.payment_method, tx.success]).toEqual(['acc1', 'inv1', 'sub1', 'credit_card', true]);

    // The load: the runs-table checks, then the unit's block, waited on in the session.
    const sent = sf.statements.slice(sf.statements.findIndex((s) => s.startsWith('SELECT MAX')));
    expect(sent.slice(0, 2).map((s) => s.split(' FROM')[0])).toEqual(['SELECT MAX("RUN_ID") AS "RUN_ID"', 'SELECT COUNT(*) AS "N"']);
    expect(sent[2]).toBe(loadBlock(RECURLY_MODEL, transform, 'LAKE_STAGE').sql.replace(/\s+/g, ' ').trim());
    const suffix = unitSuffix(transform.runId).toUpperCase();
    const load = sf.ran;
    expect(load.map((s) => s.split(' (')[0].split(' FROM')[0])).toEqual([
      'SELECT COUNT(*) AS "N"',
      ...['ACCOUNTS', 'SUBSCRIPTIONS', 'INVOICES', 'TRANSACTIONS'].flatMap((t) => [`CREATE OR REPLACE TABLE "STAGE_RECURLY_${t}${suffix}"`, `COPY INTO "STAGE_RECURLY_${t}${suffix}"`]),
      'BEGIN',
      'INSERT INTO "RECURLY_ACCOUNTS"',
      'INSERT INTO "RECURLY_SUBSCRIPTIONS"',
      'INSERT INTO "RECURLY_INVOICES"',
      'INSERT INTO "RECURLY_TRANSACTIONS"',
      'INSERT INTO "TRIBUTARY_LOAD_RUNS"',
      'COMMIT',
      ...['ACCOUNTS', 'SUBSCRIPTIONS', 'INVOICES', 'TRANSACTIONS'].map((t) => `DROP TABLE IF EXISTS "STAGE_RECURLY_${t}${suffix}"`),
    ]);
    expect(load[2]).toBe(`COPY INTO "STAGE_RECURLY_ACCOUNTS${suffix}" FROM @LAKE_STAGE/${transform.tables.recurly_accounts.objects[0].key} FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = TRUE`);
    expect(load[10]).toContain('WHERE NOT EXISTS (SELECT 1 FROM "RECURLY_ACCOUNTS" f WHERE EQUAL_NULL(f."ID", s."ID") AND EQUAL_NULL(f."UPDATED_AT", s."UPDATED_AT"))');
    expect(sf.statements.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS "RECURLY_ACCOUNTS"'))).toContain('"UPDATED_AT" TIMESTAMP_NTZ NOT NULL');
    expect([...sim.committed]).toEqual([['20240506T000000000Z-run001', 'recurly']]);

    // Nothing new upstream: nothing extracted, nothing to stage, the run recorded with no table.
    sf.queries.length = 0;
    sf.ran.length = 0;
    const again = await runPipeline(recurly({ apiKey: KEY, apiUrl: api.url, lake, warehouse: { kind: 'snowflake', config: snowflakeConfig() }, http: fast, runId: '20240506T010000000Z-run002' }));
    expect(Object.values(again.extract.manifest.tables).map((t) => t.rows)).toEqual([0, 0, 0, 0]);
    expect(again.transforms[0].manifest.tables).toEqual({});
    expect(sf.ran.filter((s) => /^(COPY|MERGE INTO "RECURLY|INSERT INTO "RECURLY)/.test(s))).toEqual([]);
    expect([...sim.committed.keys()]).toEqual(['20240506T000000000Z-run001', '20240506T010000000Z-run002']);
    const everything = JSON.stringify(sf.queries) + JSON.stringify(sf.logins.map((l) => ({ ...l, PASSWORD: undefined })));
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(SF_PASSWORD);
  });

  it('lands versions in PostgreSQL too: one row per id + updated_at, replays change nothing', async () => {
    const url = await createDatabase('recurly');
    const warehouse = { kind: 'postgres' as const, url };
    const first = await runPipeline(recurly({ apiKey: KEY, apiUrl: api.url, lake, warehouse, http: fast, endpoints: ['accounts', 'transactions'] }));
    const accounts = api.data.get('accounts')!;
    accounts.push({ ...accounts[0], updated_at: '2024-05-04T00:00:00Z', state: 'past_due' });
    accounts.push({ id: 'acc3', updated_at: '2024-05-01T10:00:00Z', code: 'carol' });
    const second = await runPipeline(recurly({ apiKey: KEY, apiUrl: api.url, lake, warehouse, http: fast, endpoints: ['accounts', 'transactions'] }));
    expect(second.extract.manifest.tables.accounts.rows).toBe(2);
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const res = await client.query<{ id: string; updated_at: string; state: string | null }>(
        `SELECT id, to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS') AS updated_at, state FROM recurly_accounts ORDER BY id, updated_at`,
      );
      expect(res.rows).toEqual([
        { id: 'acc1', updated_at: '2024-05-01T10:00:00', state: 'active' },
        { id: 'acc1', updated_at: '2024-05-04T00:00:00', state: 'past_due' },
        { id: 'acc2', updated_at: '2024-05-01T10:00:00', state: 'closed' },
        { id: 'acc3', updated_at: '2024-05-01T10:00:00', state: null },
      ]);
      const runs = await client.query('SELECT run_id FROM tributary_load_runs WHERE source = $1', ['recurly']);
      expect(runs.rowCount).toBe(2);
      expect((await client.query('SELECT count(*)::int AS n FROM recurly_transactions')).rows[0].n).toBe(1);
      // Replaying the first run's processed manifest is detected and changes nothing.
      const wh = await PostgresWarehouse.connect(url, RECURLY_MODEL);
      try {
        expect((await wh.loadRun(lake, first.transforms[0].manifest)).loaded).toBe(false);
      } finally {
        await wh.close();
      }
      expect((await client.query('SELECT count(*)::int AS n FROM recurly_accounts')).rows[0].n).toBe(4);
    } finally {
      await client.end();
    }
  });

  it('runs from the CLI: tributary run --pipeline recurly … --warehouse snowflake://…', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false, env: { TRIBUTARY_RECURLY_API_KEY: KEY } };
    const code = await runCommand(
      ['--pipeline', 'recurly', '--api-url', api.url, '--lake', dir, '--warehouse', `snowflake://loader:${SF_PASSWORD}@acme/ANALYTICS/RECURLY?stage=LAKE_STAGE&accessUrl=${encodeURIComponent(sf.url)}`],
      io,
    );
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/accounts\s+│?\s*2/);
    expect(text).toMatch(/recurly_accounts\s+│?\s*2\s+│?\s*1/);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(SF_PASSWORD);
    for (const file of await readdir(dir, { recursive: true })) {
      if (file.endsWith('.json')) expect(await readFile(join(dir, file), 'utf8')).not.toContain(SF_PASSWORD);
    }

    await expect(runCommand(['--pipeline=recurly', '--lake', dir, '--warehouse', 'snowflake://u@a/D/S'], { ...io, env: {} })).rejects.toThrow(
      new UsageError('recurly: give --api-key-secret <secret id> or set TRIBUTARY_RECURLY_API_KEY'),
    );
    await expect(runCommand(['--pipeline', 'recurly', '--lake', dir], io)).rejects.toThrow(/give --warehouse snowflake:\/\/… \(or postgres:\/\/…\) or --warehouse-secret/);
    await expect(runCommand(['--pipeline', 'recurly', '--lake', dir, '--warehouse', 'snowflake://u@a/D'], io)).rejects.toThrow(/^--warehouse: snowflake: the URL needs/);
    await expect(runCommand(['--pipeline', 'recurly', '--lake', dir, '--api-url', 'ftp://x', '--warehouse', 'snowflake://u@a/D/S'], io)).rejects.toThrow('--api-url: expected an http(s) URL');
    await expect(runCommand(['--pipeline', 'recurly', '--lake', dir, '--endpoints', 'plans', '--warehouse', 'postgres://u@127.0.0.1:1/x'], io)).rejects.toThrow(/--endpoints: unknown Recurly endpoint "plans"/);
    await expect(runCommand(['--pipeline', 'recurly', '--bogus'], io)).rejects.toThrow(/unknown option --bogus; `tributary run --pipeline recurly --help` lists the options/);
  });
});
