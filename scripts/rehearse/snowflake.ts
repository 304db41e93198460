/**
 * The REST (Recurly) → Snowflake pipeline in the rehearsal: a local Recurly API
 * (tests/support/recurly-server.ts) seeded with a known set of record versions, and the local
 * Snowflake endpoint (tests/support/snowflake-server.ts, spoken to by the real snowflake-sdk in
 * the load bundle) behind which `SnowflakeTables` keeps the tables the load statements change.
 * COPY INTO reads the staged Parquet object itself from moto's processed bucket, as Snowflake's
 * external stage reads the lake root, so the warehouse counts come from what the deployed
 * transform wrote, de-duplicated by the version key the load's INSERT names.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckLiteral, openDuck } from '../../runtime/model/duckdb';
import { FakeRecurly, type FakeRecord } from '../../tests/support/recurly-server';
import { FakeSnowflake, WarehouseSim, type Answer, type Query } from '../../tests/support/snowflake-server';

/** Version counts per endpoint of the seeded API; each table must end with exactly these. */
export const RECURLY_VERSIONS = { accounts: 80, subscriptions: 70, invoices: 90, transactions: 110 } as const;
type Endpoint = keyof typeof RECURLY_VERSIONS;
const TABLE_OF: Record<Endpoint, string> = { accounts: 'RECURLY_ACCOUNTS', subscriptions: 'RECURLY_SUBSCRIPTIONS', invoices: 'RECURLY_INVOICES', transactions: 'RECURLY_TRANSACTIONS' };

/**
 * Deterministic records: ids reused for a second version (later updated_at) in accounts, and
 * several records per updated_at, so versions share a timestamp across page boundaries.
 */
export function recurlyRecords(): Map<Endpoint, FakeRecord[]> {
  const at = (minute: number) => new Date(Date.UTC(2024, 4, 1) + Math.floor(minute) * 60_000).toISOString().replace('.000Z', 'Z');
  const out = new Map<Endpoint, FakeRecord[]>();
  const accounts: FakeRecord[] = [];
  for (let i = 0; i < 60; i++) accounts.push({ id: `acc${i}`, updated_at: at(i / 3), code: `code-${i}`, state: 'active', email: `a${i}@example.com`, tax_exempt: i % 7 === 0, address: { country: 'GB' }, created_at: at(0) });
  for (let i = 0; i < 20; i++) accounts.push({ id: `acc${i}`, updated_at: at(100 + i), code: `code-${i}`, state: 'closed', email: null, created_at: at(0) });
  out.set('accounts', accounts);
  out.set('subscriptions', Array.from({ length: 70 }, (_, i) => ({ id: `sub${i}`, updated_at: at(200 + i / 2), account: { id: `acc${i % 60}` }, plan: { code: 'gold' }, state: 'active', currency: 'GBP', unit_amount: 9.99, quantity: 1 + (i % 3), auto_renew: true, created_at: at(0) })));
  out.set('invoices', Array.from({ length: 90 }, (_, i) => ({ id: `inv${i}`, updated_at: at(300 + i), number: String(1000 + i), account: { id: `acc${i % 60}` }, total: 19.98, paid: 19.98, balance: 0, state: 'paid', currency: 'GBP', created_at: at(0) })));
  out.set('transactions', Array.from({ length: 110 }, (_, i) => ({ id: `tx${i}`, updated_at: at(400 + i / 4), account: { id: `acc${i % 60}` }, invoice: { id: `inv${i % 90}` }, subscription_ids: [`sub${i % 70}`], amount: 19.98, success: i % 11 !== 0, payment_method: { object: 'credit_card' }, type: 'purchase', currency: 'GBP', created_at: at(0) })));
  for (const [endpoint, records] of out) {
    const versions = new Set(records.map((r) => `${r.id}@${r.updated_at}`)).size;
    if (versions !== RECURLY_VERSIONS[endpoint]) throw new Error(`rehearsal seed: ${endpoint} has ${versions} versions, RECURLY_VERSIONS says ${RECURLY_VERSIONS[endpoint]}`);
  }
  return out;
}

