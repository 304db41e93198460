import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { registerSecret } from '../telemetry/redact';
import { SSL_MODES, type SslMode } from './postgres-tls';

/** Connection settings of a PostgreSQL source or warehouse, as stored in Secrets Manager. */
export interface PostgresCredentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** libpq `sslmode`; absent means verify-full (RDS CA bundle) for any host but loopback. */
  sslmode?: SslMode;
}

export interface SecretOptions {
  /** Endpoint override (moto, LocalStack); the SDK also honours AWS_ENDPOINT_URL. */
  endpoint?: string;
  region?: string;
  /** How long a fetched value is reused; default 5 minutes (a warm Lambda skips the API call). */
  maxAgeMs?: number;
  client?: SecretsManagerClient;
}

const DEFAULT_MAX_AGE_MS = 5 * 60 * 1000;

/** A secret that cannot be used; the message names the secret and the key, never a value. */
export class SecretError extends Error {
  constructor(
    readonly secretId: string,
    detail: string,
  ) {
    super(`secret ${secretId}: ${detail}`);
    this.name = 'SecretError';
  }
}

interface CacheEntry {
  expires: number;
  value: Promise<string>;
}
const cache = new Map<string, CacheEntry>();
const clients = new Map<string, SecretsManagerClient>();

/** The SDK, loaded on first use: commands that read no secret (`tributary status`) never pay for it. */
function secretsSdk(): typeof import('@aws-sdk/client-secrets-manager') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
}

function clientFor(options: SecretOptions): SecretsManagerClient {
  if (options.client) return options.client;
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'eu-west-2';
  const key = `${region}|${options.endpoint ?? ''}`;
  let client = clients.get(key);
  if (!client) {
    const { SecretsManagerClient: Client } = secretsSdk();
    client = new Client({
      region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
    clients.set(key, client);
  }
  return client;
}

/** Drops cached values: all, or one secret (e.g. after Slack reports the token revoked). */
export function clearSecretCache(secretId?: string): void {
  if (secretId === undefined) cache.clear();
  else for (const key of [...cache.keys()]) if (key.endsWith(`|${secretId}`)) cache.delete(key);
}

async function fetchSecretString(secretId: string, options: SecretOptions): Promise<string> {
  let out;
  try {
    out = await clientFor(options).send(new (secretsSdk().GetSecretValueCommand)({ SecretId: secretId }));
  } catch (err) {
    // SDK messages name the secret and the failure; they never carry the value.
    const name = err instanceof Error ? err.name : 'Error';
    const message = err instanceof Error ? err.message : String(err);
    throw new SecretError(secretId, `cannot be read (${name}: ${message})`);
  }
  if (typeof out.SecretString === 'string') return out.SecretString;
  if (out.SecretBinary) return Buffer.from(out.SecretBinary).toString('utf8');
  throw new SecretError(secretId, 'has no value');
}

/**
 * The secret's string, cached for `maxAgeMs`. The value is registered with `redact` so it is
 * masked in every later log line and error message of this process.
 */
export async function getSecretString(secretId: string, options: SecretOptions = {}): Promise<string> {
  const key = `${options.endpoint ?? ''}|${secretId}`;
  const hit = cache.get(key);
  if (hit && hit.expires > Date.now()) return hit.value;
  const value = fetchSecretString(secretId, options).then((v) => {
    registerSecret(v);
    return v;
  });
  cache.set(key, { expires: Date.now() + (options.maxAgeMs ?? DEFAULT_MAX_AGE_MS), value });
  // A failed read is not cached: the next call tries again.
  value.catch(() => cache.delete(key));
  return value;
}

/** Parses a JSON object secret; a parse error names the secret only (V8's message quotes the input). */
export function parseSecretJson(secretId: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SecretError(secretId, 'is not valid JSON (expected an object of key/value pairs)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretError(secretId, 'is not a JSON object of key/value pairs');
  }
  return parsed as Record<string, unknown>;
}

function requireString(secretId: string, obj: Record<string, unknown>, keys: string[]): string {
  for (const key of keys) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string' && v.length > 0) return v;
    if (typeof v === 'number') return String(v);
    throw new SecretError(secretId, `key "${key}" must be a non-empty string`);
  }
  const alt =
    keys.length > 1
      ? ` (or ${keys
          .slice(1)
          .map((k) => `"${k}"`)
          .join(', ')})`
      : '';
  throw new SecretError(secretId, `missing key "${keys[0]}"${alt}`);
}

/**
 * Validates `{host, port, database, user, password}`. RDS-managed secrets spell two keys
 * differently (`username`, `dbname`), so those are accepted too.
 */
export function parsePostgresSecret(secretId: string, text: string): PostgresCredentials {
  const obj = parseSecretJson(secretId, text);
  // Registered before validation so the password stays masked even if a later key is missing.
  if (typeof obj.password === 'string') registerSecret(obj.password);
  const password = requireString(secretId, obj, ['password']);
  const host = requireString(secretId, obj, ['host']);
  const portText = requireString(secretId, obj, ['port']);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new SecretError(secretId, 'key "port" must be an integer from 1 to 65535');
  }
  const sslmode = obj.sslmode;
  if (sslmode !== undefined && !(SSL_MODES as readonly unknown[]).includes(sslmode)) {
    throw new SecretError(secretId, `key "sslmode" must be one of ${SSL_MODES.join(', ')}`);
  }
  return {
    host,
    port,
    database: requireString(secretId, obj, ['database', 'dbname']),
    user: requireString(secretId, obj, ['user', 'username']),
    password,
    ...(sslmode !== undefined ? { sslmode: sslmode as SslMode } : {}),
  };
}

/** Source or warehouse credentials from Secrets Manager (cached). */
export async function getPostgresSecret(
  secretId: string,
  options: SecretOptions = {},
): Promise<PostgresCredentials> {
  return parsePostgresSecret(secretId, await getSecretString(secretId, options));
}

/** `postgres://user:password@host:port/database[?sslmode=…]`, each part URL-encoded. */
export function postgresUrlFromSecret(creds: PostgresCredentials): string {
  const enc = encodeURIComponent;
  const query = creds.sslmode ? `?sslmode=${creds.sslmode}` : '';
  return `postgres://${enc(creds.user)}:${enc(creds.password)}@${creds.host}:${creds.port}/${enc(creds.database)}${query}`;
}

/**
 * Validates `{"token": "xoxb-..."}` (what the stack writes and the docs tell an operator to store).
 * A bare `xoxb-…` token, as an operator pasting it from Slack might store it, is read as well.
 */
export function parseSlackSecret(secretId: string, text: string): string {
  const bare = text.trim();
  if (/^xox[a-z]-[\w-]+$/.test(bare)) {
    registerSecret(bare);
    return bare;
  }
  const obj = parseSecretJson(secretId, text);
  if (typeof obj.token === 'string') registerSecret(obj.token);
  return requireString(secretId, obj, ['token']);
}

/** The Slack bot token from its secret (cached). */
export async function getSlackToken(secretId: string, options: SecretOptions = {}): Promise<string> {
  return parseSlackSecret(secretId, await getSecretString(secretId, options));
}
