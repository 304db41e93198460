import type { TransformManifest } from '../../lake/manifest';
import type { ObjectStore } from '../../lake/port';
import type { FactTable, StarModel } from '../../model/star';
import type { AsyncLoad, Checkpoint, LoadResult, LoadedRun, TableLoad, Warehouse } from '../port';
import { blockOutcome, loadBlock } from './block';
import { openSnowflakeSession, type Row, type SnowflakeSession } from './client';
import type { SnowflakeConfig } from './config';
import { LOAD_RUNS, q, SCHEMA_VERSION_TABLE, schemaStatements } from './ddl';
import {
  addReferencedDates,
  appendFacts,
  copyIntoStage,
  correctFacts,
  createStage,
  insertInferredMembers,
  lastLoadedRun,
  mergeDimension,
  recordRun,
  runLoaded,
  type Statement,
} from './load';

const SCHEMA_VERSION = 1;

/** Sums a DML result column, e.g. `number of rows inserted` (one row per statement). */
function count(rows: Row[], ...columns: string[]): number {
  let n = 0;
  for (const row of rows) for (const c of columns) n += Number(row[c] ?? 0);
  return n;
}

/**
 * The Snowflake warehouse: the same semantics as the PostgreSQL one. Processed Parquet is read
 * through an external stage on the lake (COPY INTO session staging tables), then one
 * transaction merges dimensions, adds inferred members and dates, appends new fact versions and
 * records the run in TRIBUTARY_LOAD_RUNS, so a replayed run changes nothing.
 */
export class SnowflakeWarehouse implements Warehouse {
  private constructor(
    private readonly session: SnowflakeSession,
    private readonly model: StarModel,
    private readonly stage: string,
  ) {}

  static async connect(config: SnowflakeConfig, model: StarModel): Promise<SnowflakeWarehouse> {
    return new SnowflakeWarehouse(await openSnowflakeSession(config), model, config.stage);
  }

  /** For tests and callers holding their own session. */
  static withSession(session: SnowflakeSession, model: StarModel, stage: string): SnowflakeWarehouse {
    return new SnowflakeWarehouse(session, model, stage);
  }

  private run(statement: Statement): Promise<Row[]> {
    return this.session.execute(statement.sql, statement.binds);
  }

  async ensureSchema(): Promise<void> {
    // DDL commits implicitly in Snowflake, so each statement stands alone and is idempotent.
    for (const sql of schemaStatements(this.model)) await this.session.execute(sql);
    await this.session.execute(
      `MERGE INTO ${q(SCHEMA_VERSION_TABLE)} t USING (SELECT ? AS "MODEL", ? AS "VERSION") s ON t."MODEL" = s."MODEL"
WHEN MATCHED AND t."VERSION" < s."VERSION" THEN UPDATE SET "VERSION" = s."VERSION", "APPLIED_AT" = CURRENT_TIMESTAMP()
WHEN NOT MATCHED THEN INSERT ("MODEL", "VERSION") VALUES (s."MODEL", s."VERSION")`,
      [this.model.name, SCHEMA_VERSION],
    );
  }

  async lastLoadedRun(source: string): Promise<string | undefined> {
    const [row] = await this.run(lastLoadedRun(source));
    return typeof row?.RUN_ID === 'string' ? row.RUN_ID : undefined;
  }

  async hasRun(runId: string): Promise<boolean> {
    const [done] = await this.run(runLoaded(runId));
    return Number(done?.N ?? 0) > 0;
  }

