/**
 * The package other programs use: built (`npm run build:lib`), packed (`npm pack`), unpacked into
 * a temporary folder next to a copy of examples/platform, type-checked against the packed `.d.ts`
 * and run under Pulumi mocks, importing `tributary` by name.
 *
 * What is not a real `npm install`: the tarball is unpacked as npm would place it
 * (`node_modules/tributary`), and its dependencies (@pulumi/*, tsx, @types) are symlinks to this
 * worktree's node_modules instead of an install from the registry (several hundred MB, offline).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { evaluatePolicies, violationsOf } from '../../policies/evaluate';
import { policies } from '../../policies/rules';
import { REQUIRED_TAG_KEYS } from '../../infra/tags';
import { captureStackRun, type CapturedStack } from '../support/pulumiMocks';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
// This clone's compiler, wherever the temporary folder is (npx could otherwise fetch one).
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
let work: string;
let app: string;
let files: string[];
let packed: Record<string, unknown>;
let stack: CapturedStack;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tributary-package-'));
  await run(process.execPath, [TSC, '-p', 'tsconfig.build.json'], { cwd: ROOT });
  // The build ran just above; the scripts (prepack, prepare) would only repeat it and build the CLI.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = info.files.map((f) => f.path);

  app = join(work, 'app');
  cpSync(join(ROOT, 'examples', 'platform'), app, { recursive: true });
  const pkg = join(app, 'node_modules', 'tributary');
  mkdirSync(pkg, { recursive: true });
  await run('tar', ['-xzf', join(work, info.filename), '-C', pkg, '--strip-components=1']);
  packed = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const dep of ['@pulumi', '@types', 'tsx']) symlinkSync(join(ROOT, 'node_modules', dep), join(app, 'node_modules', dep));
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, skipLibCheck: true, noEmit: true, types: ['node'] }, include: ['index.ts'] }),
  );
  stack = await captureStackRun('staging', { rootDir: app });
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the built components with their types, a licence, and no sources', () => {
  expect(files).toEqual(expect.arrayContaining(['package.json', 'LICENSE', 'dist/lib/infra/index.js', 'dist/lib/infra/index.d.ts', 'dist/lib/infra/network.d.ts', 'dist/lib/runtime/contract/index.js']));
  expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  expect(files.some((f) => f.startsWith('tests/') || f.startsWith('stacks/'))).toBe(false);
  expect(packed.private).toBeUndefined();
  expect(packed.license).toBe('Apache-2.0');
  expect(readFileSync(join(app, 'node_modules', 'tributary', 'LICENSE'), 'utf8')).toContain('Apache License');
});

test('the example type-checks against the packed declarations', async () => {
  // A typo in an Args field would fail here: the example is checked against dist/lib/*.d.ts.
  await expect(run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app })).resolves.toBeDefined();
  expect(readFileSync(join(app, 'index.ts'), 'utf8')).toMatch(/from 'tributary'/);
}, 300_000); // a type check of @pulumi/aws's declarations: minutes on a loaded machine

test('the example runs under mocks: its own pipelines, the network where the database is private, tags on its own resources', async () => {
  const type = (t: string) => stack.resources.filter((r) => r.type === t);
  expect(type('tributary:pipeline:IngestionPipeline').map((r) => r.name).sort()).toEqual(['billing', 'orders']);
  expect(type('tributary:network:PrivateNetwork').map((r) => r.name)).toEqual(['net']);
  const subnets = type('awsx:ec2:Vpc')[0].outputs.privateSubnetIds;
  const fns = type('aws:lambda/function:Function');
  const orders = fns.filter((f) => f.name.startsWith('orders-'));
  expect(orders.map((f) => f.name).sort()).toEqual(['orders-backfill', 'orders-extract', 'orders-load', 'orders-reconcile', 'orders-transform']);
  for (const f of orders) expect((f.inputs.vpcConfig as { subnetIds: unknown }).subnetIds).toEqual(subnets);
  for (const f of fns.filter((x) => x.name.startsWith('billing-'))) expect(f.inputs.vpcConfig).toBeUndefined();
  expect((orders[0].inputs.name as string).startsWith('tributary-staging-orders-')).toBe(true);
  // The queue was declared without tags: the tag transform gave it the five keys.
  const queue = type('aws:sqs/queue:Queue').find((q) => q.name === 'audit-queue')!;
  expect(Object.keys(queue.inputs.tags as Record<string, string>).sort()).toEqual([...REQUIRED_TAG_KEYS].sort());
  expect(violationsOf(await evaluatePolicies(policies, stack.resources)).map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  expect(existsSync(join(app, 'node_modules', 'tributary', 'dist', 'lib', 'infra', 'index.js'))).toBe(true);
});
