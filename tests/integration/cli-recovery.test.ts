/**
 * What a run checks before its first write: every endpoint answers, and the raw objects the next
 * transform reads match their manifest's sha256. A failure writes nothing and moves nothing; a
 * damaged object has a documented recovery (`tributary reextract`) that ends where an
 * uninterrupted run would have.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../runtime/cli/commands';
import { main } from '../../runtime/cli/main';
import { listManifestRunIds, readManifest, type ExtractManifest } from '../../runtime/lake/manifest';
import { runPipeline } from '../../runtime/pipeline/run';
import { freePort } from '../support/moto';
import { totesys } from '../support/pipelines';
import { createDatabase } from '../support/services';
import { count, totesysFixture, withClient, type TotesysFixture } from '../support/totesys';
import { warehouseChecksums } from '../support/warehouse-checksum';

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), interactive: false, env: {} };
}

/** Every file of the lake with its size and modification time: "nothing written" is this unchanged. */
function lakeFiles(dir: string, options: { records?: boolean } = { records: true }): Record<string, string> {
  const files: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true }).map(String)) {
    if (!options.records && rel.startsWith('runs/')) continue;
    const stat = statSync(join(dir, rel));
    if (stat.isFile()) files[rel] = `${stat.size}:${stat.mtimeMs}`;
  }
  return files;
}

const NEW_ORDERS = `INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
  VALUES ('2031-06-01 08:00', '2031-06-01 08:00', 1, 1, 1, 21, 3.00, 1, '2031-06-05', '2031-06-06', 1),
         ('2031-06-01 09:00', '2031-06-01 09:00', 2, 2, 2, 22, 4.00, 1, '2031-06-05', '2031-06-06', 2)`;

