import type { ParseArgsConfig } from 'node:util';
import type { Client } from 'pg';
import type { SourceKind, WarehouseKind } from '../contract';
import type { ExtractManifest } from '../lake/manifest';
import type { ObjectStore } from '../lake/port';
import type { ReconcileSpec } from '../model/reconcile-spec';
import type { TransformPointerBase, TransformResult, UnitTransform } from '../model/pending';
import type { StarModel } from '../model/star';
import type { Warehouse } from '../warehouse/port';
import type { Checkpoint } from './faults';

/**
 * What a source kind and a warehouse kind provide to the one orchestrator
 * (runtime/pipeline/run.ts). Each kind implements these in its own folder; the registry
 * (runtime/pipeline/registry.ts) holds one line per kind.
 */

export interface StepContext {
  lake: ObjectStore;
  /** The `<source>` of the lake keys and state. */
  source: string;
  checkpoint?: Checkpoint;
}

export interface ExtractRequest extends StepContext {
  runId?: string;
  /** Progress of the table being read: bytes (PostgreSQL) or records (REST). */
  onProgress?: (table: string, amount: number) => void;
  /** Reconcile: re-read only these ids of these tables, ignoring and keeping the watermarks. */
  only?: Record<string, number[]>;
  /** Rows per raw object (TRIBUTARY_UNIT_ROWS): larger tables of the run are written as several objects. */
  unitRows?: number;
}

export interface ExtractOutcome {
  runId: string;
  manifestKey: string;
  manifest: ExtractManifest;
  /** Tables that stopped (schema drift); the others were extracted. */
  failedTables: string[];
}

/** One unit of a backfill, as the state machine's Distributed Map passes it back. */
export interface BackfillChunkRef {
  table: string;
  index: number;
}

export interface BackfillSummary {
  backfillId: string;
  chunks: number;
  chunksRun: number;
  chunksSkipped: number;
}

/** Initial loads of large tables in chunks: as one call (CLI) or as plan, chunks and finish (state machine). */
export interface BackfillSupport {
  runAll(ctx: StepContext & { chunkRows: number; concurrency?: number }): Promise<BackfillSummary | undefined>;
  plan(ctx: StepContext & { chunkRows: number }): Promise<{ backfillId: string; chunkCount: number; chunksKey: string } | undefined>;
  chunk(ctx: StepContext, backfillId: string, chunk: BackfillChunkRef): Promise<{ rows: number; skipped: boolean }>;
  finish(ctx: StepContext, backfillId: string): Promise<{ manifestRunId: string; rows: number }>;
}

/** Reconciliation: compare the source with the warehouse over SQL and re-read what differs. */
export interface ReconcileSupport {
  specs: readonly ReconcileSpec[];
  connect(): Promise<Client>;
}

/** A source kind bound to one source's settings. */
export interface SourceBinding {
  readonly kind: SourceKind;
  readonly model: StarModel;
  /** The source tables (or endpoints) whose watermarks the lake keeps. */
  readonly tables: readonly string[];
  extract(request: ExtractRequest): Promise<ExtractOutcome>;
  /** Reaches the source (one connection, no data read), so a run fails before it writes anything. */
  check?(): Promise<void>;
  /** Every pending extract run, unit by unit (the CLI's loop; see runtime/model/pending.ts). */
  transform(ctx: StepContext & { unitRows?: number }): Promise<TransformResult[]>;
  /** The model as units of work: what one bounded transform step runs (`transformNextUnit`). */
  transformUnits(ctx: StepContext): UnitTransform<TransformPointerBase>;
  readonly backfill?: BackfillSupport;
  readonly reconcile?: ReconcileSupport;
  /** Rows per chunk and chunks at a time, when the settings name them. */
  readonly backfillSettings?: { chunkRows?: number; concurrency?: number };
}

export type CliValues = Record<string, string | boolean | undefined>;

/** What a kind gets to build its settings from the command line. */
export interface CliContext {
  values: CliValues;
  env: NodeJS.ProcessEnv;
  /** Starts (once) the embedded PostgreSQL server and returns the URL of the named database in it. */
  embedded(database: 'source' | 'warehouse'): Promise<string>;
}

export interface SourceKindAdapter<T extends { kind: SourceKind }> {
  readonly kind: T['kind'];
  /** The model this kind's data lands in, and every table (or endpoint) it may extract. */
  readonly model: StarModel;
  readonly tables: readonly string[];
  /**
   * A deployed function's source, from its environment. Credentials (secrets by ARN) are read on
   * first use, so the transform function, which may read no secret, binds the same way.
   */
  fromEnv(env: NodeJS.ProcessEnv): SourceBinding;
  /** Options `tributary run --pipeline <name>` accepts for this kind, beyond the common ones. */
  readonly cliOptions: NonNullable<ParseArgsConfig['options']>;
  fromCli(ctx: CliContext): Promise<T>;
  /** Local runs with no --warehouse load the embedded PostgreSQL warehouse; false: a warehouse must be named. */
  readonly embeddedWarehouse: boolean;
  bind(settings: T): SourceBinding;
}

export interface WarehouseKindAdapter<T extends { kind: WarehouseKind }> {
  readonly kind: T['kind'];
  /** URL schemes of `--warehouse` this kind answers (`postgres:`). */
  readonly schemes: readonly string[];
  fromEnv(env: NodeJS.ProcessEnv): Promise<T>;
  /** Options of this kind beside `--warehouse` (e.g. `--redshift-copy-role`). */
  readonly cliOptions?: NonNullable<ParseArgsConfig['options']>;
  /** `--warehouse <url>`, with the other CLI values and the environment; throws a one-line message. */
  fromUrl(url: string, values: CliValues, env?: NodeJS.ProcessEnv): T;
  /** `--warehouse-secret <id>`: settings read from a Secrets Manager secret. */
  fromSecret?(secretId: string): Promise<T>;
  open(settings: T, model: StarModel): Promise<Warehouse>;
  /** Reconciliation reads the warehouse over this PostgreSQL connection. */
  sqlConnection?(settings: T): Promise<Client>;
}
