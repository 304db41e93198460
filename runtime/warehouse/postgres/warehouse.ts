import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { manifestKey } from '../../lake/keys';
import type { TransformManifest } from '../../lake/manifest';
import type { ObjectStore } from '../../lake/port';
import { openDuck } from '../../model/duckdb';
import type { FactTable, StarModel } from '../../model/star';
import { connectPostgres } from '../../postgres/connect';
import type { Checkpoint, LoadResult, LoadedRun, TableLoad, Warehouse } from '../port';
import { parquetToCsv } from '../staging';
import { factKeysFor, relaxFactKeys, schemaStatements } from './ddl';
import { runDataTests, type DataTestResult } from './data-tests';
import { copyStraightIn, leadingKey, raiseWorkMem } from './bulk';
import { addReferencedDates, appendFacts, assertReferencesPresent, collectReferenceKeys, copyIntoStage, createStage, insertInferredMembers, referenceBounds, stageName, upsertDimension, type KeyBounds } from './load';

/** Serialises loads (and schema changes) of one warehouse across processes. */
const LOAD_LOCK = 0x7472_6962; // "trib"
// 2: fact foreign keys no longer enforced row by row (checked set-based per load).
const SCHEMA_VERSION = 2;

/**
 * How a load is carried out; the defaults are what the bench measured fastest. The switches
 * exist so `bench/probe-initial-load.ts` can measure each idea against the others.
 */
export interface LoadTuning {
  /** COPY straight into a table that is empty (the initial load; bulk.ts). */
  copyStraightIn: boolean;
  /** … and into a table whose batch only brings keys past its greatest (bulk.ts). */
  appendPastGreatestKey: boolean;
  /** Raise work_mem / maintenance_work_mem for the load transaction (SET LOCAL). */
  raiseWorkMem: boolean;
  /** Collect each fact batch's distinct reference keys in one scan (`collectReferenceKeys`). */
  referenceKeys: boolean;
  /** Probe each dimension only over the key range the batch references (`referenceBounds`). */
  boundedProbes: boolean;
  /** Read a batch's least leading key from its Parquet, and stage a batch that revisits old keys without trying the append (bulk.ts). */
  leastKeyFirst: boolean;
  /** Copy each table while DuckDB converts the next table's Parquet to CSV, instead of converting all first. */
  overlapStaging: boolean;
}

interface StagedCsv {
  path: string;
  columns: string[];
  rows: number;
  least?: string | null;
}

export const DEFAULT_LOAD_TUNING: LoadTuning = { copyStraightIn: true, appendPastGreatestKey: true, raiseWorkMem: true, referenceKeys: true, boundedProbes: true, leastKeyFirst: true, overlapStaging: true };

export class PostgresWarehouse implements Warehouse {
  private constructor(
    private readonly client: Client,
    private readonly model: StarModel,
    private readonly workDir: string,
    private readonly tuning: LoadTuning,
  ) {}

  static async connect(url: string, model: StarModel, workDir = tmpdir(), tuning: LoadTuning = DEFAULT_LOAD_TUNING): Promise<PostgresWarehouse> {
    return new PostgresWarehouse(await connectPostgres(url, 'warehouse'), model, workDir, tuning);
  }

