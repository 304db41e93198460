import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../runtime/cli/main';
import type { CliIo } from '../../runtime/cli/commands';
import { createDatabase } from '../support/services';
import { count, totesysFixture, withClient, type TotesysFixture } from '../support/totesys';
import { freePort } from '../support/moto';

function capture(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), interactive: false, env };
}

describe('tributary CLI', () => {
  let fx: TotesysFixture;
  beforeAll(async () => {
    fx = await totesysFixture();
  });

  it('runs a pass against given URLs, prints the per-table summary, and reports status', async () => {
    const io = capture();
    const code = await main(['run', '--source', fx.sourceUrl, '--warehouse', fx.warehouseUrl, '--lake', fx.lakeDir], io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const out = io.stdout.join('\n');
    expect(out).toMatch(/sales_order\s+11,187/);
    expect(out).toMatch(/fact_payment\s+15,836\s+15,836/);
    expect(out).toMatch(/timings: extract/);
    const status = capture({ TRIBUTARY_LAKE: fx.lakeDir, TRIBUTARY_WAREHOUSE_URL: fx.warehouseUrl });
    expect(await main(['status', '--json'], status)).toBe(0);
    const parsed = JSON.parse(status.stdout.join('\n'));
    expect(parsed.rowCounts.fact_sales_order).toBe(11187);
    expect(parsed.watermarks.sales_order.watermark).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+$/);
    expect(parsed.runs).toHaveLength(1);
    const text = capture({ TRIBUTARY_LAKE: fx.lakeDir, TRIBUTARY_WAREHOUSE_URL: fx.warehouseUrl });
    expect(await main(['status'], text)).toBe(0);
    expect(text.stdout.join('\n')).toMatch(/fact_sales_order\s+11,187/);
  });

  it('notes the source tables that have no index on their cursor column', async () => {
    await withClient(fx.sourceUrl, (c) => c.query('DROP INDEX payment_last_updated_idx'));
    const io = capture();
    expect(await main(['run', '--source', fx.sourceUrl, '--warehouse', fx.warehouseUrl, '--lake', fx.lakeDir], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/note: no index on the cursor column of payment: each run reads these tables whole/);
    await withClient(fx.sourceUrl, (c) => c.query('CREATE INDEX payment_last_updated_idx ON payment (last_updated)'));
  });

  it('exits 2 naming the option for bad usage', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', '--source', 'not a url'], /--source: not a URL/],
      [['run', '--warehouse', 'mysql://u:p@h/db'], /--warehouse: expected a postgres:\/\/ URL/],
      [['run', '--lake', 'gs://bucket'], /--lake: unsupported scheme/],
      [['run', '--bogus'], /unknown option --bogus; `tributary run --help` lists the options/],
      [['run', '--pipeline', 'nope'], /--pipeline: unknown pipeline/],
      [['seed', '--source', 'postgres://u:p@127.0.0.1:1/db', '--generate', 'many'], /--generate: expected a whole number of sales orders/],
      [['seed', '--source', 'postgres://u:p@127.0.0.1:1/db', '--generate', '5', '--data', '/tmp'], /cannot be used together/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [argv, message] of cases) {
      const io = capture();
      expect({ argv, code: await main(argv, io) }).toEqual({ argv, code: 2 });
      expect(io.stderr.join('\n')).toMatch(message);
    }
    expect(await main([], capture())).toBe(2);
    const help = capture();
    expect(await main(['--help'], help)).toBe(0);
    expect(help.stdout.join('\n')).toMatch(/^  run  .*\n  seed  /m);
    const seedHelp = capture();
    expect(await main(['seed', '--help'], seedHelp)).toBe(0);
    expect(seedHelp.stdout.join('\n')).toMatch(/^tributary seed \[options\][^]*--source <postgres-url>/);
  });

  it('fails with one line and exit 1 when the source is unreachable, never printing the password', async () => {
    const port = await freePort();
    const io = capture();
    const url = `postgres://etl:Sup3rS3cretPw@127.0.0.1:${port}/totesys`;
    const code = await main(['run', '--source', url, '--warehouse', fx.warehouseUrl, '--lake', mkdtempSync(join(tmpdir(), 'lake-'))], io);
    expect(code).toBe(1);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(/source unreachable at postgres:\/\/etl:\*\*\*@127\.0\.0\.1/);
    expect([...io.stdout, ...io.stderr].join('\n')).not.toContain('Sup3rS3cretPw');
  });

  it('fails on a missing source table and advances no watermark', async () => {
    const empty = await createDatabase('empty');
    const lakeDir = mkdtempSync(join(tmpdir(), 'lake-'));
    const io = capture();
    expect(await main(['run', '--source', empty, '--warehouse', fx.warehouseUrl, '--lake', lakeDir], io)).toBe(1);
    expect(io.stderr[0]).toMatch(/source is missing tables address, counterparty/);
    expect(readdirSync(lakeDir, { recursive: true }).map(String).filter((p) => p.startsWith('state/') && p.endsWith('.json') && !p.includes('_lock') && !p.includes('_runs/'))).toEqual([]);
  });

  it('fails when the lake cannot be written, leaving the warehouse and watermarks untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-'));
    writeFileSync(join(dir, 'raw'), 'a file where the raw folder should be');
    const wh = await createDatabase('wh');
    const io = capture();
    expect(await main(['run', '--source', fx.sourceUrl, '--warehouse', wh, '--lake', dir], io)).toBe(1);
    expect(io.stderr).toHaveLength(1);
    expect(readdirSync(dir, { recursive: true }).map(String).filter((p) => p.startsWith('state/totesys/') && !p.includes('_lock') && !p.includes('_runs'))).toEqual([]);
    expect(await count(wh, `SELECT count(*) AS n FROM pg_tables WHERE tablename = 'fact_sales_order'`)).toBe(0);
  });

  it('seeds generated data at a chosen scale and refuses to overwrite without --reset', async () => {
    const db = await createDatabase('gen');
    const io = capture();
    expect(await main(['seed', '--source', db, '--generate', '500'], io)).toBe(0);
    expect(await count(db, 'SELECT count(*) AS n FROM sales_order')).toBe(500);
    expect(await count(db, 'SELECT count(*) AS n FROM payment')).toBe(await count(db, 'SELECT count(*) AS n FROM "transaction"'));
    const again = capture();
    expect(await main(['seed', '--source', db], again)).toBe(2);
    expect(again.stderr[0]).toMatch(/--reset/);
    expect(await main(['seed', '--source', db, '--reset'], capture())).toBe(0);
    expect(await count(db, 'SELECT count(*) AS n FROM sales_order')).toBe(11187);
  });
});
