/**
 * Compiles the `tributary` CLI to one JavaScript file, `dist/cli/main.js`: run by the root
 * package's `prepare` script, so `npm install` (and `npm ci`) leave a CLI that starts without
 * compiling TypeScript. Dependencies stay in node_modules, but for CLI_BUNDLED; each command's
 * modules are reached through `import()` in runtime/cli/main.ts, which esbuild turns into lazily
 * initialised modules, so a command loads only the packages it uses.
 *
 * `dist/cli/inputs.json` lists the source files the bundle was built from: bin/tributary.js
 * runs the TypeScript through tsx instead when any of them is newer than the bundle (an edit
 * not rebuilt yet), so a stale build never runs.
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const REPO = resolve(__dirname, '..');

export interface CliBuild {
  readonly file: string;
  readonly inputs: string[];
  readonly bytes: number;
}

/**
 * Packages compiled into the CLI rather than loaded from node_modules: @duckdb/node-api is 181
 * small files, which Node 20 resolves, reads and compiles one by one (0.15–0.3 s of every
 * command that opens DuckDB); as part of the bundle they cost a fraction of that. Its native
 * bindings stay in node_modules, and it is still evaluated only when a command opens DuckDB.
 */
export const CLI_BUNDLED = ['@duckdb/node-api'] as const;

/** Every other dependency (and its subpaths) stays external, as `packages: 'external'` would keep it. */
function cliExternals(rootDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((n) => !(CLI_BUNDLED as readonly string[]).includes(n));
  return [...names.flatMap((n) => [n, `${n}/*`]), '@duckdb/node-bindings', '@duckdb/node-bindings-*'];
}

export async function buildCli(rootDir: string = REPO, outDir: string = join(rootDir, 'dist', 'cli')): Promise<CliBuild> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'main.js');
  const startedAt = Date.now();
  const result = await build({
    entryPoints: [join(rootDir, 'runtime', 'cli', 'main.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: cliExternals(rootDir),
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'error',
    absWorkingDir: rootDir,
  });
  // Sources only: a dependency changes through `npm install`, whose `prepare` rebuilds.
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => relative(rootDir, resolve(rootDir, p)))
    .filter((p) => !p.split(/[\\/]/).includes('node_modules'));
  // The build's start, not its end: a file saved while esbuild ran counts as newer.
  writeFileSync(join(outDir, 'inputs.json'), `${JSON.stringify({ builtAt: startedAt, inputs }, null, 1)}\n`);
  return { file, inputs, bytes: result.metafile.outputs[relative(rootDir, file)]?.bytes ?? 0 };
}

if (require.main === module) {
  buildCli().then(
    (b) => process.stdout.write(`tributary CLI: ${relative(REPO, b.file)} (${Math.round(b.bytes / 1024)} KB from ${b.inputs.length} files)\n`),
    (err: unknown) => {
      process.stderr.write(`build-cli failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
