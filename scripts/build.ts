/**
 * Builds the Lambda bundles: `npm run build`.
 *
 * - One bundle per entry point in `runtime/handlers/` (extract, transform, load, notify, backfill,
 *   reconcile), written
 *   to `dist/<handler>/index.js`: esbuild, minified, platform node, target node22, CommonJS,
 *   AWS SDK v3 bundled (the runtime's own SDK copy is not relied upon).
 * - Native dependencies (`@duckdb/*`) stay external and are copied with their dependency closure
 *   into the layer directory `dist/layer/nodejs/node_modules/`, which Lambda mounts at /opt/nodejs.
 * - Prints each bundle's size and zipped size (yazl, deflate), as Lambda would receive it.
 *
 * `buildBundles()` is exported for the tests (they build once in a `beforeAll`).
 */
import { build as esbuild } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ZipFile } from 'yazl';

export const HANDLERS = ['extract', 'transform', 'load', 'notify', 'backfill', 'reconcile', 'site'] as const;
export type HandlerName = (typeof HANDLERS)[number];

/** Packages with native code: never bundled, shipped in the layer instead. */
export const NATIVE_PACKAGES = ['@duckdb/node-api'] as const;
/** Externals esbuild must leave alone; `pg-native` is an optional require of `pg` we never use. */
const EXTERNALS = ['@duckdb/*', 'pg-native'];

export interface BuildOptions {
  /** Repository root; defaults to this repository. */
  readonly rootDir?: string;
  /** Output folder; defaults to `<rootDir>/dist`. */
  readonly outDir?: string;
  /** Handlers to build; defaults to all of HANDLERS. */
  readonly handlers?: readonly HandlerName[];
  /** Also zip the layer to report its size (a few seconds: the DuckDB binary is large). */
  readonly measureLayer?: boolean;
  /**
   * Keep the TRIBUTARY_FAULT crash hook in the bundles (offline crash rehearsals only). Off by
   * default: `define` turns the hook's guard into `false` and minification removes the hook.
   */
  readonly faultHook?: boolean;
}

export interface BundleReport {
  readonly name: string;
  /** Folder to deploy (`dist/<name>`), holding `index.js`. */
  readonly dir: string;
  readonly bytes: number;
  readonly zippedBytes: number;
}

export interface BuildReport {
  readonly bundles: BundleReport[];
  readonly layer: { readonly dir: string; readonly packages: string[]; readonly bytes: number; readonly zippedBytes?: number };
}

const REPO = resolve(__dirname, '..');

export async function buildBundles(options: BuildOptions = {}): Promise<BuildReport> {
  const rootDir = options.rootDir ?? REPO;
  const outDir = options.outDir ?? join(rootDir, 'dist');
  const handlers = options.handlers ?? HANDLERS;
  const entries = handlers.map((name) => ({ name, entry: join(rootDir, 'runtime', 'handlers', `${name}.ts`) }));
  const missing = entries.filter((e) => !existsSync(e.entry));
  if (missing.length > 0) {
    throw new Error(`missing Lambda entry point(s): ${missing.map((e) => relative(rootDir, e.entry)).join(', ')}`);
  }

  mkdirSync(outDir, { recursive: true });
  await Promise.all(
    entries.map(async ({ name, entry }) => {
      const dir = join(outDir, name);
      rmSync(dir, { recursive: true, force: true });
      await esbuild({
        entryPoints: [entry],
        outfile: join(dir, 'index.js'),
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        // Prefer ES modules so esbuild can drop the unused parts of the AWS SDK.
        mainFields: ['module', 'main'],
        external: EXTERNALS,
        legalComments: 'none',
        define: { TRIBUTARY_FAULT_HOOK: options.faultHook ? 'true' : 'false' },
        logLevel: 'error',
        absWorkingDir: rootDir,
      });
    }),
  );
  const bundles: BundleReport[] = [];
  for (const { name } of entries) {
    const dir = join(outDir, name);
    const file = join(dir, 'index.js');
    bundles.push({ name, dir, bytes: statSync(file).size, zippedBytes: await zippedSize(dir) });
  }

  const layerDir = join(outDir, 'layer');
  const packages = copyLayer(rootDir, join(layerDir, 'nodejs', 'node_modules'));
  const layerBytes = folderSize(layerDir);
  return {
    bundles,
    layer: { dir: layerDir, packages, bytes: layerBytes, ...(options.measureLayer ? { zippedBytes: await zippedSize(layerDir) } : {}) },
  };
}

/** Copies the native packages and their dependency closure; skips unchanged ones. */
function copyLayer(rootDir: string, target: string): string[] {
  const nodeModules = join(rootDir, 'node_modules');
  const wanted = new Set<string>();
  const queue: string[] = [...NATIVE_PACKAGES];
  while (queue.length > 0) {
    const pkg = queue.shift()!;
    if (wanted.has(pkg)) continue;
    const manifestPath = join(nodeModules, pkg, 'package.json');
    if (!existsSync(manifestPath)) {
      if (NATIVE_PACKAGES.includes(pkg as (typeof NATIVE_PACKAGES)[number])) throw new Error(`layer package ${pkg} is not installed`);
      continue; // an optional dependency for another platform
    }
    wanted.add(pkg);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    queue.push(...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {}));
  }
  for (const pkg of wanted) {
    const from = join(nodeModules, pkg);
    const to = join(target, pkg);
    const stamp = (dir: string): string => (existsSync(join(dir, 'package.json')) ? readFileSync(join(dir, 'package.json'), 'utf8') : '');
    if (stamp(to) === stamp(from) && folderSize(to) === folderSize(from)) continue;
    rmSync(to, { recursive: true, force: true });
    cpSync(from, to, { recursive: true, dereference: true });
  }
  return [...wanted].sort();
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

function folderSize(dir: string): number {
  return listFiles(dir).reduce((sum, file) => sum + statSync(file).size, 0);
}

/** Size of the deployment zip of a folder (files at the zip root, as Lambda expects). */
export function zippedSize(dir: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const zip = new ZipFile();
    for (const file of listFiles(dir)) zip.addFile(file, relative(dir, file), { mtime: new Date(0), compress: true });
    let bytes = 0;
    zip.outputStream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    zip.outputStream.on('end', () => resolvePromise(bytes));
    zip.outputStream.on('error', reject);
    zip.end();
  });
}

function kb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const report = await buildBundles({ measureLayer: !process.argv.includes('--skip-layer-size') });
  const rows = report.bundles.map((b) => `  ${b.name.padEnd(10)} ${kb(b.bytes).padStart(10)}  zipped ${kb(b.zippedBytes).padStart(10)}  ${relative(process.cwd(), b.dir)}/index.js`);
  const layer = report.layer;
  process.stdout.write(
    [
      'Lambda bundles (esbuild, minified, node22, AWS SDK bundled):',
      ...rows,
      `  ${'layer'.padEnd(10)} ${kb(layer.bytes).padStart(10)}  ${layer.zippedBytes !== undefined ? `zipped ${kb(layer.zippedBytes).padStart(10)}` : ''}  ${relative(process.cwd(), layer.dir)} (${layer.packages.join(', ')})`,
      `built in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(REPO, 'dist', 'build-report.json'), JSON.stringify(report, null, 2));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
