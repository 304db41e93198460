import type { ObjectStore } from '../lake/port';

export interface TableLoad {
  table: string;
  kind: 'dimension' | 'fact' | 'quarantine' | 'table';
  /** Rows staged from the processed zone. */
  staged: number;
  /** Dimension rows inserted or changed, or fact rows appended. */
  applied: number;
}

export interface LoadResult {
  runId: string;
  /** False when the run had been loaded before: nothing changed. */
  loaded: boolean;
  tables: TableLoad[];
  /** Inferred dimension members created for facts that arrived before their dimension row. */
  inferred: number;
  datesAdded: number;
}

export interface DataTestResult {
  name: string;
  table: string;
  /** Offending rows; 0 means the test passed. */
  failures: number;
}

export interface LoadedRun {
  runId: string;
  source: string;
  loadedAt: string;
}

/** A warehouse that applies processed manifests: PostgreSQL (and Redshift), Snowflake. */
export interface Warehouse {
  /** Creates or migrates the schema; safe to call on every run. */
  ensureSchema(): Promise<void>;
  /** Loads every processed run of the source not loaded yet, oldest first, one transaction each. */
  loadPending(lake: ObjectStore, source: string, checkpoint?: (point: string) => Promise<void> | void): Promise<LoadResult[]>;
  lastRuns(limit: number): Promise<LoadedRun[]>;
  /** Checks run after every load; a result with failures > 0 is a data-quality breach. */
  dataTests?(): Promise<DataTestResult[]>;
  rowCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}
