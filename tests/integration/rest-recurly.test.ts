import { gunzipSync } from 'node:zlib';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LocalObjectStore } from '../../runtime/lake/local';
import { readManifest, type ExtractManifest } from '../../runtime/lake/manifest';
import type { ObjectStore } from '../../runtime/lake/port';
import { verifyObject } from '../../runtime/lake/verify';
import { S3ObjectStore, s3ClientFor } from '../../runtime/lake/s3';
import { readState, type TableState } from '../../runtime/state/watermarks';
import { getApiKeySecret } from '../../runtime/sources/rest/credentials';
import { extractRest, type RestExtractedTable } from '../../runtime/sources/rest/extract';
import type { HttpOptions } from '../../runtime/sources/rest/http';
import { recurlyApi, recurlyEndpoints } from '../../runtime/sources/rest/recurly';
import { FakeRecurly, type FakeRecord } from '../support/recurly-server';
import { motoUrl, uniqueName, useMotoCredentials } from '../support/services';

const KEY = 'rk_live_9f8e7d6c5b4a39281706';
const B64 = Buffer.from(`${KEY}:`).toString('base64');

const rec = (id: string, updated_at: string, extra: Record<string, unknown> = {}): FakeRecord => ({ id, updated_at, object: 'account', code: `c-${id}`, ...extra });

/** Versions (`id@updated_at`) in the raw objects the manifests reference, in file order. */
async function rawVersions(lake: ObjectStore, table: string): Promise<string[]> {
  const out: string[] = [];
  for (const key of await lake.list(`raw/recurly/${table}/`)) {
    const dir = await mkdtemp(join(tmpdir(), 'raw-'));
    await lake.download(key, join(dir, 'f.gz'));
    const text = gunzipSync(await readFile(join(dir, 'f.gz'))).toString('utf8');
    await rm(dir, { recursive: true });
    for (const line of text.split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as FakeRecord;
      out.push(`${r.id}@${r.updated_at}`);
    }
  }
  return out;
}

