import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalObjectStore } from '../../runtime/lake/local';
import { TOTESYS_MODELS } from '../../runtime/model/totesys/models';
import { faultPoints } from '../../runtime/pipeline/faults';
import { runPipeline } from '../../runtime/pipeline/run';
import { totesys } from '../support/pipelines';
import { seedTotesys } from '../../runtime/sources/postgres/seed';
import { TOTESYS_TABLES } from '../../runtime/sources/postgres/tables';
import { createDatabase } from '../support/services';
import { warehouseChecksums } from '../support/warehouse-checksum';
import { extractedRows } from '../support/manifests';

const CLI = resolve(__dirname, '..', '..', 'bin', 'tributary.js');
const ALL_POINTS = faultPoints(
  TOTESYS_TABLES.map((t) => t.name),
  TOTESYS_MODELS.map((m) => m.table),
);
// Every stage-level point, and the per-table points of the first, a middle and the last table;
// TRIBUTARY_FULL_FAULT_MATRIX=1 runs all of them (about three minutes on two cores).
const SAMPLED_TABLES = [':address', ':design', ':sales_order', ':payment', ':dim_location', ':dim_transaction', ':fact_payment'];
const POINTS = process.env.TRIBUTARY_FULL_FAULT_MATRIX
  ? ALL_POINTS
  : ALL_POINTS.filter((p) => !p.includes(':') || SAMPLED_TABLES.some((t) => p.endsWith(t)));

describe('a run killed at any fault point', () => {
  let sourceUrl: string;
  let reference: Awaited<ReturnType<typeof warehouseChecksums>>;
  let referenceRows: Record<string, number>;

  beforeAll(async () => {
    sourceUrl = await createDatabase('crashsrc');
    await seedTotesys({ sourceUrl, generate: 1500 });
    const lake = new LocalObjectStore(mkdtempSync(join(tmpdir(), 'lake-ref-')));
    const warehouseUrl = await createDatabase('crashref');
    await runPipeline(totesys(sourceUrl, warehouseUrl, lake));
    reference = await warehouseChecksums(warehouseUrl);
    referenceRows = await extractedRows(lake);
    expect(reference.fact_sales_order.rows).toBe(1500);
  });

  it('has at least 20 fault points across extract, transform and load', () => {
    expect(ALL_POINTS.length).toBeGreaterThanOrEqual(20);
    expect(POINTS.length).toBeGreaterThanOrEqual(20);
    for (const stage of ['extract.', 'transform.', 'load.']) expect(POINTS.some((p) => p.startsWith(stage))).toBe(true);
  });

  it.each(POINTS)('recovers exactly after a kill at %s', async (point) => {
    const lakeDir = mkdtempSync(join(tmpdir(), 'lake-crash-'));
    const warehouseUrl = await createDatabase('crashwh');
    const crashed = spawnSync(process.execPath, [CLI, 'run', '--source', sourceUrl, '--warehouse', warehouseUrl, '--lake', lakeDir], {
      env: { ...process.env, TRIBUTARY_FAULT: point },
      encoding: 'utf8',
      timeout: 60000,
    });
    // The process really died at the point (SIGKILL), it did not finish or fail otherwise.
    expect({ point, signal: crashed.signal, stderr: crashed.stderr.split('\n').filter((l) => l.startsWith('tributary')) }).toEqual({ point, signal: 'SIGKILL', stderr: [] });
    const lake = new LocalObjectStore(lakeDir);
    await runPipeline({ ...totesys(sourceUrl, warehouseUrl, lake), checkpoint: () => undefined });
    expect(await warehouseChecksums(warehouseUrl)).toEqual(reference);
    // No source row was extracted twice into a manifest, none was missed.
    expect(await extractedRows(lake)).toEqual(referenceRows);
  });
});
