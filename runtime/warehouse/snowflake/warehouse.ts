import type { TransformManifest } from '../../lake/manifest';
import type { ObjectStore } from '../../lake/port';
import type { StarModel } from '../../model/star';
import type { AsyncLoad, Checkpoint, LoadResult, LoadedRun, Warehouse } from '../port';
import { blockOutcome, loadBlock, type LoadBlock } from './block';
import { openSnowflakeSession, type Row, type SnowflakeSession } from './client';
import type { SnowflakeConfig } from './config';
import { LOAD_RUNS, q, SCHEMA_VERSION_TABLE, schemaStatements } from './ddl';
import { lastLoadedRun, runLoaded, type Statement } from './load';

const SCHEMA_VERSION = 1;

/**
 * The Snowflake warehouse: the same semantics as the PostgreSQL one. A unit loads as one
 * Scripting block (block.ts): processed Parquet is read through an external stage on the lake
 * (COPY INTO the unit's staging tables), then one transaction merges dimensions, adds inferred
 * members and dates, appends new fact versions and records the run in TRIBUTARY_LOAD_RUNS, so a
 * replayed run changes nothing. `loadRun` waits on the block, `async` submits it detached.
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
   * Applies one processed manifest with the block the deployed load submits, run in this session
   * and waited on, so the CLI and the state machine send the same SQL; a run already in
   * TRIBUTARY_LOAD_RUNS issues no change. The stage reads the processed zone itself, so the lake
   * is not read here.
   *
   * Staging and the transaction happen inside the one statement, so the checkpoints are the two
   * points this process sees: before it (nothing staged or changed) and after it (committed). A
   * crash while it runs leaves the block to end on Snowflake, committed or rolled back whole.
   */
  async loadRun(_lake: ObjectStore, manifest: TransformManifest, checkpoint?: Checkpoint): Promise<LoadResult> {
    if (await this.hasRun(manifest.runId)) return { runId: manifest.runId, loaded: false, tables: [], inferred: 0, datesAdded: 0 };
    const block = loadBlock(this.model, manifest, this.stage);
    await checkpoint?.('load.before-commit');
    const rows = await this.session.execute(block.sql).catch((err: Error) => {
      // The block's first line is all the session's error names: say which unit it was.
      throw new Error(`snowflake: the load block of ${manifest.runId} failed: ${err.message}`);
    });
    const result = SnowflakeWarehouse.outcome(block, rows);
    // Another load recorded the unit first: the block rolled back, nothing of ours was committed.
    if (result.loaded) await checkpoint?.('load.after-commit');
    return result;
  }

  /** The block's one column (`anonymous block`) holds the OBJECT it returned. */
  private static outcome(block: LoadBlock, rows: Row[]): LoadResult {
    const [row] = rows;
    return blockOutcome(block, row ? Object.values(row)[0] : undefined);
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
    outcome: async (manifest, statementId) => SnowflakeWarehouse.outcome(loadBlock(this.model, manifest, this.stage), await this.session.results(statementId)),
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
