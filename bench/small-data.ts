/**
 * Small data as a person feels it: the bundled real extract (2024-11-15) loaded for the first
 * time, as a whole process from start to exit, by `tributary run` (the compiled CLI) and by the
 * seed-style pipeline (`shared/baselines/seed_style.py`: SELECT * → pandas → executemany), on
 * the same PostgreSQL server, each into a fresh warehouse database and an empty lake folder.
 * Both warehouses' row counts are compared table by table: the ratio counts only if they agree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TOTESYS_STAR } from '../runtime/model/totesys/star';
import { seedTotesys } from '../runtime/sources/postgres/seed';
import { freshDatabase, withClient } from './pg';
import type { SmallDataFigures } from './report';

const REPO = resolve(__dirname, '..');
const DATASET = 'totesys-2024-11-15';

/** `shared/baselines/seed_style.py` beside (or above) the clone; TRIBUTARY_SEED_STYLE overrides. */
export function findSeedStyle(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TRIBUTARY_SEED_STYLE) return env.TRIBUTARY_SEED_STYLE;
  for (let dir = REPO; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'baselines', 'seed_style.py');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** libpq key=value form of a URL, for psycopg2. */
function libpqDsn(url: string, extra = ''): string {
  const u = new URL(url);
  const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [`host=${u.hostname}`, `port=${u.port || '5432'}`, `dbname=${u.pathname.slice(1)}`, `user=${decodeURIComponent(u.username)}`, `password=${quote(decodeURIComponent(u.password))}`, extra].filter(Boolean).join(' ');
}

async function starCounts(url: string, schema: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const counts: Record<string, number> = {};
    for (const t of [...TOTESYS_STAR.dimensions, ...TOTESYS_STAR.facts]) {
      counts[t.name] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.${t.name}`)).rows[0].n);
    }
    return counts;
  });
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv): { ms: number; status: number | null; stderr: string } {
  const t0 = performance.now();
  const res = spawnSync(command, args, { cwd: REPO, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  return { ms: performance.now() - t0, status: res.status, stderr: res.error ? res.error.message : res.stderr };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function measureSmallData(adminUrl: string, workDir: string, runs = 3): Promise<SmallDataFigures> {
  const sourceUrl = await freshDatabase(adminUrl, 'small_source');
  const seeded = await seedTotesys({ sourceUrl });
  const sourceRows = Object.values(seeded.rows).reduce((a, b) => a + b, 0);
  const bin = join(REPO, 'bin', 'tributary.js');
  const tributary: number[] = [];
  let tributaryCounts: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    const warehouseUrl = await freshDatabase(adminUrl, 'small_warehouse');
    const lake = mkdtempSync(join(workDir, 'small-lake-'));
    try {
      const res = timed(process.execPath, [bin, 'run', '--source', sourceUrl, '--warehouse', warehouseUrl, '--lake', lake], { ...process.env, TRIBUTARY_SOURCE_URL: '', TRIBUTARY_WAREHOUSE_URL: '' });
      if (res.status !== 0) throw new Error(`tributary run exited with ${res.status}: ${res.stderr.trim().split('\n').pop()}`);
      tributary.push(res.ms);
      tributaryCounts = await starCounts(warehouseUrl, 'public');
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  }
  const base = { dataset: DATASET, sourceRows, tributaryMs: median(tributary), runs };
  const script = findSeedStyle();
  const model = script ? join(dirname(dirname(script)), 'model', 'warehouse.sql') : undefined;
  if (!script || !model || !existsSync(model)) return { ...base, seedStyleMs: null, seedStyleError: 'shared/baselines/seed_style.py or shared/model/warehouse.sql not found', sameResult: null };
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const probe = spawnSync(python, ['-c', 'import pandas, psycopg2'], { encoding: 'utf8' });
  if (probe.status !== 0) return { ...base, seedStyleMs: null, seedStyleError: 'python3-pandas / python3-psycopg2 not installed', sameResult: null };
  const seedStyle: number[] = [];
  let seedCounts: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    const warehouseUrl = await freshDatabase(adminUrl, 'seed_warehouse');
    await withClient(warehouseUrl, async (c) => {
      await c.query('CREATE SCHEMA seed; SET search_path = seed');
      await c.query(readFileSync(model, 'utf8'));
    });
    const lake = mkdtempSync(join(workDir, 'seed-lake-'));
    try {
      const res = timed(python, [script, libpqDsn(sourceUrl), libpqDsn(warehouseUrl), lake], process.env);
      if (res.status !== 0) return { ...base, seedStyleMs: null, seedStyleError: `seed_style.py exited with ${res.status}: ${res.stderr.trim().split('\n').pop()}`, sameResult: null };
      seedStyle.push(res.ms);
      seedCounts = await starCounts(warehouseUrl, 'seed');
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  }
  const sameResult = Object.keys(tributaryCounts).every((t) => tributaryCounts[t] === seedCounts[t]);
  return { ...base, seedStyleMs: median(seedStyle), sameResult };
}
