import type { TransformManifest } from '../lake/manifest';
import type { ObjectStore } from '../lake/port';
import type { Checkpoint } from '../pipeline/faults';

export type { Checkpoint };

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

/**
 * A warehouse whose statements run on its own engine, asynchronously (Redshift's Data API): the
 * load submits and returns the statement id, the caller (the state machine) waits for it.
 */
export interface AsyncLoad {
  /** Writes what the run's COPY reads and submits the staging batch (or, with nothing to stage, the apply); undefined when the run is recorded already. */
  submitStage(lake: ObjectStore, manifest: TransformManifest): Promise<{ statementId: string; phase: 'stage' | 'apply' } | undefined>;
  /** After the staging batch finished: submits the one apply transaction (rows and record). */
  submitApply(manifest: TransformManifest): Promise<string>;
  /** After the apply transaction finished: what it changed. */
  outcome(manifest: TransformManifest, statementId: string): Promise<LoadResult>;
  /** A statement's status as the Data API reports it (FINISHED, FAILED, ABORTED, …). */
  status(statementId: string): Promise<{ status: string; error?: string }>;
}

/**
 * What a warehouse must do: its schema, one processed run loaded in one transaction, the last
 * run it loaded, its data tests. The loop over pending runs is above it, once, for every kind
 * (runtime/pipeline/load-step.ts), as the transform side's is (runtime/model/pending.ts).
 */
export interface Warehouse {
  /** Creates or migrates the schema; safe to call on every run. */
  ensureSchema(): Promise<void>;
  /** The newest run of the source this warehouse holds (run ids sort by time), if any. */
  lastLoadedRun(source: string): Promise<string | undefined>;
  /** Whether a run (or a unit of one, runtime/pipeline/load-step.ts) is recorded as loaded. */
  hasRun(runId: string): Promise<boolean>;
  /** Applies one processed run in one transaction; a run loaded before changes nothing (`loaded: false`). */
  loadRun(lake: ObjectStore, manifest: TransformManifest, checkpoint?: Checkpoint): Promise<LoadResult>;
  /** Present when the warehouse's loads may be submitted and waited on by the caller. */
  readonly async?: AsyncLoad;
  /** Checks run after loads that changed anything; a result with failures > 0 is a data-quality breach. */
  dataTests?(): Promise<DataTestResult[]>;
  /** For `status`: the last runs recorded and the rows per model table. */
  lastRuns(limit: number): Promise<LoadedRun[]>;
  rowCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}
