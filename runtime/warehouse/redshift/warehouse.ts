import { tmpdir } from 'node:os';
import type { TransformManifest } from '../../lake/manifest';
import type { ObjectStore } from '../../lake/port';
import type { StarModel } from '../../model/star';
import { dataTestQueries, dataTestResults, dataTestsAsOneQuery } from '../postgres/data-tests';
import type { AsyncLoad, Checkpoint, DataTestResult, LoadedRun, LoadResult, TableLoad, Warehouse } from '../port';
import { DataApi, type RedshiftTarget } from './data-api';
import {
  addReferencedDates,
  appendFacts,
  dropStages,
  insertInferredMembers,
  literal,
  LOAD_RUNS,
  lockRuns,
  mergeChanged,
  mergeDimension,
  q,
  recordRun,
  runNotLoaded,
  schemaStatements,
  stagedCountsHold,
  stageStatements,
} from './sql';
import { stagePrefix, writeStageObjects } from './stage-objects';

export interface RedshiftConfig extends RedshiftTarget {
  /** The role Redshift assumes for COPY: reads the processed zone, decrypts with the lake key. */
  copyRoleArn: string;
  /** `s3://bucket[/prefix]` of the processed zone, as the COPY role sees it. */
  processedLake: string;
}

/** A load planned as two Data API batches: staging (fresh tables, COPY, counts), then the one apply transaction. */
export interface LoadPlan {
  result: LoadResult;
  stage: string[];
  apply: string[];
  /** Index in `apply` of each table's MERGE/INSERT, of the inferred-member inserts and of the dates insert. */
  applied: Array<{ table: string; at: number }>;
  inferredAt: number[];
  datesAt?: number;
}

/**
 * The Redshift warehouse through the Data API, so functions need no network path to the
 * cluster: each processed run is staged by COPY … FORMAT AS PARQUET from the processed zone,
 * then applied in one transaction (dimensions by MERGE, inferred members, dates, facts where
 * their version is absent, the run record). A run recorded before changes nothing.
 */
export class RedshiftWarehouse implements Warehouse {
  private constructor(
    private readonly api: DataApi,
    private readonly config: RedshiftConfig,
    private readonly model: StarModel,
    private readonly workDir: string,
  ) {}

  static connect(config: RedshiftConfig, model: StarModel, options: { api?: DataApi; workDir?: string } = {}): RedshiftWarehouse {
    return new RedshiftWarehouse(options.api ?? new DataApi(config), config, model, options.workDir ?? tmpdir());
  }

  async ensureSchema(): Promise<void> {
    await this.api.batch(schemaStatements(this.model));
  }

  async lastLoadedRun(source: string): Promise<string | undefined> {
    const [row] = await this.api.query(`SELECT max(run_id) AS run_id FROM ${LOAD_RUNS} WHERE source = :source AND run_id NOT LIKE '-%'`, { source });
    return typeof row?.run_id === 'string' ? row.run_id : undefined;
  }

  hasRun(runId: string): Promise<boolean> {
    return this.isLoaded(runId);
  }

  private async isLoaded(runId: string): Promise<boolean> {
    const [row] = await this.api.query(`SELECT count(*) AS n FROM ${LOAD_RUNS} WHERE run_id = :run_id`, { run_id: runId });
    return Number(row?.n ?? 0) > 0;
  }

  /** Stages the run's objects and plans its two batches (nothing is applied here). */
  async planRun(lake: ObjectStore, manifest: TransformManifest): Promise<LoadPlan> {
    const present = [...this.model.dimensions, ...this.model.facts].filter((t) => manifest.tables[t.name]);
    return this.statements(manifest, await writeStageObjects(lake, manifest, present, this.workDir));
  }

  /** The two batches of a run whose stage objects are written (their prefixes are the run's and table's). */
  private statements(manifest: TransformManifest, staged: ReadonlyArray<{ table: string; prefix: string }>): LoadPlan {
    const result: LoadResult = { runId: manifest.runId, loaded: false, tables: [], inferred: 0, datesAdded: 0 };
    const present = [...this.model.dimensions, ...this.model.facts].filter((t) => manifest.tables[t.name]);
    const base = this.config.processedLake.replace(/\/+$/, '');
    const stage = [
      ...stageStatements(present, staged.map((s) => ({ table: s.table, url: `${base}/${s.prefix}` })), this.config.copyRoleArn),
      stagedCountsHold(present.map((t) => ({ table: t.name, rows: manifest.tables[t.name].rows }))),
    ];
    const apply = [lockRuns, runNotLoaded(manifest.runId)];
    const applied: LoadPlan['applied'] = [];
    for (const dim of this.model.dimensions.filter((d) => manifest.tables[d.name])) {
      applied.push({ table: dim.name, at: apply.length });
      apply.push(mergeDimension(dim));
    }
    const facts = this.model.facts.filter((f) => manifest.tables[f.name]);
    const inferredAt: number[] = [];
    for (const sql of insertInferredMembers(this.model, facts)) {
      inferredAt.push(apply.length);
      apply.push(sql);
    }
    const dates = addReferencedDates(this.model, facts);
    const datesAt = dates ? apply.push(dates) - 1 : undefined;
    for (const fact of facts) {
      applied.push({ table: fact.name, at: apply.length });
      apply.push(manifest.purpose === 'reconcile' ? mergeChanged(fact, fact.versionKey) : appendFacts(fact));
    }
    result.tables = present.map((t) => ({ table: t.name, kind: t.kind, staged: manifest.tables[t.name].rows, applied: 0 }));
    apply.push(recordRun(manifest.runId, manifest.source, manifest.model, { tables: result.tables.map((t) => ({ table: t.table, staged: t.staged })), quarantined: manifest.quarantined }));
    apply.push(...dropStages(present));
    return { result, stage, apply, applied, inferredAt, ...(datesAt !== undefined ? { datesAt } : {}) };
  }