describe('tributary run checks before it writes', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const args = (fx: TotesysFixture) => ['--source', fx.sourceUrl, '--warehouse', fx.warehouseUrl, '--lake', fx.lakeDir];

  it('an unreachable warehouse fails the run before extract writes an object or moves a watermark', async () => {
    const fx = await totesysFixture();
    dirs.push(fx.lakeDir);
    const io = capture();
    const port = await freePort();
    const code = await main(['run', '--source', fx.sourceUrl, '--warehouse', `postgres://loader:pw@127.0.0.1:${port}/dwh`, '--lake', fx.lakeDir], io);
    expect(code).toBe(1);
    expect(io.stderr).toEqual([expect.stringMatching(/^tributary run: warehouse unreachable at postgres:\/\/loader:\*\*\*@127\.0\.0\.1:\d+\/dwh/)]);
    // Only the record of the failed run: no raw object, no manifest, no watermark.
    expect(Object.keys(lakeFiles(fx.lakeDir))).toEqual([expect.stringMatching(/^runs\/totesys\/\d{8}T\d{9}Z-\w+\.json$/)]);
    // …and status does not look clean: it shows the failed run and its error.
    const status = capture();
    expect(await main(['status', '--lake', fx.lakeDir, '--warehouse', fx.warehouseUrl], status)).toBe(0);
    const text = status.stdout.join('\n');
    expect(text).toMatch(/^\d{8}T\d{9}Z-\w+\s+FAILED\s+.*warehouse unreachable at postgres:\/\/loader:\*\*\*@/m);
    expect(text).toMatch(/^last run FAILED: warehouse unreachable/m);
    expect(text).not.toContain(':pw@');
    const json = capture();
    expect(await main(['status', '--json', '--lake', fx.lakeDir, '--warehouse', fx.warehouseUrl], json)).toBe(0);
    expect(JSON.parse(json.stdout.join('\n')).history).toEqual([expect.objectContaining({ outcome: 'failed', error: expect.stringMatching(/^warehouse unreachable/) })]);
  });

  it('an unreachable source fails the run before anything is written', async () => {
    const lakeDir = mkdtempSync(join(tmpdir(), 'tributary-lake-'));
    dirs.push(lakeDir);
    const warehouseUrl = await createDatabase('prewh');
    const io = capture();
    const code = await main(['run', '--source', `postgres://etl:pw@127.0.0.1:${await freePort()}/totesys`, '--warehouse', warehouseUrl, '--lake', lakeDir], io);
    expect(code).toBe(1);
    expect(io.stderr).toEqual([expect.stringMatching(/^tributary run: source unreachable at/)]);
    expect(Object.keys(lakeFiles(lakeDir))).toEqual([expect.stringMatching(/^runs\/totesys\//)]);
    expect(await count(warehouseUrl, `SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'`)).toBe(0);
  });

  it('a damaged raw object stops the run naming it, writing nothing; reextract recovers to what an uninterrupted run loads', async () => {
    // Reference: the same two passes, uninterrupted.
    const ref = await totesysFixture();
    dirs.push(ref.lakeDir);
    expect(await main(['run', ...args(ref)], capture())).toBe(0);
    await withClient(ref.sourceUrl, (c) => c.query(NEW_ORDERS));
    expect(await main(['run', ...args(ref)], capture())).toBe(0);

    const fx = await totesysFixture();
    dirs.push(fx.lakeDir);
    expect(await main(['run', ...args(fx)], capture())).toBe(0);
    await withClient(fx.sourceUrl, (c) => c.query(NEW_ORDERS));
    // The second pass stops after its extract (watermarks moved, nothing transformed)...
    await expect(
      runPipeline({
        ...totesys(fx.sourceUrl, fx.warehouseUrl, fx.lake),
        checkpoint: (point) => {
          if (point === 'transform.before-manifest') throw new Error('stopped for the test');
        },
      }),
    ).rejects.toThrow('stopped for the test');
    const runs = await listManifestRunIds(fx.lake, 'extract');
    const damagedRun = runs[runs.length - 1];
    const object = (await readManifest<ExtractManifest>(fx.lake, 'extract', damagedRun))!.tables.sales_order.objects[0];
    // ...and its raw object is then truncated.
    const path = join(fx.lakeDir, object.key);
    writeFileSync(path, readFileSync(path).subarray(0, Math.floor(object.bytes / 2)));

    const before = lakeFiles(fx.lakeDir, { records: false });
    const warehouseBefore = await warehouseChecksums(fx.warehouseUrl);
    const failed = capture();
    expect(await main(['run', ...args(fx)], failed)).toBe(1);
    expect(failed.stderr).toHaveLength(1);
    expect(failed.stderr[0]).toContain(`tributary run: ${path} does not match manifests/extract/${damagedRun}.json`);
    expect(failed.stderr[0]).toContain(`nothing was written. Recover: tributary reextract --run ${damagedRun}`);
    expect(lakeFiles(fx.lakeDir, { records: false })).toEqual(before);
    expect(await warehouseChecksums(fx.warehouseUrl)).toEqual(warehouseBefore);

    // A run that is not waiting to be transformed cannot be undone.
    const wrong = capture();
    expect(await main(['reextract', '--run', runs[0], '--lake', fx.lakeDir], wrong)).toBe(2);
    expect(wrong.stderr).toEqual([expect.stringMatching(new RegExp(`^tributary reextract: --run: extract run ${runs[0]} of totesys is not waiting to be transformed`))]);
    expect(lakeFiles(fx.lakeDir, { records: false })).toEqual(before);

    const recovered = capture();
    expect(await main(['reextract', '--run', damagedRun, '--lake', fx.lakeDir], recovered)).toBe(0);
    expect(recovered.stdout.join('\n')).toContain(`undid extract run(s) ${damagedRun}`);
    const rerun = capture();
    expect(await main(['run', ...args(fx)], rerun)).toBe(0);
    const history = capture();
    expect(await main(['status', '--json', ...args(fx).slice(2)], history)).toBe(0);
    // Newest first: the rerun, the run stopped by the damaged object, the pass stopped for the test
    // (run records are written by every runner, not only the CLI), the first run.
    expect(JSON.parse(history.stdout.join('\n')).history.map((r: { outcome: string }) => r.outcome)).toEqual(['succeeded', 'failed', 'failed', 'succeeded']);
    expect(rerun.stdout.join('\n')).toMatch(/^sales_order\s+2\s/m);
    expect(await warehouseChecksums(fx.warehouseUrl)).toEqual(await warehouseChecksums(ref.warehouseUrl));
  });
});
