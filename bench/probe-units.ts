/**
 * `npx tsx bench/probe-units.ts <lakeDir> <adminUrl> [unitRows]`: loads the processed runs of a
 * kept bench lake (`npm run bench -- --keep`) into a fresh warehouse database unit by unit, in
 * one process, and prints each unit's time and where the load's time went (pg statements).
 * For trying a load idea against the same lake without regenerating the source: `PROBE_TUNING`
 * turns switches of `LoadTuning` off (`boundedProbes=0,appendPastGreatestKey=0`).
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { LocalObjectStore } from '../runtime/lake/local';
import { TOTESYS_STAR } from '../runtime/model/totesys/star';
import { loadNextUnit } from '../runtime/pipeline/load-step';
import { DEFAULTS } from '../runtime/contract';
import { DEFAULT_LOAD_TUNING, PostgresWarehouse, type LoadTuning } from '../runtime/warehouse/postgres/warehouse';
import { installProfiler, resetTimings, topTimings } from './profile';
import type { StatementTiming } from './report';

/** PROBE_TUNING=boundedProbes=0,appendPastGreatestKey=0: the default with those switches off. */
function tuningFromEnv(): LoadTuning {
  const tuning: LoadTuning = { ...DEFAULT_LOAD_TUNING };
  for (const pair of (process.env.PROBE_TUNING ?? '').split(',').filter(Boolean)) {
    const [name, value] = pair.split('=');
    if (!(name in tuning)) throw new Error(`PROBE_TUNING: no switch ${name}`);
    tuning[name as keyof LoadTuning] = value !== '0';
  }
  console.log(`tuning ${JSON.stringify(tuning)}`);
  return tuning;
}

let last = new Map<string, StatementTiming>();
/** The statements of the last unit (PROBE_UNITS=1): the timings since the previous call. */
function sinceLast(limit = 8): StatementTiming[] {
  const now = new Map(topTimings(1000).map((t) => [t.label, t]));
  const diff = [...now.values()].map((t) => ({ label: t.label, calls: t.calls - (last.get(t.label)?.calls ?? 0), ms: t.ms - (last.get(t.label)?.ms ?? 0) }));
  last = now;
  return diff.filter((d) => d.calls > 0).sort((a, b) => b.ms - a.ms).slice(0, limit);
}

async function main(lakeDir: string, adminUrl: string, unitRows: number): Promise<void> {
  const db = `probe_units_${Date.now()}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const url = new URL(adminUrl);
  url.pathname = `/${db}`;
  installProfiler();
  const lake = new LocalObjectStore(lakeDir);
  const warehouse = await PostgresWarehouse.connect(url.toString(), TOTESYS_STAR, undefined, tuningFromEnv());
  const t0 = performance.now();
  try {
    await warehouse.ensureSchema();
    resetTimings();
    for (let i = 1; ; i++) {
      const t = performance.now();
      const step = await loadNextUnit(warehouse, lake, 'totesys', { model: TOTESYS_STAR, unitRows });
      const tables = (step.load?.tables ?? []).map((x) => `${x.table}:${x.staged}/${x.applied}`).join(' ');
      console.log(`unit ${i}: ${((performance.now() - t) / 1000).toFixed(2)} s ${tables}`);
      if (process.env.PROBE_UNITS) for (const s of sinceLast()) console.log(`    ${(s.ms / 1000).toFixed(2).padStart(7)} s ${String(s.calls).padStart(3)}× ${s.label}`);
      if (!step.more) break;
    }
    console.log(`load: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const s of topTimings(25)) console.log(`${(s.ms / 1000).toFixed(2).padStart(8)} s ${String(s.calls).padStart(4)}× ${s.label}`);
    console.log(JSON.stringify(await warehouse.rowCounts()));
  } finally {
    await warehouse.close();
    if (!process.env.PROBE_KEEP) await admin.query(`DROP DATABASE ${db}`);
    await admin.end();
  }
}

const [lakeDir, adminUrl, unitRows] = process.argv.slice(2);
if (!lakeDir || !adminUrl) {
  console.error('usage: npx tsx bench/probe-units.ts <lakeDir> <adminUrl> [unitRows]');
  process.exit(2);
}
main(lakeDir, adminUrl, unitRows ? Number(unitRows) : DEFAULTS.unitRows).catch((err) => {
  console.error(err);
  process.exit(1);
});
