/**
 * Start-up costs a person or a Lambda cold start pays before any row moves:
 * - `tributary --help` (the compiled CLI, bin/tributary.js) beside a bare `node -e 0`;
 * - each Lambda bundle's init: requiring `dist/<handler>/index.js` in a fresh Node process,
 *   with the DuckDB layer on NODE_PATH as Lambda mounts it at /opt/nodejs.
 * Each is the median of several runs, interleaved, because the machine is shared and noisy.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildBundles } from '../scripts/build';
import { buildCli } from '../scripts/build-cli';

const REPO = resolve(__dirname, '..');

export interface BundleInit {
  name: string;
  /** Median time to require the bundle (module init, as a cold start runs it), ms. */
  initMs: number;
  bytes: number;
  zippedBytes: number;
  /** Set when requiring the bundle failed or timed out: the first line of why. */
  error?: string;
}

export interface StartupMeasure {
  runs: number;
  /** Median wall time of `node -e 0`, ms. */
  nodeMs: number;
  /** Median wall time of `node bin/tributary.js --help`, ms. */
  helpMs: number;
  /** The same through tsx (what the CLI cost before it was compiled), ms. */
  helpFromSourceMs: number;
  bundles: BundleInit[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timeProcess(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const res = spawnSync(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  const ms = performance.now() - t0;
  if (res.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${res.signal ?? res.status}: ${String(res.stderr).split('\n')[0]}`);
  return ms;
}

/** Requires one bundle in a child and prints how long the require took (the child's own clock). */
const INIT_PROBE = `const t=process.hrtime.bigint();require(process.argv[1]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));process.exit(0)`;

function bundleInitMs(file: string, layerModules: string): number {
  const res = spawnSync(process.execPath, ['-e', INIT_PROBE, file], {
    cwd: tmpdir(),
    // Offline, as in a private subnet without endpoints: no credentials, no metadata service.
    env: { PATH: process.env.PATH, NODE_PATH: layerModules, AWS_REGION: 'eu-west-2', AWS_EC2_METADATA_DISABLED: 'true' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(res.error ? res.error.message : (res.stderr || `exit ${res.signal ?? res.status}`).split('\n').find((l) => l.trim()) ?? 'failed');
  return Number(res.stdout);
}

/** `scratch`: where the bundles are built (bench/run.ts passes its work folder, removed on SIGINT too). */
export async function measureStartup(runs = 7, scratch = tmpdir()): Promise<StartupMeasure> {
  await buildCli();
  const node: number[] = [];
  const help: number[] = [];
  const fromSource: number[] = [];
  const bin = join(REPO, 'bin', 'tributary.js');
  for (let i = 0; i < runs; i++) {
    node.push(timeProcess(['-e', '0']));
    help.push(timeProcess([bin, '--help']));
    if (i < 3) fromSource.push(timeProcess([bin, '--help'], { ...process.env, TRIBUTARY_CLI_FROM_SOURCE: '1' }));
  }
  const outDir = mkdtempSync(join(scratch, 'tributary-bench-bundles-'));
  try {
    const report = await buildBundles({ outDir });
    const layerModules = join(report.layer.dir, 'nodejs', 'node_modules');
    const bundles: BundleInit[] = [];
    for (const b of report.bundles) {
      const file = join(b.dir, 'index.js');
      try {
        const times = [0, 1, 2].map(() => bundleInitMs(file, layerModules));
        bundles.push({ name: b.name, initMs: median(times), bytes: b.bytes, zippedBytes: b.zippedBytes });
      } catch (err) {
        bundles.push({ name: b.name, initMs: NaN, bytes: b.bytes, zippedBytes: b.zippedBytes, error: (err as Error).message.slice(0, 200) });
      }
    }
    return { runs, nodeMs: median(node), helpMs: median(help), helpFromSourceMs: median(fromSource), bundles };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
