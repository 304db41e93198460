import { DEFAULTS } from '../../contract';
import { getSecretString, parseSecretJson, SecretError, type SecretOptions } from '../../config/secrets';
import { registerSecret } from '../../telemetry/redact';

/** Where and how to reach a Snowflake warehouse. Either `password` or `privateKey` is set. */
export interface SnowflakeConfig {
  account: string;
  username: string;
  password?: string;
  /** PEM private key for key-pair authentication (authenticator SNOWFLAKE_JWT). */
  privateKey?: string;
  privateKeyPassphrase?: string;
  database: string;
  schema: string;
  warehouse?: string;
  role?: string;
  /** External stage on the processed bucket (the lake root), e.g. `TRIBUTARY_PROCESSED_STAGE`. */
  stage: string;
  /** Overrides the account URL (tests: a local server; PrivateLink hosts). */
  accessUrl?: string;
}

export const DEFAULT_STAGE: string = DEFAULTS.snowflakeStage;

// eslint-disable-next-line security/detect-unsafe-regex -- anchored; the repeated groups each start with a literal dot
const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$/;

function checkIdent(value: string, what: string): string {
  if (!IDENT.test(value)) throw new Error(`snowflake: ${what} ${JSON.stringify(value)} is not a plain identifier`);
  return value;
}

/**
 * `snowflake://user[:password]@account/database/schema?warehouse=…&role=…&stage=…&accessUrl=…`.
 * Credentials in a URL suit local runs; deployed pipelines use a secret (`parseSnowflakeSecret`).
 */
export function parseSnowflakeUrl(url: string): SnowflakeConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('snowflake: not a URL (expected snowflake://user:password@account/database/schema?warehouse=…&stage=…)');
  }
  if (parsed.protocol !== 'snowflake:') throw new Error(`snowflake: expected a snowflake:// URL, got ${parsed.protocol}//…`);
  const [database, schema] = parsed.pathname.replace(/^\//, '').split('/').map(decodeURIComponent);
  if (!parsed.hostname || !parsed.username || !database || !schema) {
    throw new Error('snowflake: the URL needs a user, an account, a database and a schema (snowflake://user:password@account/database/schema)');
  }
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  registerSecret(password);
  const q = parsed.searchParams;
  return {
    account: parsed.hostname,
    username: decodeURIComponent(parsed.username),
    ...(password ? { password } : {}),
    database: checkIdent(database, 'database'),
    schema: checkIdent(schema, 'schema'),
    ...(q.get('warehouse') ? { warehouse: checkIdent(q.get('warehouse')!, 'warehouse') } : {}),
    ...(q.get('role') ? { role: q.get('role')! } : {}),
    stage: checkIdent(q.get('stage') ?? DEFAULT_STAGE, 'stage'),
    ...(q.get('accessUrl') ? { accessUrl: q.get('accessUrl')! } : {}),
  };
}

function str(obj: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const k of keys) if (typeof obj[k] === 'string' && obj[k] !== '') return obj[k] as string;
  return undefined;
}

/**
 * A Secrets Manager JSON object: `account`, `user`, `password` or `private_key`
 * (+ `private_key_passphrase`), `database`, `schema`, optional `warehouse`, `role`, `stage`.
 */
export function parseSnowflakeSecret(secretId: string, text: string): SnowflakeConfig {
  const obj = parseSecretJson(secretId, text);
  const password = str(obj, 'password');
  const privateKey = str(obj, 'private_key', 'privateKey');
  const passphrase = str(obj, 'private_key_passphrase', 'privateKeyPassphrase');
  for (const v of [password, privateKey, passphrase]) registerSecret(v);
  const need = (key: string, ...alts: string[]): string => {
    const v = str(obj, key, ...alts);
    if (!v) throw new SecretError(secretId, `missing key "${key}"`);
    return v;
  };
  if (!password && !privateKey) throw new SecretError(secretId, 'needs "password" or "private_key"');
  try {
    return {
      account: need('account'),
      username: need('user', 'username'),
      ...(privateKey ? { privateKey, ...(passphrase ? { privateKeyPassphrase: passphrase } : {}) } : { password }),
      database: checkIdent(need('database'), 'database'),
      schema: checkIdent(need('schema'), 'schema'),
      ...(str(obj, 'warehouse') ? { warehouse: checkIdent(str(obj, 'warehouse')!, 'warehouse') } : {}),
      ...(str(obj, 'role') ? { role: str(obj, 'role') } : {}),
      stage: checkIdent(str(obj, 'stage') ?? DEFAULT_STAGE, 'stage'),
      ...(str(obj, 'access_url', 'accessUrl') ? { accessUrl: str(obj, 'access_url', 'accessUrl') } : {}),
    };
  } catch (err) {
    if (err instanceof SecretError) throw err;
    throw new SecretError(secretId, (err as Error).message);
  }
}

export async function getSnowflakeSecret(secretId: string, options: SecretOptions = {}): Promise<SnowflakeConfig> {
  return parseSnowflakeSecret(secretId, await getSecretString(secretId, options));
}
