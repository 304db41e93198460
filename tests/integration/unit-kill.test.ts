import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalObjectStore } from '../../runtime/lake/local';
import { runPipeline } from '../../runtime/pipeline/run';
import { totesys } from '../support/pipelines';
import { seedTotesys } from '../../runtime/sources/postgres/seed';
import { createDatabase } from '../support/services';
import { extractedRows } from '../support/manifests';
import { warehouseChecksums } from '../support/warehouse-checksum';
import { seededRandom } from '../support/seeded-random';

/**
 * The named fault points (crash-recovery.test.ts) stop a run between two operations; this kills
 * it with SIGKILL at a random moment, so the kill lands inside a unit of work: mid-COPY of a
 * backfill chunk, inside a transform unit's DuckDB statement, inside a load unit's transaction
 * (transform and load run in units of 700 rows here, TRIBUTARY_UNIT_ROWS). The moments are
 * spread over the run (trial i in the i-th slice of an uninterrupted run's duration) and drawn
 * from a seed printed on failure (TRIBUTARY_KILL_SEED reproduces a run).
 */
const CLI = resolve(__dirname, '..', '..', 'bin', 'tributary.js');
const TRIALS = 3;
const CHUNK_ROWS = '700';
/** Transform and load units of at most 700 rows: the backfilled run is cut into many, so kills land inside units. */
const UNIT_ROWS = '700';
const SEED = Number(process.env.TRIBUTARY_KILL_SEED ?? Date.now() % 1_000_000);

const random = seededRandom;

/** Runs the CLI; with `killAfterMs`, SIGKILLs it then. Resolves with how it ended and when. */
function runCli(args: string[], killAfterMs?: number): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, TRIBUTARY_FAULT: '', TRIBUTARY_UNIT_ROWS: UNIT_ROWS }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolveRun({ ms: performance.now() - t0, code, signal, stderr });
    });
  });
}

describe(`a run SIGKILLed at random moments (seed ${SEED})`, () => {
  let sourceUrl: string;
  let reference: Awaited<ReturnType<typeof warehouseChecksums>>;
  let referenceRows: Record<string, number>;
  let runMs: number;
  const dirs: string[] = [];
  const lakeDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-kill-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    sourceUrl = await createDatabase('killsrc');
    // 2,000 orders in chunks of 700 rows: sales_order, payment and transaction are backfilled
    // in several units, the others extracted whole.
    await seedTotesys({ sourceUrl, generate: 2000 });
    const warehouseUrl = await createDatabase('killref');
    const lake = lakeDir();
    const uninterrupted = await runCli(['run', '--source', sourceUrl, '--warehouse', warehouseUrl, '--lake', lake, '--chunk-rows', CHUNK_ROWS]);
    expect({ code: uninterrupted.code, stderr: uninterrupted.stderr }).toEqual({ code: 0, stderr: '' });
    runMs = uninterrupted.ms;
    reference = await warehouseChecksums(warehouseUrl);
    referenceRows = await extractedRows(new LocalObjectStore(lake));
    expect(reference.fact_sales_order.rows).toBe(2000);
  });

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('ends identical to an uninterrupted run after every kill, and most kills land before the run ends', async () => {
    const draw = random(SEED);
    const outcomes: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      // Trial i kills somewhere in the i-th third of the run (start-up included).
      let at = Math.round(runMs * ((trial + draw()) / TRIALS));
      let lake = lakeDir();
      let warehouseUrl = await createDatabase('killwh');
      let killed = await runCli(['run', '--source', sourceUrl, '--warehouse', warehouseUrl, '--lake', lake, '--chunk-rows', CHUNK_ROWS], at);
      // The reference may have run on a busier machine than this trial: a run that finished
      // before its moment is drawn again earlier (the same seed draws the same moments).
      for (let retry = 0; retry < 2 && killed.signal !== 'SIGKILL'; retry++) {
        at = Math.round(at / 2);
        lake = lakeDir();
        warehouseUrl = await createDatabase('killwh');
        killed = await runCli(['run', '--source', sourceUrl, '--warehouse', warehouseUrl, '--lake', lake, '--chunk-rows', CHUNK_ROWS], at);
      }
      outcomes.push(killed.signal === 'SIGKILL' ? `killed at ${at} ms` : `finished before ${at} ms`);
      // Either killed, or it had finished cleanly: never a failure of its own.
      expect({ at, signal: killed.signal, code: killed.signal ? null : killed.code }).toEqual({ at, signal: killed.signal === 'SIGKILL' ? 'SIGKILL' : null, code: killed.signal ? null : 0 });
      await runPipeline({ ...totesys(sourceUrl, warehouseUrl, new LocalObjectStore(lake), { chunkRows: Number(CHUNK_ROWS) }), unitRows: Number(UNIT_ROWS), checkpoint: () => undefined });
      expect({ trial, at, tables: await warehouseChecksums(warehouseUrl) }).toEqual({ trial, at, tables: reference });
      expect({ trial, at, extracted: await extractedRows(new LocalObjectStore(lake)) }).toEqual({ trial, at, extracted: referenceRows });
    }
    // A slow machine can stretch a run past the reference's duration; two of three kills must
    // still have landed, or this test would be testing nothing.
    expect({ seed: SEED, runMs, outcomes, killed: outcomes.filter((o) => o.startsWith('killed')).length >= 2 }).toEqual({ seed: SEED, runMs, outcomes, killed: true });
  });
});