export async function startRecurly(apiKey: string): Promise<FakeRecurly> {
  const api = new FakeRecurly(apiKey);
  // Several pages per endpoint: `has_more` / `next` are followed through the deployed bundle.
  api.pageSize = 25;
  for (const [endpoint, records] of recurlyRecords()) api.data.set(endpoint, records);
  return api.start();
}

const norm = (sql: string) => sql.replace(/\s+/g, ' ').trim();

/**
 * The tables behind the local Snowflake endpoint. TRIBUTARY_LOAD_RUNS and transactions are
 * WarehouseSim's (a run row is visible on COMMIT, gone on ROLLBACK); here: a load block's staging
 * tables (FakeSnowflake runs the block statement by statement), filled by COPY INTO from the Parquet object the stage path names, and the
 * versioned tables, which INSERT … WHERE NOT EXISTS (version key) appends to, pending until COMMIT.
 */
export class SnowflakeTables {
  readonly server: FakeSnowflake;
  private readonly runs: WarehouseSim;
  private readonly staged = new Map<string, Array<Record<string, string>>>();
  readonly tables = new Map<string, Set<string>>();
  private pending = new Map<string, Set<string>>();
  /** Statements the simulation does not model (the rehearsal fails on any). */
  readonly unmodelled: string[] = [];
  /** COPYs: stage path → rows loaded. */
  readonly copies: Array<{ key: string; rows: number }> = [];

  constructor(
    server: FakeSnowflake,
    private readonly s3: S3Client,
    /** The external stage the operator created (docs/recurly-snowflake.md) and its URL (the lake root). */
    private readonly stage: { name: string; bucket: string; prefix: string },
  ) {
    this.server = server;
    // The rows_loaded of a COPY come from the object itself (below), never from this callback.
    this.runs = new WarehouseSim(server, () => 0);
    const base = server.answer;
    server.answer = (q) => this.answer(q, base);
  }

  counts(): Record<string, number> {
    return Object.fromEntries(Object.values(TABLE_OF).map((t) => [t, this.tables.get(t)?.size ?? 0]));
  }

  get committedRuns(): number {
    return this.runs.committed.size;
  }

