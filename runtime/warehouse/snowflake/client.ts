import * as snowflake from 'snowflake-sdk';
import { redact } from '../../telemetry/redact';
import type { SnowflakeConfig } from './config';

export type Bind = string | number | boolean | null;
export type Row = Record<string, unknown>;

/** The statements a warehouse adapter needs: one session, statements run one at a time. */
export interface SnowflakeSession {
  execute(sqlText: string, binds?: Bind[]): Promise<Row[]>;
  /** Submits a statement detached (asyncExec): it runs on Snowflake's engine past this session; its query id. */
  submit(sqlText: string): Promise<string>;
  /** A submitted query's status as Snowflake reports it (RUNNING, SUCCESS, FAILED_WITH_ERROR, …) and, when it failed, the error. */
  status(queryId: string): Promise<{ status: string; error?: string }>;
  /** The rows of a query that succeeded. */
  results(queryId: string): Promise<Row[]>;
  close(): Promise<void>;
}

/** Statuses snowflake-sdk counts as errors (its QueryStatus.errorStatuses); BLOCKED waits on a lock, so it is not one here. */
const FAILED_STATUSES = new Set(['FAILED_WITH_ERROR', 'FAILED_WITH_INCIDENT', 'ABORTING', 'ABORTED', 'DISCONNECTED']);

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
    submit(sqlText) {
      return new Promise<string>((resolve, reject) => {
        connection.execute({
          sqlText,
          asyncExec: true,
          complete: (err, stmt, result) => {
            if (err) return reject(fail(`statement not submitted: ${sqlText.split('\n')[0].slice(0, 120)}`, err));
            // In asyncExec mode the third argument is `{ queryId }`, not rows.
            const id = (result as unknown as { queryId?: string } | undefined)?.queryId ?? stmt.getQueryId();
            return id ? resolve(id) : reject(new Error('snowflake: a submitted statement came back without a query id'));
          },
        });
      });
    },
    async status(queryId) {
      let status: string;
      try {
        status = await connection.getQueryStatus(queryId);
      } catch (err) {
        throw fail(`status of query ${queryId}`, err);
      }
      if (!FAILED_STATUSES.has(status)) return { status };
      // The error message only comes with the throwing variant (one more request, on failure only).
      const error = await connection.getQueryStatusThrowIfError(queryId).then(
        () => undefined,
        (err: unknown) => fail(`query ${queryId} ${status}`, err).message,
      );
      return { status, ...(error ? { error } : {}) };
    },
    results(queryId) {
      return new Promise<Row[]>((resolve, reject) => {
        connection.fetchResult({
          queryId,
          complete: (err, _stmt, rows) => (err ? reject(fail(`result of query ${queryId}`, err)) : resolve((rows ?? []) as Row[])),
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
