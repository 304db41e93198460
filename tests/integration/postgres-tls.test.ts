import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { connectPostgres } from '../../runtime/postgres/connect';
import { adminPgUrl } from '../support/services';

// A second real PostgreSQL, serving TLS with a certificate signed by a CA made here. The
// certificate names `localhost` only, so 127.0.0.1 is the same server under a wrong name.
let work: string;
let server: ChildProcess;
let adminUrl: string;
let caFile: string;
let otherCaFile: string;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

function makeCa(name: string): { cert: string; key: string } {
  const key = join(work, `${name}.key`);
  const cert = join(work, `${name}.crt`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert]);
  return { cert, key };
}

function makeServerCertificate(ca: { cert: string; key: string }): { certFile: string; keyFile: string } {
  const keyFile = join(work, 'server.key');
  const csr = join(work, 'server.csr');
  const certFile = join(work, 'server.crt');
  const ext = join(work, 'server.ext');
  writeFileSync(ext, 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', keyFile, '-out', csr]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', certFile]);
  return { certFile, keyFile };
}

/** The TLS server's URL for `host`, with the given query (sslmode, sslrootcert). */
function urlFor(host: string, query: Record<string, string> = {}): string {
  const url = new URL(adminUrl);
  url.hostname = host;
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.toString();
}

async function sslInUse(client: Client): Promise<boolean> {
  const res = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
  return res.rows[0].ssl;
}

async function connectAndReport(url: string): Promise<boolean> {
  const client = await connectPostgres(url, 'source');
  try {
    return await sslInUse(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tributary-tls-'));
  // As root the server runs as `postgres`, which must reach the data folder inside.
  chmodSync(work, 0o755);
  const ca = makeCa('tributary-test-ca');
  otherCaFile = makeCa('unrelated-ca').cert;
  caFile = ca.cert;
  const { certFile, keyFile } = makeServerCertificate(ca);
  const script = join(__dirname, '..', 'support', 'tls-postgres-server.ts');
  server = spawn(process.execPath, ['--import', 'tsx', script, join(work, 'pg'), certFile, keyFile], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await Promise.race([once(createInterface({ input: server.stdout! }), 'line'), once(server, 'exit')])) as [string];
  if (typeof line !== 'string') throw new Error('the TLS PostgreSQL server did not start');
  adminUrl = line;
}, 60_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.stdin!.end();
    await once(server, 'exit');
  }
  // The server's own stop removes its data (and, as root outside a private clone, its home).
  rmSync(work, { recursive: true, force: true });
});

describe('PostgreSQL TLS against a server with a certificate', () => {
  it('accepts the server when its CA is given, and the session is encrypted', async () => {
    await expect(connectAndReport(urlFor('localhost', { sslmode: 'verify-full', sslrootcert: caFile }))).resolves.toBe(true);
  });

  it('refuses the server when its CA is not given (the default trust is the RDS bundle)', async () => {
    await expect(connectAndReport(urlFor('localhost', { sslmode: 'verify-full' }))).rejects.toThrow(/source unreachable at .*(self-signed|unable to verify|certificate)/i);
  });

  it('refuses a certificate signed by another CA', async () => {
    await expect(connectAndReport(urlFor('localhost', { sslmode: 'verify-full', sslrootcert: otherCaFile }))).rejects.toThrow(/certificate/i);
  });

  it('verify-full refuses a certificate that names another host; verify-ca accepts it', async () => {
    await expect(connectAndReport(urlFor('127.0.0.1', { sslmode: 'verify-full', sslrootcert: caFile }))).rejects.toThrow(/IP: 127\.0\.0\.1 is not in the cert's list|altnames/i);
    await expect(connectAndReport(urlFor('127.0.0.1', { sslmode: 'verify-ca', sslrootcert: caFile }))).resolves.toBe(true);
  });

  it('require encrypts without verifying; disable and the loopback default stay plain text', async () => {
    await expect(connectAndReport(urlFor('localhost', { sslmode: 'require' }))).resolves.toBe(true);
    await expect(connectAndReport(urlFor('localhost', { sslmode: 'disable' }))).resolves.toBe(false);
    await expect(connectAndReport(urlFor('localhost'))).resolves.toBe(false);
  });

  it('a server without TLS is refused when the URL asks for it, and the password is not shown', async () => {
    const plain = new URL(adminPgUrl());
    plain.searchParams.set('sslmode', 'verify-full');
    const attempt = connectAndReport(plain.toString());
    await expect(attempt).rejects.toThrow(/does not support SSL/);
    await expect(attempt).rejects.not.toThrow(new RegExp(decodeURIComponent(new URL(adminPgUrl()).password)));
  });
});