  private async parquetRows(key: string): Promise<Array<Record<string, string>>> {
    const dir = mkdtempSync(join(tmpdir(), 'rehearsal-stage-'));
    const duck = await openDuck(dir, '256MB');
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.stage.bucket, Key: `${this.stage.prefix}${key}` }));
      const file = join(dir, 'object.parquet');
      writeFileSync(file, await object.Body!.transformToByteArray());
      const rows = await duck.rows<Record<string, unknown>>(`SELECT * FROM read_parquet(${duckLiteral(file)})`);
      // MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE: the file's `id` fills the stage's "ID".
      return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toUpperCase(), v === null ? '\u0000null' : String(v)])));
    } finally {
      duck.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private async answer(q: Query, base: (q: Query) => Answer | Promise<Answer>): Promise<Answer> {
    const sql = norm(q.sql);
    let m: RegExpExecArray | null;
    // A unit's staging table, which its load block drops.
    if ((m = /^CREATE OR REPLACE TABLE "(STAGE_[A-Z0-9_]+)"/.exec(sql))) {
      this.staged.set(m[1], []);
      return { rows: [{ status: `Table ${m[1]} successfully created.` }] };
    }
    if ((m = /^DROP TABLE IF EXISTS "(STAGE_[A-Z0-9_]+)"$/.exec(sql))) {
      this.staged.delete(m[1]);
      return { rows: [{ status: `${m[1]} successfully dropped.` }] };
    }
    if ((m = /^COPY INTO "(STAGE_[A-Z0-9_]+)" FROM @(\S+?)\/(\S+) FILE_FORMAT = \(TYPE = PARQUET\) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE/.exec(sql))) {
      const [, table, stage, key] = m;
      if (stage.toUpperCase() !== this.stage.name.toUpperCase()) return { error: `SQL compilation error: Stage '${stage}' does not exist or not authorized.`, code: '002003', sqlState: '02000' };
      const stagedRows = this.staged.get(table);
      if (!stagedRows) return { error: `SQL compilation error: Table '${table}' does not exist or not authorized.`, code: '002003', sqlState: '42S02' };
      let rows: Array<Record<string, string>>;
      try {
        rows = await this.parquetRows(key);
      } catch (err) {
        return { error: `Remote file '${key}' was not found or could not be read as Parquet: ${(err as Error).message.slice(0, 200)}`, code: '091016', sqlState: '22000' };
      }
      stagedRows.push(...rows);
      this.copies.push({ key, rows: rows.length });
      return { rows: [{ file: key, status: 'LOADED', rows_parsed: rows.length, rows_loaded: rows.length }] };
    }
    // eslint-disable-next-line security/detect-unsafe-regex -- matched against the load's own statements on 127.0.0.1, not input
    if ((m = /^INSERT INTO "((?!TRIBUTARY_)[A-Z0-9_]+)" \(.*\) SELECT .* FROM "(STAGE_\1_[0-9A-F]{12})" s WHERE NOT EXISTS \(SELECT 1 FROM "\1" f WHERE (.*?)\)( QUALIFY .*)?$/.exec(sql))) {
      const [, table, stageTable, where] = m;
      const keys = [...where.matchAll(/EQUAL_NULL\(f\."([A-Z0-9_]+)", s\."\1"\)/g)].map((k) => k[1]);
      if (!keys.length) return { error: `rehearsal: no version key in ${sql.slice(0, 120)}` };
      const present = this.tables.get(table) ?? new Set<string>();
      const pending = this.pending.get(table) ?? new Set<string>();
      let inserted = 0;
      for (const row of this.staged.get(stageTable) ?? []) {
        const version = keys.map((k) => row[k]).join('\u0001');
        if (present.has(version) || pending.has(version)) continue;
        pending.add(version);
        inserted++;
      }
      this.pending.set(table, pending);
      return { rows: [{ 'number of rows inserted': inserted }] };
    }
    if ((m = /^SELECT COUNT\(\*\) AS "N" FROM "((?!TRIBUTARY_)[A-Z0-9_]+)"$/.exec(sql))) return { rows: [{ N: this.tables.get(m[1])?.size ?? 0 }] };
    if (sql === 'COMMIT') {
      for (const [table, versions] of this.pending) this.tables.set(table, new Set([...(this.tables.get(table) ?? []), ...versions]));
      this.pending = new Map();
    }
    if (sql === 'ROLLBACK') this.pending = new Map();
    const modelled = /^(BEGIN|COMMIT|ROLLBACK|CREATE TABLE IF NOT EXISTS |ALTER TABLE .* ADD COLUMN IF NOT EXISTS |MERGE INTO "TRIBUTARY_SCHEMA_VERSION"|SELECT MAX\("RUN_ID"\)|SELECT COUNT\(\*\) AS "N" FROM "TRIBUTARY_LOAD_RUNS"|INSERT INTO "TRIBUTARY_LOAD_RUNS"|SELECT "RUN_ID", "SOURCE", "LOADED_AT")/.test(sql);
    if (!modelled) this.unmodelled.push(sql.slice(0, 160));
    return base(q);
  }
}

