/**
 * `npx tsx bench/probe-initial-load.ts [N] [rounds]`: the load's ideas measured against each
 * other. Runs extract and transform once on N generated sales orders (default 300000) on an
 * embedded PostgreSQL, then loads the same processed run into a fresh warehouse database per
 * variant (each idea alone, then all: COPY straight into empty tables instead of through the
 * stage, work_mem raised, reference keys collected in one scan),
 * alternating variants for `rounds` rounds (default 2), printing each load's time and its
 * slowest statements. Findings in docs/benchmarks.md.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEmbeddedPostgres } from '../runtime/cli/embedded';
import { LocalObjectStore } from '../runtime/lake/local';
import { transformPending } from '../runtime/model/transform';
import { TOTESYS_STAR } from '../runtime/model/totesys/star';
import { loadPendingRuns } from '../runtime/pipeline/load-step';
import { extractPostgres } from '../runtime/sources/postgres/extract';
import { seedTotesys } from '../runtime/sources/postgres/seed';
import { TOTESYS_TABLES } from '../runtime/sources/postgres/tables';
import { DEFAULT_LOAD_TUNING, PostgresWarehouse, type LoadTuning } from '../runtime/warehouse/postgres/warehouse';
import { freshDatabase } from './pg';
import { installProfiler, resetTimings, topTimings } from './profile';

const NONE: LoadTuning = { copyStraightIn: false, appendPastGreatestKey: false, raiseWorkMem: false, referenceKeys: false, boundedProbes: false, leastKeyFirst: false, overlapStaging: false };
const VARIANTS: Array<[string, LoadTuning]> = [
  ['stage, as before', NONE],
  ['+ work_mem raised', { ...NONE, raiseWorkMem: true }],
  ['+ reference keys in one scan', { ...NONE, referenceKeys: true }],
  ['+ COPY straight into empty tables', { ...NONE, copyStraightIn: true }],
  ['+ … and into tables past their greatest key', { ...NONE, copyStraightIn: true, appendPastGreatestKey: true }],
  ['+ dimension probes bounded by the batch\'s key range', { ...NONE, boundedProbes: true }],
  ['all five (the default)', DEFAULT_LOAD_TUNING],
];

async function main(n: number, rounds: number): Promise<void> {
  installProfiler();
  const work = mkdtempSync(join(tmpdir(), 'tributary-probe-'));
  chmodSync(work, 0o711);
  const server = await startEmbeddedPostgres({ dataDir: join(work, 'pg') });
  try {
    const sourceUrl = await freshDatabase(server.adminUrl, 'probe_source');
    await seedTotesys({ sourceUrl, generate: n });
    const lake = new LocalObjectStore(join(work, 'lake'));
    await extractPostgres({ sourceUrl, lake, source: 'totesys', tables: TOTESYS_TABLES });
    await transformPending({ lake, source: 'totesys', workDir: work });
    for (let round = 1; round <= rounds; round++) {
      for (const [name, tuning] of VARIANTS) {
        const url = await freshDatabase(server.adminUrl, 'probe_warehouse');
        const wh = await PostgresWarehouse.connect(url, TOTESYS_STAR, work, tuning);
        try {
          await wh.ensureSchema();
          resetTimings();
          const t0 = performance.now();
          await loadPendingRuns(wh, lake, 'totesys');
          const top = topTimings(5).map((t) => `${(t.ms / 1000).toFixed(2)} s ${t.label.slice(0, 60)}`);
          console.log(`round ${round}  ${name.padEnd(34)} ${String(Math.round(performance.now() - t0)).padStart(7)} ms\n    ${top.join('\n    ')}`);
        } finally {
          await wh.close();
        }
      }
    }
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main(Number(process.argv[2] ?? 300_000), Number(process.argv[3] ?? 2)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