  /** What the apply batch changed, from the rows each of its statements reports. */
  static outcome(plan: LoadPlan, rows: readonly number[]): LoadResult {
    const tables: TableLoad[] = plan.result.tables.map((t) => ({ ...t, applied: rows[plan.applied.find((a) => a.table === t.table)!.at] ?? 0 }));
    return {
      ...plan.result,
      loaded: true,
      tables,
      inferred: plan.inferredAt.reduce((n, i) => n + (rows[i] ?? 0), 0),
      datesAdded: plan.datesAt !== undefined ? (rows[plan.datesAt] ?? 0) : 0,
    };
  }

  async loadRun(lake: ObjectStore, manifest: TransformManifest, checkpoint?: Checkpoint): Promise<LoadResult> {
    if (await this.isLoaded(manifest.runId)) return { runId: manifest.runId, loaded: false, tables: [], inferred: 0, datesAdded: 0 };
    const plan = await this.planRun(lake, manifest);
    if (plan.result.tables.length > 0) await this.api.batch(plan.stage);
    await checkpoint?.('load.after-stage');
    await checkpoint?.('load.before-commit');
    const rows = await this.api.batch(plan.apply);
    await checkpoint?.('load.after-commit');
    return RedshiftWarehouse.outcome(plan, rows);
  }

  /**
   * The load as statements the caller waits on (the state machine polls DescribeStatement):
   * stage submitted, then apply submitted once the stage finished, then the outcome read. No
   * call waits for Redshift, so a COPY or MERGE longer than a function may live still finishes.
   */
  readonly async: AsyncLoad = {
    submitStage: async (lake, manifest) => {
      if (await this.isLoaded(manifest.runId)) return undefined;
      const plan = await this.planRun(lake, manifest);
      // As loadRun: a run with no model table to stage goes straight to its apply.
      if (plan.result.tables.length === 0) return { statementId: await this.api.submit(plan.apply), phase: 'apply' };
      return { statementId: await this.api.submit(plan.stage), phase: 'stage' };
    },
    submitApply: (manifest) => this.api.submit(this.statements(manifest, this.stagedPrefixes(manifest)).apply),
    outcome: async (manifest, statementId) => {
      const status = await this.api.describe(statementId);
      return RedshiftWarehouse.outcome(this.statements(manifest, this.stagedPrefixes(manifest)), status.resultRows);
    },
    status: async (statementId: string) => {
      const s = await this.api.describe(statementId);
      return { status: s.status, ...(s.error ? { error: s.error } : {}) };
    },
  };

  private stagedPrefixes(manifest: TransformManifest): Array<{ table: string; prefix: string }> {
    return [...this.model.dimensions, ...this.model.facts].filter((t) => manifest.tables[t.name]).map((t) => ({ table: t.name, prefix: stagePrefix(manifest.source, manifest.runId, t.name) }));
  }

  /** The same checks as the PostgreSQL warehouse's (ANSI SQL), run as one statement. */
  async dataTests(): Promise<DataTestResult[]> {
    const tests = dataTestQueries(this.model);
    return dataTestResults(tests, await this.api.query(dataTestsAsOneQuery(tests)));
  }

  async lastRuns(limit: number): Promise<LoadedRun[]> {
    const rows = await this.api.query(`SELECT run_id, source, loaded_at FROM ${LOAD_RUNS} ORDER BY run_id DESC LIMIT ${Math.max(1, Math.floor(limit))}`);
    return rows.map((r) => ({ runId: String(r.run_id), source: String(r.source), loadedAt: String(r.loaded_at) }));
  }

  async rowCounts(): Promise<Record<string, number>> {
    const tables = [...this.model.dimensions, ...this.model.facts];
    const rows = await this.api.query(tables.map((t) => `SELECT ${literal(t.name)} AS t, count(*) AS n FROM ${q(t.name)}`).join(' UNION ALL '));
    const counts = new Map(rows.map((r) => [String(r.t), Number(r.n)]));
    return Object.fromEntries(tables.map((t) => [t.name, counts.get(t.name) ?? 0]));
  }

  async close(): Promise<void> {
    this.api.close();
  }
}
