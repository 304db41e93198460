import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../runtime/cli/commands';
import { docsCommand } from '../../runtime/cli/docs-command';
import { main } from '../../runtime/cli/main';
import { writeManifest, type ExtractManifest } from '../../runtime/lake/manifest';
import { LocalObjectStore } from '../../runtime/lake/local';
import { lineageEndpoint, postLineage } from '../../runtime/lineage/emit';
import { runEvent } from '../../runtime/lineage/openlineage';
import { startRunObserver } from '../../runtime/lineage/run-observer';
import { readRunRecords, writeRunRecord } from '../../runtime/state/run-record';
import { writeState } from '../../runtime/state/watermarks';
import { createDatabase } from '../support/services';

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), interactive: false, env: {} };
}

const RUN_A = '20261201T100000000Z-aaaaaa';
const RUN_B = '20261201T110000000Z-bbbbbb';
const RUN_C = '20261201T120000000Z-cccccc';

describe('tributary docs', () => {
  let lakeDir: string;
  let lake: LocalObjectStore;
  let warehouseUrl: string;

  beforeAll(async () => {
    lakeDir = mkdtempSync(join(tmpdir(), 'tributary-docs-lake-'));
    lake = new LocalObjectStore(lakeDir);
    // An empty warehouse: never loaded, so it has no bookkeeping tables yet.
    warehouseUrl = await createDatabase('docs');
    const base = { version: 1 as const, lineageRunId: '00000000-0000-4000-8000-000000000000', source: 'totesys', steps: [{ step: 'extract', startedAt: '2026-12-01T10:00:00.000Z' }] };
    // A run whose process died (no lock holds it) and one still running (the lock is its own).
    await writeRunRecord(lake, { ...base, runId: RUN_A, startedAt: '2026-12-01T10:00:00.000Z', status: 'running' });
    await writeRunRecord(lake, { ...base, runId: RUN_C, startedAt: '2026-12-01T12:00:00.000Z', status: 'running' });
    await lake.put('state/totesys/_lock.json', JSON.stringify({ runId: RUN_C, startedAt: '2026-12-01T12:00:00.000Z', expiresAt: '2099-01-01T00:00:00.000Z', host: hostname(), pid: process.pid }));
    // A run of the deployed state machine: manifests only, not loaded yet.
    const extract: ExtractManifest = {
      version: 1,
      stage: 'extract',
      runId: RUN_B,
      source: 'totesys',
      format: 'csv.gz',
      startedAt: '2026-12-01T11:00:00.000Z',
      finishedAt: '2026-12-01T11:00:02.500Z',
      tables: { currency: { rows: 3, objects: [], watermark: { from: null, to: '2022-11-03 14:20:49.962' }, snapshot: null, columns: [{ name: 'currency_id', type: 'int4' }] } },
    };
    await writeManifest(lake, extract);
    await writeState(lake, 'totesys', 'currency', { table: 'currency', watermark: '2022-11-03 14:20:49.962', snapshot: null, runId: RUN_B, columns: [], updatedAt: extract.finishedAt }, null);
    await lake.put('runs/totesys/torn.json', '{');
  });

  afterAll(() => rmSync(lakeDir, { recursive: true, force: true }));

  it('refuses bad usage with one line and exit code 2', async () => {
    const none = capture();
    expect(await main(['docs'], none)).toBe(2);
    expect(none.stderr).toEqual(['tributary docs: give --out <dir> to write the site, or --serve to serve it']);
    const port = capture();
    expect(await main(['docs', '--serve', '--port', 'http'], port)).toBe(2);
    expect(port.stderr[0]).toMatch(/--port: expected a whole number from 0 to 65535/);
    // run's lineage endpoint is checked before anything starts.
    const lineage = capture();
    expect(await main(['run', '--openlineage-url', 'marquez:5000', '--lake', mkdtempSync(join(tmpdir(), 'lake-'))], lineage)).toBe(2);
    expect(lineage.stderr).toEqual(['tributary run: --openlineage-url: expected an http(s) URL, got "marquez:5000"']);
  });

  it('shows interrupted, running and not-loaded runs, and serves the pages on 127.0.0.1', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tributary-docs-out-'));
    try {
      let served: string | undefined;
      const io = capture();
      const code = await docsCommand(['--out', out, '--serve', '--port', '0', '--lake', lakeDir, '--warehouse', warehouseUrl, '--sla-minutes', '60'], io, async () => {
        served = io.stdout.find((l) => l.startsWith('serving on '))!.split(' ')[2];
        const index = await fetch(served);
        expect(index.status).toBe(200);
        expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(await index.text()).toContain(RUN_B);
        expect((await fetch(`${served}nothing.html`)).status).toBe(404);
        expect((await fetch(served, { method: 'POST' })).status).toBe(405);
        expect(await (await fetch(`${served}lineage.html`, { method: 'HEAD' })).text()).toBe('');
      });
      expect(code).toBe(0);
      expect(served).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = readFileSync(join(out, 'index.html'), 'utf8');
      const outcomes = [...index.matchAll(/class="outcome outcome-([a-z-]+)"/g)].map((m) => m[1]);
      expect(outcomes).toEqual(['interrupted', 'not-loaded', 'running']);
      const interrupted = readFileSync(join(out, 'runs', `totesys-${RUN_A}.html`), 'utf8');
      expect(interrupted).toContain('This run stopped without finishing');
      const fresh = readFileSync(join(out, 'freshness.html'), 'utf8');
      expect(fresh).toContain('new rows within 60 minutes');
      expect(fresh).toMatch(/<td>currency<\/td><td>2022-11-03 14:20:49\.962<\/td>/);
      expect(readFileSync(join(out, 'tests.html'), 'utf8')).toContain('No data tests recorded yet');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('keeps a run going when the lineage endpoint is down, and says so in the run record', async () => {
    const down = createServer((_, res) => res.writeHead(503, 'Service Unavailable').end());
    await new Promise<void>((ok) => down.listen(0, '127.0.0.1', ok));
    const port = (down.address() as { port: number }).port;
    try {
      expect(lineageEndpoint('http://marquez:5000/')).toBe('http://marquez:5000/api/v1/lineage');
      expect(lineageEndpoint('http://marquez:5000/api/v1/lineage')).toBe('http://marquez:5000/api/v1/lineage');
      const event = runEvent({ eventType: 'START', lineageRunId: '00000000-0000-4000-8000-000000000001', source: 'totesys', namespaces: { source: 'postgres://db:5432', sourceDatabase: 'totesys', lake: 'file:///lake' }, sourceTables: ['currency'] });
      expect(await postLineage(`http://127.0.0.1:${port}`, event)).toBe('OpenLineage endpoint answered 503 Service Unavailable');
      expect(await postLineage('http://127.0.0.1:1', event)).toMatch(/^OpenLineage endpoint unreachable: /);
      const observer = await startRunObserver({ lake, source: 'other', runId: RUN_A, sourceTables: [], lineageUrl: `http://127.0.0.1:${port}` });
      observer.onStep()('extract');
      await observer.fail(new Error('source unreachable at postgres://u:s3cret-pw@db/x: timeout\nstack line'));
      const [record] = await readRunRecords(lake, 'other');
      expect(record).toMatchObject({ status: 'failed', failedStep: 'extract', lineageError: 'OpenLineage endpoint answered 503 Service Unavailable' });
      expect(record.error).toBe('source unreachable at postgres://u:***@db/x: timeout');
    } finally {
      await new Promise<void>((ok) => down.close(() => ok()));
    }
  });
});
