import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface Query {
  sql: string;
  binds: Array<string | null>;
}

export type Answer =
  | { rows: Array<Record<string, string | number | null>> }
  | { error: string; code?: string; sqlState?: string };

/** A detached query (asyncExec): its status as the monitoring endpoint reports it, and its answer once it ended. */
export interface AsyncQuery {
  id: string;
  sql: string;
  /** Status requests so far; the first always sees RUNNING (the state machine waits at least once). */
  polls: number;
  answer?: Answer;
  done: Promise<void>;
}

const DML_COUNTS = ['number of rows inserted', 'number of rows updated', 'number of rows deleted'];

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
  /** Detached queries by id, in submission order. */
  readonly async = new Map<string, AsyncQuery>();
  /** Statements run inside Scripting blocks, in order, whitespace collapsed. */
  readonly ran: string[] = [];
  /** Each status the monitoring endpoint reported: [query id, status]. */
  readonly statusReports: Array<[string, string]> = [];
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
        return this.json(res, {
          success: false,
          code: '390100',
          message: 'Incorrect username or password was specified.',
          data: null,
        });
      if (this.loginError)
        return this.json(res, { success: false, code: '390100', message: this.loginError, data: null });
      return this.json(res, {
        success: true,
        data: {
          token: 'session-token',
          masterToken: 'master-token',
          sessionId: 42,
          parameters: [],
          sessionInfo: { databaseName: 'ANALYTICS', schemaName: 'RECURLY' },
        },
      });
    }
    if (path === '/queries/v1/query-request') {
      const bindings = (body.bindings ?? {}) as Record<string, { value: string | null }>;
      const q: Query = {
        sql: String(body.sqlText),
        binds: Object.keys(bindings)
          .sort((a, b) => Number(a) - Number(b))
          .map((k) => bindings[k].value),
      };
      this.queries.push(q);
      if (body.asyncExec === true) {
        const id = randomUUID();
        const job: AsyncQuery = { id, sql: q.sql, polls: 0, done: Promise.resolve() };
        job.done = (async () => {
          job.answer = await this.run(q).catch((err: Error) => ({ error: err.message }));
        })();
        this.async.set(id, job);
        // Snowflake's answer to a detached query: in progress, with where its result will be.
        return this.json(res, {
          success: true,
          code: '333334',
          message: 'Asynchronous query in progress',
          data: { queryId: id, getResultUrl: `/queries/${id}/result` },
        });
      }
      return this.respond(res, await this.run(q), `q${this.queries.length}`);
    }
    const monitoring = /^\/monitoring\/queries\/([0-9a-f-]+)$/.exec(path);
    if (monitoring) {
      const job = this.async.get(monitoring[1]);
      if (!job) return this.json(res, { success: true, data: { queries: [] } });
      job.polls++;
      const status =
        job.polls === 1 || !job.answer ? 'RUNNING' : 'error' in job.answer ? 'FAILED_WITH_ERROR' : 'SUCCESS';
      this.statusReports.push([job.id, status]);
      const failed = job.answer && 'error' in job.answer ? job.answer : undefined;
      return this.json(res, {
        success: true,
        ...(failed ? { code: failed.code ?? '100038', message: '' } : {}),
        data: {
          queries: [
            {
              id: job.id,
              status,
              ...(failed ? { errorCode: failed.code ?? '100038', errorMessage: failed.error } : {}),
            },
          ],
          ...(failed ? { sqlState: failed.sqlState ?? 'P0001' } : {}),
        },
      });
    }
    const result = /^\/queries\/([0-9a-f-]+)\/result$/.exec(path);
    if (result) {
      const job = this.async.get(result[1]);
      if (!job)
        return this.json(res, {
          success: false,
          code: '000709',
          message: `Statement ${result[1]} not found`,
          data: null,
        });
      await job.done;
      return this.respond(res, job.answer!, job.id);
    }
    if (path === '/session') {
      this.sessionsClosed++;
      return this.json(res, { success: true });
    }
    // telemetry and anything else the driver sends on the side
    return this.json(res, { success: true });
  }

  /** A statement, or a Scripting block (EXECUTE IMMEDIATE $$ … $$) run statement by statement. */
  private run(q: Query): Promise<Answer> {
    return q.sql.startsWith('EXECUTE IMMEDIATE $$') ? this.runBlock(q.sql) : Promise.resolve(this.answer(q));
  }

  /**
   * The load block's Scripting (runtime/warehouse/snowflake/block.ts), interpreted as far as it
   * goes: its statements (one per `;` and newline) go to `answer` one by one, `SELECT COUNT(*)
   * INTO :n`, `IF (n …)`, `cN := SQLROWCOUNT`, RAISE of a declared exception, the handler's
   * ROLLBACK, and the OBJECT it returns (the block's one column, as Snowflake names it).
   */
  private async runBlock(sql: string): Promise<Answer> {
    const text = sql.slice('EXECUTE IMMEDIATE $$'.length, sql.lastIndexOf('$$'));
    const declared = new Map<string, string>();
    for (const m of text.matchAll(/^\s*(\w+) EXCEPTION \((-?\d+), '((?:[^']|'')*)'\);$/gm))
      declared.set(m[1], m[3].replace(/''/g, "'"));
    const body = text.slice(text.indexOf('\nBEGIN\n') + 7, text.indexOf('\nEXCEPTION\n'));
    const vars = new Map<string, number>();
    const staged = new Map<string, number>();
    let rowCount = 0;
    const returned = (value: unknown): Answer => ({ rows: [{ 'anonymous block': JSON.stringify(value) }] });
    const forward = async (statement: string): Promise<Answer> => {
      this.ran.push(statement.replace(/\s+/g, ' ').trim());
      const answer = await this.answer({ sql: statement, binds: [] });
      if ('error' in answer) throw Object.assign(new Error(answer.error), { answer });
      return answer;
    };
    try {
      for (const piece of body
        .split(/;\n/)
        .map((p) => p.trim().replace(/;$/, ''))
        .filter(Boolean)) {
        let m: RegExpExecArray | null;
        if ((m = /^SELECT COUNT\(\*\) INTO :(\w+) FROM ("[^"]+")(.*)$/s.exec(piece))) {
          const [, name, table, rest] = m;
          if (staged.has(table)) vars.set(name, staged.get(table)!);
          else {
            const answer = await forward(`SELECT COUNT(*) AS "N" FROM ${table}${rest}`);
            vars.set(name, 'rows' in answer ? Number(answer.rows[0]?.N ?? 0) : 0);
          }
        } else if ((m = /^IF \((\w+) (>|<>) (\d+)\) THEN (.*) END IF$/s.exec(piece))) {
          const [, name, op, n, then] = m;
          const value = vars.get(name) ?? 0;
          if (op === '>' ? value > Number(n) : value !== Number(n)) {
            const raise = /^RAISE (\w+);$/.exec(then);
            if (raise)
              throw new Error(
                `Uncaught exception of type '${raise[1].toUpperCase()}' on line 1 at position 0 : ${declared.get(raise[1]) ?? raise[1]}`,
              );
            if (/^RETURN OBJECT_CONSTRUCT\('loaded', FALSE\);$/.test(then))
              return returned({ loaded: false });
            throw new Error(`fake snowflake: cannot run ${then.slice(0, 80)}`);
          }
        } else if ((m = /^(\w+) := SQLROWCOUNT$/.exec(piece))) {
          vars.set(m[1], rowCount);
        } else if (piece.startsWith('IF (SQLROWCOUNT = 0) THEN ROLLBACK;')) {
          if (rowCount === 0) {
            await forward('ROLLBACK');
            return returned({ loaded: false });
          }
        } else if (
          (m = /^RETURN OBJECT_CONSTRUCT\('loaded', TRUE, 'counts', ARRAY_CONSTRUCT\(([\w, ]*)\)\)$/.exec(
            piece,
          ))
        ) {
          return returned({
            loaded: true,
            counts: m[1] ? m[1].split(', ').map((v) => vars.get(v) ?? 0) : [],
          });
        } else {
          const answer = await forward(piece === 'BEGIN TRANSACTION' ? 'BEGIN' : piece);
          const row = 'rows' in answer ? answer.rows : [];
          rowCount = row.reduce((n, r) => n + DML_COUNTS.reduce((k, c) => k + Number(r[c] ?? 0), 0), 0);
          const copy = /^COPY INTO ("[^"]+")/.exec(piece);
          if (copy)
            staged.set(
              copy[1],
              (staged.get(copy[1]) ?? 0) + row.reduce((n, r) => n + Number(r.rows_loaded ?? 0), 0),
            );
          if (/^CREATE OR REPLACE TABLE ("[^"]+")/.test(piece))
            staged.set(/^CREATE OR REPLACE TABLE ("[^"]+")/.exec(piece)![1], 0);
        }
      }
      return { error: 'fake snowflake: the block returned nothing' };
    } catch (err) {
      // EXCEPTION WHEN OTHER THEN ROLLBACK; … RAISE;
      this.ran.push('ROLLBACK');
      await this.answer({ sql: 'ROLLBACK', binds: [] });
      const answer = (err as { answer?: Answer }).answer;
      return answer && 'error' in answer
        ? answer
        : { error: (err as Error).message, code: '100132', sqlState: 'P0001' };
    }
  }

  private respond(res: ServerResponse, answer: Answer, queryId: string): void {
    if ('error' in answer) {
      return this.json(res, {
        success: false,
        code: answer.code ?? '100038',
        message: answer.error,
        data: {
          sqlState: answer.sqlState ?? '22018',
          queryId,
          errorCode: answer.code ?? '100038',
          internalError: false,
        },
      });
    }
    const names = [...new Set(answer.rows.flatMap((r) => Object.keys(r)))];
    const rowtype = names.map((name) => {
      const numeric = answer.rows.some((r) => typeof r[name] === 'number');
      return numeric
        ? { name, type: 'fixed', nullable: true, scale: 0, precision: 38 }
        : { name, type: 'text', nullable: true, length: 1000 };
    });
    return this.json(res, {
      success: true,
      data: {
        parameters: [],
        rowtype,
        rowset: answer.rows.map((r) =>
          names.map((n) => (r[n] === null || r[n] === undefined ? null : String(r[n]))),
        ),
        total: answer.rows.length,
        returned: answer.rows.length,
        queryId,
        statementTypeId: 4096,
      },
    });
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
  /**
   * The model table each MERGE or INSERT changed, one entry per statement, once committed (at
   * once outside a transaction), so a test sees whether a load applied anything, and how often.
   */
  readonly applied: string[] = [];
  private pendingApplied: string[] = [];
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
    // A load block's statements carry literals where the synchronous load binds.
    const literals = [...sql.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replace(/''/g, "'"));
    const arg = (i: number): string => String(q.binds.length ? q.binds[i] : literals[i]);
    const failure = this.fail(q);
    if (failure) return { error: failure };
    if (sql === 'BEGIN') this.inTransaction = true;
    else if (sql === 'COMMIT') {
      for (const [k, v] of this.pending) this.committed.set(k, v);
      this.pending.clear();
      this.applied.push(...this.pendingApplied.splice(0));
      this.inTransaction = false;
    } else if (sql === 'ROLLBACK') {
      this.pending.clear();
      this.pendingApplied.length = 0;
      this.inTransaction = false;
    } else if (sql.startsWith('SELECT COUNT(*) AS "N" FROM "TRIBUTARY_LOAD_RUNS"')) {
      return { rows: [{ N: this.committed.has(arg(0)) ? 1 : 0 }] };
    } else if (sql.startsWith('SELECT MAX("RUN_ID")')) {
      const ids = [...this.committed]
        .filter(([id, source]) => source === q.binds[0] && !id.startsWith('-'))
        .map(([id]) => id)
        .sort();
      return { rows: [{ RUN_ID: ids.at(-1) ?? null }] };
    } else if (sql.startsWith('SELECT "RUN_ID", "SOURCE", "LOADED_AT"')) {
      return {
        rows: [...this.committed].map(([id, source]) => ({
          RUN_ID: id,
          SOURCE: source,
          LOADED_AT: '2024-01-01 00:00:00.000',
        })),
      };
    } else if (sql.startsWith('SELECT COUNT(*) AS "N" FROM')) {
      return { rows: [{ N: 5 }] };
    } else if (sql.startsWith('COPY INTO')) {
      const key = /FROM @\S+?\/(\S+)/.exec(sql)![1];
      const n = this.rowsOf(key);
      return { rows: [{ file: key, status: 'LOADED', rows_parsed: n, rows_loaded: n }] };
    } else if (sql.startsWith('INSERT INTO "TRIBUTARY_LOAD_RUNS"')) {
      const id = arg(0);
      if (this.committed.has(id) || this.pending.has(id)) return { rows: [{ 'number of rows inserted': 0 }] };
      this.pending.set(id, arg(1));
      return { rows: [{ 'number of rows inserted': 1 }] };
    } else if (sql.startsWith('MERGE INTO "TRIBUTARY_SCHEMA_VERSION"')) {
      return { rows: [{ 'number of rows inserted': 1, 'number of rows updated': 0 }] };
    } else if (sql.startsWith('MERGE INTO')) {
      this.change(sql);
      return { rows: [{ 'number of rows inserted': this.inserted(sql), 'number of rows updated': 1 }] };
    } else if (sql.startsWith('INSERT INTO')) {
      this.change(sql);
      return { rows: [{ 'number of rows inserted': this.inserted(sql) }] };
    }
    return { rows: [{ status: 'Statement executed successfully.' }] };
  }

  private change(sql: string): void {
    const table = /^(?:MERGE|INSERT) INTO "([^"]+)"/.exec(sql)![1];
    (this.inTransaction ? this.pendingApplied : this.applied).push(table);
  }
}
