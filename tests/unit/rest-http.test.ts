import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../../runtime/lake/local';
import { writeManifest, type ExtractManifest } from '../../runtime/lake/manifest';
import { transformRecurlyRun } from '../../runtime/model/recurly/transform';
import { RECURLY_TABLES } from '../../runtime/model/recurly/tables';
import { JsonlGzipObject } from '../../runtime/sources/rest/jsonl-object';
import { apiBaseUrl, nextPageUrl, resetWaitMs, retryAfterMs } from '../../runtime/sources/rest/http';
import { parseRecurlyPage, recurlyApi } from '../../runtime/sources/rest/recurly';

describe('REST helpers', () => {
  it('reads Retry-After as seconds or an HTTP date, and the rate-limit reset as epoch seconds', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(resetWaitMs(String(now / 1000 + 9), now)).toBe(9000);
    // A reset already past gives no wait: the caller backs off rather than retrying at once.
    expect(resetWaitMs(String(now / 1000 - 9), now)).toBeUndefined();
    expect(resetWaitMs(String(now / 1000), now)).toBeUndefined();
    expect(resetWaitMs('x', now)).toBeUndefined();
  });

  it('accepts https API URLs and plain http to loopback only, and keeps the path prefix on next links', () => {
    expect(apiBaseUrl('https://v3.eu.recurly.com').origin).toBe('https://v3.eu.recurly.com');
    expect(apiBaseUrl('http://127.0.0.1:8080/v2').pathname).toBe('/v2');
    expect(apiBaseUrl('http://[::1]:8080').hostname).toBe('[::1]');
    expect(() => apiBaseUrl('http://10.0.0.5')).toThrow('must use https (plain http only to a loopback address)');
    expect(() => apiBaseUrl('http://127.0.0.1.example.com')).toThrow('must use https');
    expect(() => apiBaseUrl('https://key:x@api.example.com')).toThrow('must not carry credentials');
    expect(() => apiBaseUrl('ftp://api.example.com')).toThrow('must use https');
    const base = apiBaseUrl('https://api.example.com/v2/');
    expect(nextPageUrl('/accounts?cursor=2', base)).toBe('https://api.example.com/v2/accounts?cursor=2');
    expect(nextPageUrl('/v2/accounts?cursor=2', base)).toBe('https://api.example.com/v2/accounts?cursor=2');
    expect(nextPageUrl('accounts?cursor=2', base)).toBe('https://api.example.com/v2/accounts?cursor=2');
    expect(nextPageUrl('https://elsewhere.example/x', base)).toBe('https://elsewhere.example/x');
    expect(nextPageUrl('/accounts', apiBaseUrl('https://api.example.com'))).toBe('https://api.example.com/accounts');
  });

  it('validates Recurly pages', () => {
    expect(parseRecurlyPage({ object: 'list', has_more: false, next: null, data: [{ id: 'a' }] })).toEqual({ records: [{ id: 'a' }], next: null });
    expect(() => parseRecurlyPage([])).toThrow('expected a JSON object');
    expect(() => parseRecurlyPage({ data: [], has_more: 'no' })).toThrow('"has_more" is not a boolean');
    expect(() => parseRecurlyPage({ data: [], has_more: true, next: '' })).toThrow('"has_more" is true but "next" is not a URL');
    expect(() => parseRecurlyPage({ data: [1], has_more: false })).toThrow('data[0] is not an object');
    const api = recurlyApi('k-123456', 'https://v3.eu.recurly.com/');
    expect(api.firstPageUrl({ name: 'accounts', path: '/accounts', idField: 'id', cursorField: 'updated_at' }, '2024-01-01T00:00:00Z')).toBe(
      'https://v3.eu.recurly.com/accounts?limit=200&sort=updated_at&order=asc&begin_time=2024-01-01T00%3A00%3A00Z',
    );
    expect(api.headers.Accept).toBe('application/vnd.recurly.v2021-02-25+json');
  });

  it('fails a transform on a value of the wrong type with the table and run named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'recurly-bad-'));
    try {
      const lake = new LocalObjectStore(dir);
      const runId = '20240101T000000000Z-bad000';
      const obj = new JsonlGzipObject(lake, `raw/recurly/subscriptions/x/${runId}-0000.jsonl.gz`);
      await obj.writeLines([
        JSON.stringify({ id: 's0', updated_at: '2024-01-01T00:00:00Z', quantity: 3 }),
        JSON.stringify({ id: 's1', updated_at: '2024-01-01T00:00:00Z', quantity: 'many-Cust0mer-Secret' }),
      ]);
      const stored = await obj.finish();
      const extract: ExtractManifest = {
        version: 1,
        stage: 'extract',
        runId,
        source: 'recurly',
        format: 'jsonl.gz',
        startedAt: '',
        finishedAt: '',
        tables: { subscriptions: { rows: 1, objects: [stored], watermark: { from: null, to: null }, snapshot: null, columns: [] } },
      };
      await writeManifest(lake, extract);
      // The object and line are named; the record's value is not (DuckDB's own message quotes it).
      const failure = transformRecurlyRun({ lake, source: 'recurly', tables: RECURLY_TABLES }, extract);
      await expect(failure).rejects.toThrow(
        `transform recurly.recurly_subscriptions (run 20240101T000000000Z-bad000): column quantity of ${stored.key} line 2 is not a valid INTEGER`,
      );
      await expect(failure).rejects.not.toThrow(/Cust0mer/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
