import type { DescribeStatementCommandOutput, Field, RedshiftDataClient, SqlParameter } from '@aws-sdk/client-redshift-data';

/** Where the Data API runs statements: a Serverless workgroup or a provisioned cluster, one database. */
export interface RedshiftTarget {
  workgroup?: string;
  clusterIdentifier?: string;
  /** Provisioned clusters without a secret: the database user temporary credentials are issued for. */
  dbUser?: string;
  database: string;
  /** Secrets Manager secret with the database credentials (optional with IAM authentication). */
  secretArn?: string;
}

export type Row = Record<string, string | number | boolean | null>;

export interface StatementStatus {
  id: string;
  status: 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED' | 'ALL' | string;
  error?: string;
  /** Rows each statement of a batch changed (or returned), in order. */
  resultRows: number[];
  hasResultSet: boolean;
}

export class RedshiftStatementError extends Error {
  override name = 'RedshiftStatementError';
}

/** The SDK, loaded on first use: commands that never reach Redshift do not pay for it. */
function sdk(): typeof import('@aws-sdk/client-redshift-data') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/client-redshift-data') as typeof import('@aws-sdk/client-redshift-data');
}

function fieldValue(field: Field): string | number | boolean | null {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Redshift Data API as the warehouse needs it: submit a statement or a batch (one
 * transaction), describe it, wait for it, read its rows. The endpoint and credentials come from
 * the SDK's standard settings (AWS_ENDPOINT_URL_REDSHIFT_DATA, AWS_REGION, the role).
 */
export class DataApi {
  private readonly client: RedshiftDataClient;

  constructor(
    readonly target: RedshiftTarget,
    options: { client?: RedshiftDataClient; pollMs?: number } = {},
  ) {
    this.client = options.client ?? new (sdk().RedshiftDataClient)({});
    this.pollMs = options.pollMs ?? 250;
  }

  private readonly pollMs: number;

  private where() {
    const t = this.target;
    return {
      Database: t.database,
      ...(t.workgroup ? { WorkgroupName: t.workgroup } : {}),
      ...(t.clusterIdentifier ? { ClusterIdentifier: t.clusterIdentifier } : {}),
      ...(t.secretArn ? { SecretArn: t.secretArn } : t.dbUser ? { DbUser: t.dbUser } : {}),
    };
  }

  /** Submits one statement, or several as one transaction; returns the statement id at once. */
  async submit(sql: string | readonly string[], parameters?: Record<string, string>): Promise<string> {
    const { ExecuteStatementCommand, BatchExecuteStatementCommand } = sdk();
    if (typeof sql === 'string') {
      const Parameters: SqlParameter[] | undefined = parameters ? Object.entries(parameters).map(([name, value]) => ({ name, value })) : undefined;
      const out = await this.client.send(new ExecuteStatementCommand({ ...this.where(), Sql: sql, ...(Parameters ? { Parameters } : {}), WithEvent: false }));
      return out.Id!;
    }
    if (sql.length > 40) throw new RedshiftStatementError(`redshift: a batch holds at most 40 statements, this one has ${sql.length}`);
    const out = await this.client.send(new BatchExecuteStatementCommand({ ...this.where(), Sqls: [...sql] }));
    return out.Id!;
  }

  async describe(id: string): Promise<StatementStatus> {
    const out: DescribeStatementCommandOutput = await this.client.send(new (sdk().DescribeStatementCommand)({ Id: id }));
    const subs = out.SubStatements ?? [];
    return {
      id,
      status: out.Status ?? 'SUBMITTED',
      ...(out.Error ? { error: out.Error } : {}),
      resultRows: subs.length ? subs.map((s) => Number(s.ResultRows ?? 0)) : [Number(out.ResultRows ?? 0)],
      hasResultSet: Boolean(out.HasResultSet),
    };
  }

  /** Polls until the statement ends; a failed or aborted statement throws its error. */
  async wait(id: string): Promise<StatementStatus> {
    for (;;) {
      const status = await this.describe(id);
      if (status.status === 'FINISHED') return status;
      if (status.status === 'FAILED' || status.status === 'ABORTED') {
        throw new RedshiftStatementError(`redshift statement ${status.status.toLowerCase()}: ${status.error ?? 'no error given'}`);
      }
      await sleep(this.pollMs);
    }
  }

  /** Runs a statement and returns its rows (column names as keys). */
  async query(sql: string, parameters?: Record<string, string>): Promise<Row[]> {
    const id = await this.submit(sql, parameters);
    const status = await this.wait(id);
    if (!status.hasResultSet) return [];
    const rows: Row[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(new (sdk().GetStatementResultCommand)({ Id: id, ...(token ? { NextToken: token } : {}) }));
      const names = (out.ColumnMetadata ?? []).map((c) => c.name ?? c.label ?? '');
      for (const record of out.Records ?? []) rows.push(Object.fromEntries(record.map((f, i) => [names[i], fieldValue(f)])));
      token = out.NextToken;
    } while (token);
    return rows;
  }

  /** Runs statements as one transaction and waits; returns the rows each changed. */
  async batch(sqls: readonly string[]): Promise<number[]> {
    return (await this.wait(await this.submit(sqls))).resultRows;
  }

  close(): void {
    this.client.destroy();
  }
}
