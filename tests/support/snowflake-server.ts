import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface Query {
  sql: string;
  binds: Array<string | null>;
}

export type Answer = { rows: Array<Record<string, string | number | null>> } | { error: string; code?: string; sqlState?: string };

/**
 * Speaks the part of Snowflake's REST protocol snowflake-sdk uses (login-request → token,
 * queries/v1/query-request → JSON rowset, session delete), on 127.0.0.1. It records every
 * statement with its binds and answers through `answer`, which a test scripts.
 */
export class FakeSnowflake {
  readonly queries: Query[] = [];
  readonly logins: Array<Record<string, unknown>> = [];
  sessionsClosed = 0;
  loginError?: string;
  /** When set, a login whose PASSWORD differs is refused as Snowflake refuses it (the rehearsal's wrong-password run). */
  password?: string;
  /** May answer asynchronously (the rehearsal reads the staged Parquet from moto). */
  answer: (q: Query) => Answer | Promise<Answer> = () => ({ rows: [] });
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Statements in order, whitespace collapsed. */
  get statements(): string[] {
    return this.queries.map((q) => q.sql.replace(/\s+/g, ' ').trim());
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let buf = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') buf = gunzipSync(buf);
    return buf.length ? (JSON.parse(buf.toString('utf8')) as Record<string, unknown>) : {};
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const body = await this.body(req);
    if (path === '/session/v1/login-request') {
      this.logins.push(body.data as Record<string, unknown>);
      const given = (body.data as { PASSWORD?: string } | undefined)?.PASSWORD;
      if (this.password !== undefined && given !== this.password)
        return this.json(res, { success: false, code: '390100', message: 'Incorrect username or password was specified.', data: null });
      if (this.loginError) return this.json(res, { success: false, code: '390100', message: this.loginError, data: null });
      return this.json(res, {
        success: true,
        data: { token: 'session-token', masterToken: 'master-token', sessionId: 42, parameters: [], sessionInfo: { databaseName: 'ANALYTICS', schemaName: 'RECURLY' } },
      });
    }
    if (path === '/queries/v1/query-request') {
      const bindings = (body.bindings ?? {}) as Record<string, { value: string | null }>;
      const q: Query = { sql: String(body.sqlText), binds: Object.keys(bindings).sort((a, b) => Number(a) - Number(b)).map((k) => bindings[k].value) };
      this.queries.push(q);
      const answer = await this.answer(q);
      if ('error' in answer) {
        return this.json(res, { success: false, code: answer.code ?? '100038', message: answer.error, data: { sqlState: answer.sqlState ?? '22018', queryId: `q${this.queries.length}`, errorCode: answer.code ?? '100038', internalError: false } });
      }
      const names = [...new Set(answer.rows.flatMap((r) => Object.keys(r)))];
      const rowtype = names.map((name) => {
        const numeric = answer.rows.some((r) => typeof r[name] === 'number');
        return numeric ? { name, type: 'fixed', nullable: true, scale: 0, precision: 38 } : { name, type: 'text', nullable: true, length: 1000 };
      });
      return this.json(res, {
        success: true,
        data: {
          parameters: [],
          rowtype,
          rowset: answer.rows.map((r) => names.map((n) => (r[n] === null || r[n] === undefined ? null : String(r[n])))),
          total: answer.rows.length,
          returned: answer.rows.length,
          queryId: `q${this.queries.length}`,
          statementTypeId: 4096,
        },
      });
    }
    if (path === '/session') {
      this.sessionsClosed++;
      return this.json(res, { success: true });
    }
    // telemetry and anything else the driver sends on the side
    return this.json(res, { success: true });
  }
}

/**
 * Just enough warehouse behaviour behind the fake for load tests: TRIBUTARY_LOAD_RUNS with
 * transactions (a run row becomes visible on COMMIT, vanishes on ROLLBACK), COPY row counts from
 * `rowsOf(key)`, DML counts from `inserted`, and a `fail` hook to break one statement.
 */
export class WarehouseSim {
  readonly committed = new Map<string, string>();
  private pending = new Map<string, string>();
  inTransaction = false;
  inserted: (sql: string) => number = () => 1;
  fail: (q: Query) => string | undefined = () => undefined;

  constructor(
    server: FakeSnowflake,
    private readonly rowsOf: (key: string) => number,
  ) {
    server.answer = (q) => this.answer(q);
  }

  private answer(q: Query): Answer {
    const sql = q.sql.replace(/\s+/g, ' ').trim();
    const failure = this.fail(q);
    if (failure) return { error: failure };
    if (sql === 'BEGIN') this.inTransaction = true;
    else if (sql === 'COMMIT') {
      for (const [k, v] of this.pending) this.committed.set(k, v);
      this.pending.clear();
      this.inTransaction = false;
    } else if (sql === 'ROLLBACK') {
      this.pending.clear();
      this.inTransaction = false;
    } else if (sql.startsWith('SELECT COUNT(*) AS "N" FROM "TRIBUTARY_LOAD_RUNS"')) {
      return { rows: [{ N: this.committed.has(String(q.binds[0])) ? 1 : 0 }] };
    } else if (sql.startsWith('SELECT MAX("RUN_ID")')) {
      const ids = [...this.committed].filter(([id, source]) => source === q.binds[0] && !id.startsWith('-')).map(([id]) => id).sort();
      return { rows: [{ RUN_ID: ids.at(-1) ?? null }] };
    } else if (sql.startsWith('SELECT "RUN_ID", "SOURCE", "LOADED_AT"')) {
      return { rows: [...this.committed].map(([id, source]) => ({ RUN_ID: id, SOURCE: source, LOADED_AT: '2024-01-01 00:00:00.000' })) };
    } else if (sql.startsWith('SELECT COUNT(*) AS "N" FROM')) {
      return { rows: [{ N: 5 }] };
    } else if (sql.startsWith('COPY INTO')) {
      const key = /FROM @\S+?\/(\S+)/.exec(sql)![1];
      const n = this.rowsOf(key);
      return { rows: [{ file: key, status: 'LOADED', rows_parsed: n, rows_loaded: n }] };
    } else if (sql.startsWith('INSERT INTO "TRIBUTARY_LOAD_RUNS"')) {
      const id = String(q.binds[0]);
      if (this.committed.has(id) || this.pending.has(id)) return { rows: [{ 'number of rows inserted': 0 }] };
      this.pending.set(id, String(q.binds[1]));
      return { rows: [{ 'number of rows inserted': 1 }] };
    } else if (sql.startsWith('MERGE INTO "TRIBUTARY_SCHEMA_VERSION"')) {
      return { rows: [{ 'number of rows inserted': 1, 'number of rows updated': 0 }] };
    } else if (sql.startsWith('MERGE INTO')) {
      return { rows: [{ 'number of rows inserted': this.inserted(sql), 'number of rows updated': 1 }] };
    } else if (sql.startsWith('INSERT INTO')) {
      return { rows: [{ 'number of rows inserted': this.inserted(sql) }] };
    }
    return { rows: [{ status: 'Statement executed successfully.' }] };
  }
}
