import * as snowflake from 'snowflake-sdk';
import { redact } from '../../telemetry/redact';
import type { SnowflakeConfig } from './config';

export type Bind = string | number | boolean | null;
export type Row = Record<string, unknown>;

/** The statements a warehouse adapter needs: one session, statements run one at a time. */
export interface SnowflakeSession {
  execute(sqlText: string, binds?: Bind[]): Promise<Row[]>;
  close(): Promise<void>;
}

let configured = false;

/** snowflake-sdk connection options: key-pair (SNOWFLAKE_JWT) when a private key is given. */
export function connectionOptions(config: SnowflakeConfig): snowflake.ConnectionOptions {
  const auth: Partial<snowflake.ConnectionOptions> = config.privateKey
    ? { authenticator: 'SNOWFLAKE_JWT', privateKey: config.privateKey, ...(config.privateKeyPassphrase ? { privateKeyPass: config.privateKeyPassphrase } : {}) }
    : { password: config.password ?? '' };
  return {
    account: config.account,
    username: config.username,
    database: config.database,
    schema: config.schema,
    ...(config.warehouse ? { warehouse: config.warehouse } : {}),
    ...(config.role ? { role: config.role } : {}),
    ...(config.accessUrl ? { accessUrl: config.accessUrl } : {}),
    application: 'tributary',
    ...auth,
  };
}

function secretsOf(config: SnowflakeConfig): string[] {
  return [config.password, config.privateKey, config.privateKeyPassphrase].filter((v): v is string => typeof v === 'string');
}

/** Opens a session; driver errors are redacted (they may echo the login request). */
export async function openSnowflakeSession(config: SnowflakeConfig): Promise<SnowflakeSession> {
  if (!configured) {
    // The driver's own logger would print connection details to stdout.
    snowflake.configure({ logLevel: 'OFF' });
    configured = true;
  }
  const secrets = secretsOf(config);
  const fail = (what: string, err: unknown): Error => {
    const e = err as { message?: string; code?: string | number; sqlState?: string };
    const detail = [e.code !== undefined ? `code ${e.code}` : '', e.sqlState ? `SQL state ${e.sqlState}` : ''].filter(Boolean).join(', ');
    return new Error(redact(`snowflake ${what}: ${e.message ?? String(err)}${detail ? ` (${detail})` : ''}`, secrets));
  };
  const connection = snowflake.createConnection(connectionOptions(config));
  await new Promise<void>((resolve, reject) => {
    connection.connect((err) => (err ? reject(fail(`login to ${config.account} as ${config.username}`, err)) : resolve()));
  });
  return {
    execute(sqlText, binds) {
      return new Promise<Row[]>((resolve, reject) => {
        connection.execute({
          sqlText,
          ...(binds && binds.length ? { binds: binds as snowflake.Binds } : {}),
          complete: (err, _stmt, rows) => (err ? reject(fail(`statement failed: ${sqlText.split('\n')[0].slice(0, 120)}`, err)) : resolve((rows ?? []) as Row[])),
        });
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        connection.destroy(() => resolve());
      });
    },
  };
}