describe('REST source against a Recurly-like server', () => {
  let server: FakeRecurly;
  let dir: string;
  let lake: LocalObjectStore;
  let sleeps: number[];
  let http: Partial<HttpOptions>;

  beforeEach(async () => {
    server = await new FakeRecurly(KEY).start();
    dir = await mkdtemp(join(tmpdir(), 'rest-lake-'));
    lake = new LocalObjectStore(dir);
    sleeps = [];
    http = { sleep: async (ms) => void sleeps.push(ms), backoffMs: (n) => 10 * n, maxAttempts: 4, timeoutMs: 300, now: () => 1_700_000_000_000 };
  });
  afterEach(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (endpoints = ['accounts'], runId?: string) =>
    extractRest({ lake, source: 'recurly', api: recurlyApi(KEY, server.url), endpoints: recurlyEndpoints(endpoints), http, runId });

  it('pages through 429s, 5xx, a timeout and a spent rate limit, losing and duplicating nothing across runs', async () => {
    // r3 and r4 share updated_at across the first page boundary (page size 3).
    server.data.set('accounts', [
      rec('r1', '2024-01-01T00:00:01Z'),
      rec('r2', '2024-01-01T00:00:02Z'),
      rec('r3', '2024-01-01T00:00:03Z'),
      rec('r4', '2024-01-01T00:00:03Z'),
      rec('r5', '2024-01-01T00:00:04Z'),
      rec('r6', '2024-01-01T00:00:05Z'),
      rec('r7', '2024-01-01T00:00:05Z'),
    ]);
    server.rateReset = 1_700_000_007; // 7 s after the injected clock
    server.fault = (n) => {
      if (n === 1) return { status: 429, headers: { 'Retry-After': '2' } };
      if (n === 3) return { status: 503 };
      if (n === 4) return { delayMs: 600 };
      return undefined;
    };
    server.rateRemaining = 4; // the 4th answer reports 0 left: the client pauses until the reset
    const first = await run(['accounts'], '20240101T000010000Z-aaaaaa');
    expect(first.failedTables).toEqual([]);
    expect(await rawVersions(lake, 'accounts')).toEqual([
      'r1@2024-01-01T00:00:01Z',
      'r2@2024-01-01T00:00:02Z',
      'r3@2024-01-01T00:00:03Z',
      'r4@2024-01-01T00:00:03Z',
      'r5@2024-01-01T00:00:04Z',
      'r6@2024-01-01T00:00:05Z',
      'r7@2024-01-01T00:00:05Z',
    ]);
    // 429 → Retry-After 2 s; 503 → backoff(1); timeout → backoff(2); page 2 reports the budget spent,
    // so page 3 waits for the reset (7 s) first.
    expect(sleeps).toEqual([2000, 10, 20, 7000]);
    const q = server.requests[0].query;
    expect(q).toEqual({ limit: '200', sort: 'updated_at', order: 'asc' });
    expect(server.requests.every((r) => r.authorization === `Basic ${B64}`)).toBe(true);
    const entry = first.manifest.tables.accounts as RestExtractedTable;
    expect(first.manifest.format).toBe('jsonl.gz');
    expect(entry.rows).toBe(7);
    expect(entry.watermark).toEqual({ from: null, to: '2024-01-01T00:00:05Z' });
    expect(entry.boundary).toEqual({ cursor: '2024-01-01T00:00:05Z', ids: ['r6', 'r7'] });
    expect(entry.snapshot).toBeNull();
    expect(entry.columns.map((c) => c.name)).toEqual(['id', 'updated_at', 'object', 'code']);
    const state = await readState<TableState>(lake, 'recurly', 'accounts');
    expect(state?.value).toMatchObject({ watermark: '2024-01-01T00:00:05Z', runId: '20240101T000010000Z-aaaaaa', snapshot: null });

    // Second run: r7 edited later, r8 new with the boundary timestamp, r9 new; r6/r7@05 come back (inclusive).
    server.fault = () => undefined;
    server.rateRemaining = 1000;
    sleeps.length = 0;
    const accounts = server.data.get('accounts')!;
    accounts.splice(accounts.findIndex((r) => r.id === 'r7'), 1, rec('r7', '2024-01-01T00:00:09Z', { email: 'x@example.com' }));
    accounts.push(rec('r8', '2024-01-01T00:00:05Z'), rec('r9', '2024-01-01T00:00:06Z'));
    const second = await run(['accounts'], '20240101T000020000Z-bbbbbb');
    expect(server.requests.at(-1)!.query.begin_time).toBe('2024-01-01T00:00:05Z');
    expect((await rawVersions(lake, 'accounts')).slice(7)).toEqual(['r8@2024-01-01T00:00:05Z', 'r9@2024-01-01T00:00:06Z', 'r7@2024-01-01T00:00:09Z']);
    const e2 = second.manifest.tables.accounts as RestExtractedTable;
    expect(e2.watermark).toEqual({ from: '2024-01-01T00:00:05Z', to: '2024-01-01T00:00:09Z' });
    expect(e2.drift).toEqual({ added: ['email'], removed: [], retyped: [] });
    expect(sleeps).toEqual([]);

    // Third run: only the boundary record comes back; nothing is written, the watermark holds.
    const third = await run(['accounts'], '20240101T000030000Z-cccccc');
    expect(third.manifest.tables.accounts.rows).toBe(0);
    expect(third.manifest.tables.accounts.objects).toEqual([]);
    expect((await rawVersions(lake, 'accounts')).length).toBe(10);
    const e3 = third.manifest.tables.accounts as RestExtractedTable;
    expect(e3.watermark).toEqual({ from: '2024-01-01T00:00:09Z', to: '2024-01-01T00:00:09Z' });
    expect(e3.boundary).toEqual({ cursor: '2024-01-01T00:00:09Z', ids: ['r7'] });
    // A fourth run still knows the boundary (carried through the empty run).
    accounts.push(rec('r10', '2024-01-01T00:00:09Z'));
    await run(['accounts'], '20240101T000040000Z-dddddd');
    expect((await rawVersions(lake, 'accounts')).slice(10)).toEqual(['r10@2024-01-01T00:00:09Z']);
  });

  it.each([
    ['malformed JSON', { rawBody: '{"object":"list","data":[{"id":' }, /accounts: page 2 \(GET .*cursor=3.*\) is not valid JSON; table stopped, watermark not advanced/],
    ['an unexpected shape', { rawBody: '{"object":"list","has_more":false,"data":{"id":"x"}}' }, /accounts: page 2 .* has an unexpected shape: "data" is not an array/],
    ['a record without updated_at', { rawBody: '{"object":"list","has_more":false,"next":null,"data":[{"id":"x"}]}' }, /record 0 has no valid "updated_at" timestamp/],
  ])('fails the table on %s and advances nothing, other tables continue', async (_what, fault, message) => {
    server.data.set('accounts', [1, 2, 3, 4, 5].map((i) => rec(`a${i}`, `2024-02-01T00:00:0${i}Z`)));
    server.data.set('subscriptions', [rec('s1', '2024-02-01T00:00:01Z')]);
    server.fault = (n, log) => (log.path === '/accounts' && n === 2 ? fault : undefined);
    const result = await run(['accounts', 'subscriptions']);
    expect(result.failedTables).toEqual(['accounts']);
    expect(result.manifest.tables.accounts.error).toMatch(message);
    expect(result.manifest.tables.accounts.objects).toEqual([]);
    expect(await lake.list('raw/recurly/accounts/')).toEqual([]);
    expect(await readState(lake, 'recurly', 'accounts')).toBeUndefined();
    expect(await rawVersions(lake, 'subscriptions')).toEqual(['s1@2024-02-01T00:00:01Z']);
    // Fixed upstream: the next run reads everything once.
    server.fault = () => undefined;
    const retry = await run(['accounts', 'subscriptions']);
    expect(retry.failedTables).toEqual([]);
    expect(await rawVersions(lake, 'accounts')).toEqual([1, 2, 3, 4, 5].map((i) => `a${i}@2024-02-01T00:00:0${i}Z`));
    expect(await rawVersions(lake, 'subscriptions')).toEqual(['s1@2024-02-01T00:00:01Z']);
  });

  it('rolls over to a new raw object every objectRows records (TRIBUTARY_UNIT_ROWS), mid-page too; a table failing later leaves none', async () => {
    const records = [1, 2, 3, 4, 5, 6, 7].map((i) => rec(`b${i}`, `2024-02-02T00:00:0${i}Z`));
    server.data.set('accounts', records);
    const bounded = (runId?: string) =>
      extractRest({ lake, source: 'recurly', api: recurlyApi(KEY, server.url), endpoints: recurlyEndpoints(['accounts']), http, runId, objectRows: 2 });
    // Pages of 3, objects of 2: the second object spans a page boundary.
    const result = await bounded('20240202T000010000Z-aaaaaa');
    const entry = result.manifest.tables.accounts;
    expect(entry.objects.map((o) => o.rows)).toEqual([2, 2, 2, 1]);
    expect(entry.rows).toBe(7);
    expect(new Set(entry.objects.map((o) => o.key)).size).toBe(4);
    for (const object of entry.objects) await verifyObject(lake, object, 'test', 'test');
    expect(await rawVersions(lake, 'accounts')).toEqual(records.map((r) => `${r.id}@${r.updated_at}`));
    // A failure on page 3, after two objects were finished: the table stops and leaves no object.
    await rm(dir, { recursive: true, force: true });
    const before = server.requests.length;
    server.fault = (n, log) => (log.path === '/accounts' && n === before + 3 ? { rawBody: '{' } : undefined);
    const failed = await bounded();
    expect(failed.failedTables).toEqual(['accounts']);
    expect(await lake.list('raw/recurly/accounts/')).toEqual([]);
  });

  it('gives up after the attempts on persistent 5xx, and on a 4xx at once, never printing the key', async () => {
    server.data.set('accounts', [rec('a1', '2024-03-01T00:00:01Z')]);
    server.data.set('invoices', [rec('i1', '2024-03-01T00:00:01Z')]);
    server.fault = (_n, log) =>
      log.path === '/accounts' ? { status: 502 } : { status: 400, body: `{"error":{"message":"key ${KEY} / ${B64} rejected"}}` };
    const result = await run(['accounts', 'invoices']);
    expect(result.manifest.tables.accounts.error).toMatch(/GET .*\/accounts\?.* failed after 4 attempts: HTTP 502/);
    expect(server.requests.filter((r) => r.path === '/accounts')).toHaveLength(4);
    expect(sleeps).toEqual([10, 20, 30]);
    expect(result.manifest.tables.invoices.error).toMatch(/HTTP 400: .*key \*\*\* \/ \*\*\* rejected/);
    expect(server.requests.filter((r) => r.path === '/invoices')).toHaveLength(1);
    const everything = JSON.stringify(result) + (await readdir(dir, { recursive: true })).join();
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(B64);
  });

  it('keeps the key out of lake objects, manifests and state', async () => {
    server.data.set('transactions', [rec('t1', '2024-03-01T00:00:01Z', { note: 'ok' })]);
    await run(['transactions']);
    for (const file of await readdir(dir, { recursive: true })) {
      if (!file.includes('.')) continue;
      const bytes = await readFile(join(dir, file));
      const text = file.endsWith('.gz') ? gunzipSync(bytes).toString() : bytes.toString();
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(B64);
    }
  });

  it('rejects a next link that would loop, and an unknown endpoint name', async () => {
    server.fault = () => ({ rawBody: '{"object":"list","has_more":true,"next":"/accounts?limit=200&sort=updated_at&order=asc","data":[]}' });
    const result = await run(['accounts']);
    expect(result.manifest.tables.accounts.error).toMatch(/"next" points at the same page/);
    expect(() => recurlyEndpoints(['plans'])).toThrow(/unknown Recurly endpoint "plans"/);
  });

  it('sends the key to the API origin only: a foreign next link or a redirect reaches no other server', async () => {
    const other = await new FakeRecurly(KEY).start();
    try {
      other.data.set('accounts', [rec('x1', '2024-03-01T00:00:01Z')]);
      server.data.set('accounts', [rec('a1', '2024-03-01T00:00:01Z')]);
      const page = (next: string) => ({ rawBody: JSON.stringify({ object: 'list', has_more: true, next, data: [rec('a1', '2024-03-01T00:00:01Z')] }) });
      const protocolRelative = other.url.replace(/^http:/, '');
      for (const next of [`${other.url}/accounts?cursor=1`, `${protocolRelative}/accounts?cursor=1`, `${other.url.replace('127.0.0.1', 'localhost')}/accounts`]) {
        server.fault = () => page(next);
        const result = await run(['accounts']);
        expect(result.manifest.tables.accounts.error).toMatch(/^refusing GET http:\/\/(127\.0\.0\.1|localhost):\d+\/accounts: not the API's origin http:\/\/127\.0\.0\.1:\d+, credentials are not sent there/);
        expect(result.manifest.tables.accounts.rows).toBe(0);
      }
      server.fault = () => ({ status: 302, headers: { location: `${other.url}/accounts` } });
      expect((await run(['accounts'])).manifest.tables.accounts.error).toMatch(/HTTP 302 \(a redirect\); redirects are not followed/);
      expect(other.requests).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('keeps the path prefix of the API URL on every page, and refuses plain http beyond loopback', async () => {
    server.prefix = '/v2';
    server.pageSize = 1;
    server.data.set('accounts', [rec('a1', '2024-03-01T00:00:01Z'), rec('a2', '2024-03-01T00:00:02Z'), rec('a3', '2024-03-01T00:00:03Z')]);
    const result = await extractRest({ lake, source: 'recurly', api: recurlyApi(KEY, `${server.url}/v2`), endpoints: recurlyEndpoints(['accounts']), http });
    expect(result.manifest.tables.accounts.error).toBeUndefined();
    expect(result.manifest.tables.accounts.rows).toBe(3);
    expect(server.requests.map((r) => r.path)).toEqual(['/v2/accounts', '/v2/accounts', '/v2/accounts']);
    await expect(extractRest({ lake, source: 'recurly', api: recurlyApi(KEY, 'http://api.example.com'), endpoints: recurlyEndpoints(['accounts']), http })).rejects.toThrow(
      'API URL http://api.example.com must use https (plain http only to a loopback address)',
    );
  });

  it('backs off when X-RateLimit-Reset is already past by the local clock', async () => {
    server.data.set('accounts', [rec('a1', '2024-03-01T00:00:01Z')]);
    const past = String(1_700_000_000 - 60);
    server.fault = (n) => (n <= 2 ? { status: 429, headers: { 'x-ratelimit-reset': past, 'x-ratelimit-remaining': '0' } } : undefined);
    const result = await run(['accounts']);
    expect(result.manifest.tables.accounts.error).toBeUndefined();
    expect(result.manifest.tables.accounts.rows).toBe(1);
    // backoffMs(1) and backoffMs(2), not two retries with no wait.
    expect(sleeps).toEqual([10, 20]);
  });

  it('lands pages in an S3 lake (moto) and reads the API key from Secrets Manager', async () => {
    useMotoCredentials();
    const bucket = uniqueName('rest');
    await s3ClientFor(motoUrl()).send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
    const secrets = new SecretsManagerClient({ endpoint: motoUrl(), region: 'eu-west-2' });
    const name = uniqueName('recurly-key');
    await secrets.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ api_key: KEY }) }));
    const plain = uniqueName('recurly-key-plain');
    await secrets.send(new CreateSecretCommand({ Name: plain, SecretString: KEY }));
    expect(await getApiKeySecret(plain, { endpoint: motoUrl() })).toBe(KEY);
    const key = await getApiKeySecret(name, { endpoint: motoUrl() });
    expect(key).toBe(KEY);
    const s3 = new S3ObjectStore({ bucket, prefix: 'lake', endpoint: motoUrl() });
    server.data.set('invoices', [1, 2, 3, 4].map((i) => rec(`i${i}`, `2024-04-01T00:00:0${i}Z`)));
    const result = await extractRest({ lake: s3, source: 'recurly', api: recurlyApi(key, server.url), endpoints: recurlyEndpoints(['invoices']), http });
    expect(result.failedTables).toEqual([]);
    expect(await rawVersions(s3, 'invoices')).toEqual([1, 2, 3, 4].map((i) => `i${i}@2024-04-01T00:00:0${i}Z`));
    const manifest = await readManifest<ExtractManifest>(s3, 'extract', result.runId);
    expect(manifest?.tables.invoices.objects[0]).toMatchObject({ rows: 4, key: expect.stringMatching(/^raw\/recurly\/invoices\/year=\d{4}\/month=\d\d\/day=\d\d\/.*-0000\.jsonl\.gz$/) });
    expect((await readState<TableState>(s3, 'recurly', 'invoices'))?.value.watermark).toBe('2024-04-01T00:00:04Z');
  });
});