  async ensureSchema(): Promise<void> {
    await this.client.query('BEGIN');
    try {
      const locked = await this.client.query<{ v: string }>("SELECT pg_advisory_xact_lock($1), current_setting('server_version_num') AS v", [LOAD_LOCK]);
      const factKeys = factKeysFor(Number(locked.rows[0].v));
      // Idempotent DDL without parameters: one round trip (simple protocol) for every statement.
      await this.client.query(schemaStatements(this.model, factKeys).join(';\n'));
      await relaxFactKeys(this.client, this.model, factKeys);
      await this.client.query(
        `INSERT INTO tributary_schema_version (model, version) VALUES ($1, $2)
         ON CONFLICT (model) DO UPDATE SET version = EXCLUDED.version, applied_at = now()
         WHERE tributary_schema_version.version < EXCLUDED.version`,
        [this.model.name, SCHEMA_VERSION],
      );
      await this.client.query('COMMIT');
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async lastLoadedRun(source: string): Promise<string | undefined> {
    const res = await this.client.query<{ run_id: string | null }>("SELECT max(run_id) AS run_id FROM tributary_load_runs WHERE source = $1 AND run_id NOT LIKE '-%'", [source]);
    return res.rows[0].run_id ?? undefined;
  }

  async hasRun(runId: string): Promise<boolean> {
    return ((await this.client.query('SELECT 1 FROM tributary_load_runs WHERE run_id = $1', [runId])).rowCount ?? 0) > 0;
  }

  /** Applies one processed manifest in one transaction; a run loaded before changes nothing. */
  async loadRun(lake: ObjectStore, manifest: TransformManifest, checkpoint?: Checkpoint): Promise<LoadResult> {
    const result: LoadResult = { runId: manifest.runId, loaded: false, tables: [], inferred: 0, datesAdded: 0 };
    if ([...this.model.dimensions, ...this.model.facts].every((t) => !manifest.tables[t.name])) return this.recordEmptyRun(manifest, result);
    const dir = await mkdtemp(join(this.workDir, 'tributary-load-'));
    const duck = await openDuck(dir);
    // Each table's CSV, made by DuckDB one table after another. With `overlapStaging` the
    // transaction opens at once and copies each table as soon as its CSV is ready, while DuckDB
    // makes the next one (PostgreSQL's COPY and DuckDB's conversion use different cores);
    // otherwise every CSV is ready before the transaction opens.
    const staged = new Map<string, Promise<StagedCsv>>();
    try {
      const appendsPastGreatest = this.tuning.copyStraightIn && this.tuning.appendPastGreatestKey && manifest.purpose !== 'reconcile';
      let previous: Promise<unknown> = Promise.resolve();
      for (const table of [...this.model.dimensions, ...this.model.facts]) {
        const entry = manifest.tables[table.name];
        if (!entry) continue;
        const leastOf = appendsPastGreatest && this.tuning.leastKeyFirst ? leadingKey(table) : undefined;
        const csv = previous.then(async () => ({ ...(await parquetToCsv(duck, lake, entry.objects, dir, table.name, manifestKey('transform', manifest.runId), leastOf)), rows: entry.rows }));
        // Awaited where its table is copied; marked handled now, so a failure is not an unhandled rejection meanwhile.
        csv.catch(() => undefined);
        previous = csv;
        staged.set(table.name, csv);
        if (!this.tuning.overlapStaging) await csv;
      }
      await this.client.query('BEGIN');
      try {
        await this.client.query('SELECT pg_advisory_xact_lock($1)', [LOAD_LOCK]);
        const done = await this.client.query('SELECT 1 FROM tributary_load_runs WHERE run_id = $1', [manifest.runId]);
        if (done.rowCount) {
          await this.client.query('ROLLBACK');
          return result;
        }
        if (this.tuning.raiseWorkMem) await raiseWorkMem(this.client);
        // Where each table's batch is: its stage, or what the COPY straight into the table
        // added (the table, or a view of its new keys; see bulk.ts).
        const batch = new Map<string, string>();
        const direct = new Set<string>();
        const tables: TableLoad[] = [];
        for (const table of [...this.model.dimensions, ...this.model.facts]) {
          await createStage(this.client, table);
          batch.set(table.name, stageName(table.name));
          const file = await staged.get(table.name);
          if (!file) continue;
          const copied = this.tuning.copyStraightIn ? await copyStraightIn(this.client, table, file.path, file.columns, appendsPastGreatest, file.least) : undefined;
          let rows: number;
          if (copied === undefined) rows = await copyIntoStage(this.client, table.name, file.path, file.columns);
          else {
            rows = copied.rows;
            direct.add(table.name);
            batch.set(table.name, copied.batch);
          }
          if (rows !== file.rows) {
            throw new Error(`load ${manifest.runId}: ${table.name} staged ${rows} rows but its manifest says ${file.rows}; nothing loaded`);
          }
          // Copied: its CSV leaves /tmp, so a unit's /tmp holds about two tables' files at a time.
          await rm(file.path, { force: true });
          tables.push({ table: table.name, kind: table.kind, staged: rows, applied: direct.has(table.name) ? rows : 0 });
        }
        await checkpoint?.('load.after-stage');
        for (const dim of this.model.dimensions) {
          const entry = tables.find((t) => t.table === dim.name);
          if (entry && !direct.has(dim.name)) entry.applied = await upsertDimension(this.client, dim);
        }
        await checkpoint?.('load.after-dimensions');
        const keys = new Map<string, string>();
        for (const fact of this.model.facts) {
          if (this.tuning.referenceKeys && staged.has(fact.name)) keys.set(fact.name, await collectReferenceKeys(this.client, this.model, fact, batch.get(fact.name)));
        }
        const batchOf = (fact: FactTable): string => keys.get(fact.name) ?? batch.get(fact.name) ?? stageName(fact.name);
        const bounds = new Map<string, KeyBounds>();
        for (const fact of this.model.facts) {
          if (this.tuning.boundedProbes && staged.has(fact.name)) bounds.set(fact.name, await referenceBounds(this.client, this.model, fact, batchOf(fact)));
        }
        for (const fact of this.model.facts) result.inferred += await insertInferredMembers(this.client, this.model, fact, batchOf(fact), bounds.get(fact.name));
        result.datesAdded = await addReferencedDates(this.client, this.model, this.model.facts, batchOf);
        for (const fact of this.model.facts) if (staged.has(fact.name)) await assertReferencesPresent(this.client, this.model, fact, batchOf(fact), bounds.get(fact.name));
        for (const fact of this.model.facts) {
          const entry = tables.find((t) => t.table === fact.name);
          if (entry && !direct.has(fact.name)) entry.applied = await appendFacts(this.client, fact, manifest.purpose === 'reconcile');
        }
        await checkpoint?.('load.after-facts');
        result.tables = tables;
        result.loaded = true;
        await this.client.query('INSERT INTO tributary_load_runs (run_id, source, model, summary) VALUES ($1, $2, $3, $4)', [
          manifest.runId,
          manifest.source,
          manifest.model,
          JSON.stringify({ tables, inferred: result.inferred, datesAdded: result.datesAdded, quarantined: manifest.quarantined }),
        ]);
        await checkpoint?.('load.before-commit');
        await this.client.query('COMMIT');
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      await checkpoint?.('load.after-commit');
      return result;
    } finally {
      // DuckDB is closed only once no conversion still runs in it (a load that failed early).
      await Promise.allSettled(staged.values());
      duck.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** A run that brought nothing is only recorded, so the next load starts after it. */
  private async recordEmptyRun(manifest: TransformManifest, result: LoadResult): Promise<LoadResult> {
    const res = await this.client.query(
      `INSERT INTO tributary_load_runs (run_id, source, model, summary) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id) DO NOTHING`,
      [manifest.runId, manifest.source, manifest.model, JSON.stringify({ tables: [], inferred: 0, datesAdded: 0, quarantined: manifest.quarantined })],
    );
    return { ...result, loaded: (res.rowCount ?? 0) > 0 };
  }

  /** Uniqueness, not-null and foreign-key checks over the whole star schema. */
  dataTests(): Promise<DataTestResult[]> {
    return runDataTests(this.client, this.model);
  }

  async lastRuns(limit: number): Promise<LoadedRun[]> {
    const res = await this.client.query<{ run_id: string; source: string; loaded_at: Date }>(
      'SELECT run_id, source, loaded_at FROM tributary_load_runs ORDER BY run_id DESC LIMIT $1',
      [limit],
    );
    return res.rows.map((r) => ({ runId: r.run_id, source: r.source, loadedAt: r.loaded_at.toISOString() }));
  }

  async rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of [...this.model.dimensions, ...this.model.facts]) {
      const res = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.name}`);
      counts[table.name] = Number(res.rows[0].n);
    }
    return counts;
  }

  /** The underlying connection, for data tests and reconciliation. */
  get connection(): Client {
    return this.client;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