  /**
   * Applies one processed manifest; a run already in TRIBUTARY_LOAD_RUNS issues no change. The
   * stage reads the processed zone itself, so the lake is not read here.
   */
  async loadRun(_lake: ObjectStore, manifest: TransformManifest, checkpoint?: Checkpoint): Promise<LoadResult> {
    const result: LoadResult = { runId: manifest.runId, loaded: false, tables: [], inferred: 0, datesAdded: 0 };
    const [done] = await this.run(runLoaded(manifest.runId));
    if (Number(done?.N ?? 0) > 0) return result;
    const present = [...this.model.dimensions, ...this.model.facts].filter((t) => manifest.tables[t.name]);
    const tables: TableLoad[] = [];
    for (const table of present) {
      await this.run(createStage(table));
      let staged = 0;
      for (const object of manifest.tables[table.name].objects) {
        staged += count(await this.run(copyIntoStage(table, this.stage, object.key)), 'rows_loaded');
      }
      const expected = manifest.tables[table.name].rows;
      if (staged !== expected) {
        throw new Error(`snowflake: staged ${staged} rows of ${table.name} from @${this.stage}, the manifest says ${expected}; is the stage on the lake's root?`);
      }
      tables.push({ table: table.name, kind: table.kind, staged, applied: 0 });
    }
    await checkpoint?.('load.after-stage');
    await this.session.execute('BEGIN');
    try {
      for (const dim of this.model.dimensions) {
        const entry = tables.find((t) => t.table === dim.name);
        if (entry) entry.applied = count(await this.run(mergeDimension(dim)), 'number of rows inserted', 'number of rows updated');
      }
      await checkpoint?.('load.after-dimensions');
      const facts: FactTable[] = this.model.facts.filter((f) => manifest.tables[f.name]);
      for (const fact of facts) {
        for (const statement of insertInferredMembers(this.model, fact)) result.inferred += count(await this.run(statement), 'number of rows inserted');
      }
      const dates = addReferencedDates(this.model, facts);
      if (dates) result.datesAdded = count(await this.run(dates), 'number of rows inserted');
      for (const fact of facts) {
        const entry = tables.find((t) => t.table === fact.name)!;
        const statement = manifest.purpose === 'reconcile' ? correctFacts(fact) : appendFacts(fact);
        entry.applied = count(await this.run(statement), 'number of rows inserted', 'number of rows updated');
      }
      await checkpoint?.('load.after-facts');
      const summary = { tables, inferred: result.inferred, datesAdded: result.datesAdded, quarantined: manifest.quarantined };
      const recorded = count(await this.run(recordRun(manifest.runId, manifest.source, manifest.model, summary)), 'number of rows inserted');
      if (recorded === 0) {
        // Another load recorded this run while we staged: keep its changes, drop ours.
        await this.session.execute('ROLLBACK');
        return result;
      }
      await checkpoint?.('load.before-commit');
      await this.session.execute('COMMIT');
    } catch (err) {
      await this.session.execute('ROLLBACK').catch(() => undefined);
      throw err;
    }
    await checkpoint?.('load.after-commit');
    result.tables = tables;
    result.loaded = true;
    return result;
  }

  /**
   * The load as one statement the caller waits on (the state machine polls the load function,
   * which asks Snowflake for the query's status): the unit's whole load as a Scripting block
   * (block.ts) submitted detached, so no function waits on a COPY or MERGE. Snowflake runs a
   * detached query to its end after the session closes (ABORT_DETACHED_QUERY is false by default).
   */
  readonly async: AsyncLoad = {
    submitStage: async (_lake, manifest) => {
      if (await this.hasRun(manifest.runId)) return undefined;
      const block = loadBlock(this.model, manifest, this.stage);
      // One statement stages and applies: the step's next call reads its outcome.
      return { statementId: await this.session.submit(block.sql), phase: 'apply' };
    },
    submitApply: (manifest) => Promise.reject(new Error(`snowflake: the load of ${manifest.runId} is one statement (stage and apply); there is no apply to submit after it`)),
    outcome: async (manifest, statementId) => {
      const [row] = await this.session.results(statementId);
      // The block's one column (`anonymous block`) holds the OBJECT it returned.
      return blockOutcome(loadBlock(this.model, manifest, this.stage), row ? Object.values(row)[0] : undefined);
    },
    status: async (statementId) => {
      const s = await this.session.status(statementId);
      return { status: SnowflakeWarehouse.machineStatus(s.status), ...(s.error ? { error: s.error } : {}) };
    },
  };

  /** Snowflake's query status in the state machine's words: FINISHED, FAILED, ABORTED end the wait; any other (RUNNING, QUEUED, BLOCKED, …) keeps it. */
  static machineStatus(status: string): string {
    if (status === 'SUCCESS') return 'FINISHED';
    if (status === 'FAILED_WITH_ERROR' || status === 'FAILED_WITH_INCIDENT') return 'FAILED';
    if (status === 'ABORTED' || status === 'ABORTING' || status === 'DISCONNECTED') return 'ABORTED';
    return status;
  }

  async lastRuns(limit: number): Promise<LoadedRun[]> {
    const rows = await this.session.execute(`SELECT "RUN_ID", "SOURCE", "LOADED_AT" FROM ${q(LOAD_RUNS)} ORDER BY "RUN_ID" DESC LIMIT ?`, [limit]);
    return rows.map((r) => ({
      runId: String(r.RUN_ID),
      source: String(r.SOURCE),
      loadedAt: r.LOADED_AT instanceof Date ? r.LOADED_AT.toISOString() : String(r.LOADED_AT),
    }));
  }

  async rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of [...this.model.dimensions, ...this.model.facts]) {
      const [row] = await this.session.execute(`SELECT COUNT(*) AS "N" FROM ${q(table.name)}`);
      counts[table.name] = Number(row?.N ?? 0);
    }
    return counts;
  }

  async close(): Promise<void> {
    await this.session.close().catch(() => undefined);
  }
}
