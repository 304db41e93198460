import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalObjectStore } from '../../runtime/lake/local';
import { listManifestRunIds } from '../../runtime/lake/manifest';
import { runPipeline } from '../../runtime/pipeline/run';
import { totesys } from '../support/pipelines';
import { activePlan } from '../../runtime/sources/postgres/backfill';
import { seedTotesys } from '../../runtime/sources/postgres/seed';
import { createDatabase } from '../support/services';
import { warehouseChecksums } from '../support/warehouse-checksum';
import { extractedRows } from '../support/manifests';

const CLI = resolve(__dirname, '..', '..', 'bin', 'tributary.js');

async function markers(lake: LocalObjectStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await lake.list('state/totesys/_backfill/')) {
    if (key.endsWith('/plan.json') || key.endsWith('/chunks.json')) continue;
    out.set(key, JSON.parse((await lake.getText(key))!).finishedAt);
  }
  return out;
}

describe('chunked backfill of large tables', () => {
  let sourceUrl: string;
  let reference: Awaited<ReturnType<typeof warehouseChecksums>>;
  let referenceRows: Record<string, number>;

  beforeAll(async () => {
    sourceUrl = await createDatabase('bfsrc');
    await seedTotesys({ sourceUrl, generate: 3000 });
    const lake = new LocalObjectStore(mkdtempSync(join(tmpdir(), 'lake-bf-ref-')));
    const warehouseUrl = await createDatabase('bfref');
    const summary = await runPipeline(totesys(sourceUrl, warehouseUrl, lake, { chunkRows: 400, concurrency: 2 }));
    // sales_order 3000, purchase_order 1247, transaction and payment 4247: all above 400 rows.
    expect(summary.backfill?.chunks).toBeGreaterThanOrEqual(8 + 4 + 11 + 11);
    expect(summary.backfill?.chunksSkipped).toBe(0);
    reference = await warehouseChecksums(warehouseUrl);
    referenceRows = await extractedRows(lake);
    expect(referenceRows.sales_order).toBe(3000);
    expect(reference.fact_payment.rows).toBe(4247);
  });

  it('resumes after a kill mid-way without redoing finished chunks, ending identical to an uninterrupted run', async () => {
    const lakeDir = mkdtempSync(join(tmpdir(), 'lake-bf-'));
    const warehouseUrl = await createDatabase('bfwh');
    const crashed = spawnSync(
      process.execPath,
      [CLI, 'run', '--source', sourceUrl, '--warehouse', warehouseUrl, '--lake', lakeDir, '--chunk-rows', '400', '--concurrency', '1'],
      { env: { ...process.env, TRIBUTARY_FAULT: 'backfill.after-chunk:purchase_order:2' }, encoding: 'utf8', timeout: 60000 },
    );
    expect(crashed.signal).toBe('SIGKILL');
    const lake = new LocalObjectStore(lakeDir);
    const plan = await activePlan(lake, 'totesys');
    expect(plan).toBeDefined();
    const done = await markers(lake);
    // sales_order's chunks and purchase_order's first ones finished before the kill.
    expect(done.size).toBeGreaterThan(8);
    expect(done.size).toBeLessThan(plan!.chunks.length);
    expect(await listManifestRunIds(lake, 'extract')).toEqual([]);

    const resumed = await runPipeline({ ...totesys(sourceUrl, warehouseUrl, lake, { chunkRows: 400, concurrency: 2 }), checkpoint: () => undefined });
    expect(resumed.backfill).toMatchObject({ backfillId: plan!.backfillId, chunksSkipped: done.size, chunksRun: plan!.chunks.length - done.size });
    const after = await markers(lake);
    for (const [key, finishedAt] of done) expect(after.get(key)).toBe(finishedAt);
    expect(await activePlan(lake, 'totesys')).toBeUndefined();
    expect(await warehouseChecksums(warehouseUrl)).toEqual(reference);
    expect(await extractedRows(lake)).toEqual(referenceRows);
  });

  it('continues incrementally after the backfill: a second run reads nothing', async () => {
    const lake = new LocalObjectStore(mkdtempSync(join(tmpdir(), 'lake-bf2-')));
    const warehouseUrl = await createDatabase('bfwh2');
    await runPipeline(totesys(sourceUrl, warehouseUrl, lake, { chunkRows: 1000 }));
    const second = await runPipeline(totesys(sourceUrl, warehouseUrl, lake, { chunkRows: 1000 }));
    expect(second.backfill).toBeUndefined();
    expect(Object.values(second.extract.manifest.tables).reduce((n, t) => n + t.rows, 0)).toBe(0);
  });
});