/** The stage the operator creates on the lake root: its bucket and prefix, from the stack's processed lake URL. */
export function stageOnLake(name: string, processedLakeUrl: string): { name: string; bucket: string; prefix: string } {
  const u = new URL(processedLakeUrl);
  const prefix = u.pathname.replace(/^\//, '');
  return { name, bucket: u.hostname, prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix };
}

/** What the rehearsal of one stack gives a pipeline's executions (index.ts). */
export interface PipelineContext {
  readonly machineName: string;
  readonly environment: Record<string, string>;
  readonly scheduleInput: unknown;
  /** moto, with the rehearsal's own credentials (what Snowflake's stage reads, not a function). */
  readonly s3: S3Client;
  readonly setSecret: (arn: string, value: string) => Promise<void>;
  /** Environment values the functions of this pipeline get instead of the stack's (local endpoints). */
  readonly substitute: (vars: Record<string, string>) => void;
  readonly execute: (name: string, input: unknown, expect: 'SUCCEEDED' | 'FAILED') => Promise<void>;
  readonly ran: (name: string) => boolean;
  readonly slackPosts: () => ReadonlyArray<{ text: string; blocks: string }>;
  readonly notifierError: () => string;
  /** The AWS calls recorded so far (all callers). */
  readonly calls: () => ReadonlyArray<{ caller: string; action: string; decision: { allowed: boolean } }>;
}

const API_KEY = 'rk_rehearsal_0f1e2d3c4b5a69788796';
const SNOWFLAKE_PASSWORD = 'rehearsal-Sf-pw-5e4d3c';

/**
 * initial-load (each table holds exactly the seeded versions), no-change (nothing changes, no
 * COPY), page-fails (a malformed page stops one endpoint: extract alerts and discards its partial
 * object, nothing of it is loaded), load-fails (the Snowflake secret's password is refused: the
 * alert reaches Slack with the execution link), catch-up (the next run loads what they left).
 * Secrets as docs/deploy.md tells an operator to store them.
 */
export async function rehearseRestSnowflake(ctx: PipelineContext): Promise<void> {
  const env = ctx.environment;
  const fail = (msg: string): never => {
    throw new Error(msg);
  };
  const started = Date.now();
  const api = await startRecurly(API_KEY);
  const sf = await new FakeSnowflake().start();
  try {
    sf.password = SNOWFLAKE_PASSWORD;
    const stageName = env.TRIBUTARY_SNOWFLAKE_STAGE ?? 'TRIBUTARY_PROCESSED_STAGE';
    const warehouse = new SnowflakeTables(sf, ctx.s3, stageOnLake(stageName, env.TRIBUTARY_PROCESSED_LAKE));
    ctx.substitute({ TRIBUTARY_API_URL: api.url });
    // docs/deploy.md: the API key as {"api_key": "…"}; Snowflake as {account, username, password,
    // database, schema, warehouse, role, stage}. `access_url` (the runtime's override for
    // PrivateLink hosts) is the one key added: it points the driver at the local endpoint.
    await ctx.setSecret(env.TRIBUTARY_SOURCE_SECRET_ARN, JSON.stringify({ api_key: API_KEY }));
    const creds = { account: 'acme-rehearsal', username: 'TRIBUTARY_LOADER', password: SNOWFLAKE_PASSWORD, database: 'ANALYTICS', schema: 'RECURLY', warehouse: 'LOAD_WH', role: 'LOADER', stage: stageName, access_url: sf.url };
    await ctx.setSecret(env.TRIBUTARY_WAREHOUSE_SECRET_ARN, JSON.stringify(creds));
    const want = Object.fromEntries(Object.entries(RECURLY_VERSIONS).map(([e, n]) => [TABLE_OF[e as Endpoint], n]));

    await ctx.execute('initial-load', ctx.scheduleInput, 'SUCCEEDED');
    const first = warehouse.counts();
    if (ctx.ran('initial-load')) {
      if (JSON.stringify(first) !== JSON.stringify(want)) fail(`initial load of ${ctx.machineName}: Snowflake tables ${JSON.stringify(first)}, the API holds ${JSON.stringify(want)} versions`);
      const login = sf.logins[0] ?? fail(`initial load of ${ctx.machineName}: the load never logged in to Snowflake`);
      if (login.ACCOUNT_NAME !== creds.account || login.LOGIN_NAME !== creds.username) fail(`initial load of ${ctx.machineName}: Snowflake login as ${String(login.LOGIN_NAME)}@${String(login.ACCOUNT_NAME)}, the secret says ${creds.username}@${creds.account}`);
      if (!api.requests.every((r) => r.authorization === `Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}`)) fail(`initial load of ${ctx.machineName}: a Recurly request without the secret's API key`);
    }
    if (warehouse.unmodelled.length) fail(`${ctx.machineName}: statements the local Snowflake does not model: ${warehouse.unmodelled.slice(0, 3).join(' | ')}`);

    const copies = warehouse.copies.length;
    await ctx.execute('no-change', ctx.scheduleInput, 'SUCCEEDED');
    if (ctx.ran('no-change')) {
      if (JSON.stringify(warehouse.counts()) !== JSON.stringify(first)) fail(`no-change run of ${ctx.machineName} changed Snowflake: ${JSON.stringify(warehouse.counts())}`);
      if (warehouse.copies.length !== copies) fail(`no-change run of ${ctx.machineName} staged ${warehouse.copies.length - copies} object(s)`);
    }

    // New invoice versions (two pages of them), for the runs below.
    const late = Array.from({ length: 30 }, (_, i) => ({ id: `inv-late${i}`, updated_at: `2024-06-01T00:${String(i).padStart(2, '0')}:00Z`, number: String(5000 + i), account: { id: 'acc1' }, total: 5, paid: 0, balance: 5, state: 'pending', currency: 'GBP', created_at: '2024-06-01T00:00:00Z' }));
    api.data.get('invoices')!.push(...late);

    // A page that is not JSON: extract stops invoices (its partial raw object deleted, watermark
    // kept), publishes a data-quality alert itself, and the other endpoints and steps go on.
    const publishes = () => ctx.calls().filter((c) => c.action === 'sns:Publish' && c.caller.endsWith('recurly-extract')).length;
    const deletes = () => ctx.calls().filter((c) => c.action === 's3:DeleteObject' && c.caller.endsWith('recurly-extract') && c.decision.allowed).length;
    const [published, deleted] = [publishes(), deletes()];
    let invoicePages = 0;
    api.fault = (_n, log) => (log.path.endsWith('/invoices') && ++invoicePages === 2 ? { rawBody: '{"object":"list","data":[{"id":' } : undefined);
    await ctx.execute('page-fails', ctx.scheduleInput, 'SUCCEEDED');
    api.fault = () => undefined;
    if (ctx.ran('page-fails')) {
      if (publishes() === published) fail(`page-fails of ${ctx.machineName}: the extract function published no data-quality alert for the stopped endpoint`);
      if (deletes() === deleted) fail(`page-fails of ${ctx.machineName}: the extract function did not delete the stopped endpoint's partial raw object`);
      if (JSON.stringify(warehouse.counts()) !== JSON.stringify(first)) fail(`page-fails of ${ctx.machineName}: the stopped endpoint's records reached Snowflake: ${JSON.stringify(warehouse.counts())}`);
    }

    // A step that fails after its retries: Snowflake refuses the secret's password.
    const posts = ctx.slackPosts().length;
    await ctx.setSecret(env.TRIBUTARY_WAREHOUSE_SECRET_ARN, JSON.stringify({ ...creds, password: 'wrong-password' }));
    await ctx.execute('load-fails', ctx.scheduleInput, 'FAILED');
    await ctx.setSecret(env.TRIBUTARY_WAREHOUSE_SECRET_ARN, JSON.stringify(creds));
    if (ctx.ran('load-fails')) {
      const alert = ctx.slackPosts().slice(posts).find((p) => p.text.includes(ctx.machineName.split('-').pop()!) || p.blocks.includes('Load'));
      if (!alert) fail(`load-fails of ${ctx.machineName}: no alert reached Slack (${ctx.slackPosts().length - posts} posts)${ctx.notifierError() ? `; the notifier failed: ${ctx.notifierError()}` : ''}`);
      if (!/console\.aws\.amazon\.com\/states\/.*execution/.test(`${alert!.text} ${alert!.blocks}`)) fail(`load-fails of ${ctx.machineName}: the Slack alert has no link to the run: ${alert!.text.slice(0, 200)}`);
      if (JSON.stringify(warehouse.counts()) !== JSON.stringify(first)) fail(`load-fails of ${ctx.machineName}: a refused login changed Snowflake`);
    }

    // The next run loads what the failed ones left: every late invoice version, once.
    await ctx.execute('catch-up', ctx.scheduleInput, 'SUCCEEDED');
    const caughtUp = { ...first, RECURLY_INVOICES: first.RECURLY_INVOICES + late.length };
    if (ctx.ran('catch-up') && ctx.ran('initial-load') && JSON.stringify(warehouse.counts()) !== JSON.stringify(caughtUp)) fail(`catch-up of ${ctx.machineName}: Snowflake tables ${JSON.stringify(warehouse.counts())}, expected ${JSON.stringify(caughtUp)}`);
    if (warehouse.unmodelled.length) fail(`${ctx.machineName}: statements the local Snowflake does not model: ${warehouse.unmodelled.slice(0, 3).join(' | ')}`);
    process.stdout.write(`  ${ctx.machineName}: Snowflake ${JSON.stringify(warehouse.counts())}; ${warehouse.committedRuns} run(s) recorded; ${warehouse.copies.length} COPY; ${api.requests.length} Recurly requests; ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } finally {
    await sf.stop();
    await api.stop();
  }
}
