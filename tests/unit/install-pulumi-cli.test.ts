/**
 * scripts/install-pulumi-cli.sh against a release served from 127.0.0.1: it installs the CLI
 * only when the tarball matches the release's checksums file and the digest pinned in the lock.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'install-pulumi-cli.sh');
const VERSION = '3.248.0';
const TARBALL = `pulumi-v${VERSION}-linux-x64.tar.gz`;
let work: string;
let server: Server;
let base: string;
const served = new Map<string, Buffer>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tributary-pulumi-cli-'));
  mkdirSync(join(work, 'release', 'pulumi'), { recursive: true });
  writeFileSync(join(work, 'release', 'pulumi', 'pulumi'), '#!/bin/sh\necho v3.248.0\n', { mode: 0o755 });
  execFileSync('tar', ['-czf', join(work, TARBALL), '-C', join(work, 'release'), 'pulumi']);
  server = createServer((req, res) => {
    const body = served.get(req.url ?? '');
    res.writeHead(body ? 200 : 404).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/releases/sdk`;
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(work, { recursive: true, force: true });
});

const tarball = (): Buffer => readFileSync(join(work, TARBALL));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function serve(body: Buffer, published: string): void {
  served.set(`/releases/sdk/${TARBALL}`, body);
  served.set(`/releases/sdk/pulumi-${VERSION}-checksums.txt`, Buffer.from(`${'0'.repeat(64)}  pulumi-v${VERSION}-darwin-x64.tar.gz\n${published}  ${TARBALL}\n`));
}

function install(pinned: string, dest: string): Promise<{ code: number; stderr: string }> {
  const lock = join(work, `lock-${Math.random().toString(36).slice(2)}`);
  writeFileSync(lock, `version=${VERSION}\nsha256=${pinned}\n`);
  return new Promise((done) => {
    execFile('bash', [SCRIPT, dest], { env: { ...process.env, PULUMI_DOWNLOAD_BASE: base, PULUMI_CLI_LOCK: lock } }, (err, _out, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

it('installs the CLI when the tarball matches the published and the pinned digest', async () => {
  serve(tarball(), sha(tarball()));
  const dest = join(work, 'ok');
  const result = await install(sha(tarball()), dest);
  expect(result).toMatchObject({ code: 0 });
  expect(execFileSync(join(dest, 'pulumi'), { encoding: 'utf8' }).trim()).toBe('v3.248.0');
});

it('refuses a tarball that does not match the release checksums, installing nothing', async () => {
  const tampered = Buffer.concat([tarball(), Buffer.from('x')]);
  serve(tampered, sha(tarball()));
  const dest = join(work, 'tampered');
  const result = await install(sha(tarball()), dest);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/the release publishes [0-9a-f]{64}: refusing it/);
  expect(existsSync(join(dest, 'pulumi'))).toBe(false);
});

it('refuses a tarball whose release checksums agree but which is not the pinned one', async () => {
  serve(tarball(), sha(tarball()));
  const dest = join(work, 'unpinned');
  const result = await install('a'.repeat(64), dest);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/pulumi-cli\.lock|lock-.* pins a{64}: refusing it/);
  expect(existsSync(join(dest, 'pulumi'))).toBe(false);
});

it('refuses to install without a pinned digest, before downloading anything', async () => {
  served.clear();
  const dest = join(work, 'no-pin');
  const result = await install('', dest);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/pins no sha256 for Pulumi 3\.248\.0: refusing/);
  expect(existsSync(join(dest, 'pulumi'))).toBe(false);
});

it('the committed lock names a version and says how the pin is produced', () => {
  const lock = readFileSync(join(__dirname, '..', '..', 'buildspecs', 'pulumi-cli.lock'), 'utf8');
  expect(lock).toMatch(/^version=\d+\.\d+\.\d+$/m);
  expect(lock).toMatch(/^sha256=([0-9a-f]{64})?$/m);
  expect(lock).toContain('checksums.txt');
});

it('the deploy stage installs through the script, never by piping a download into a shell', () => {
  const buildspec = readFileSync(join(__dirname, '..', '..', 'buildspecs', 'deploy.yml'), 'utf8');
  expect(buildspec).toContain('bash scripts/install-pulumi-cli.sh');
  expect(buildspec).not.toMatch(/curl[^\n]*\|\s*(ba)?sh/);
});
