import { DEFAULT_MEMORY_MB, LAMBDA_MAX_TIMEOUT_SECONDS } from './function-limits';
import type { PipelineFunction } from './kinds';

/** Every default of a pipeline, written once: stack config, the component and the runtime read these. */
export const DEFAULTS = {
  /** Tables with no watermark and more rows than this are backfilled in key-range chunks of this size. */
  chunkRows: 1_000_000,
  /**
   * Rows per unit of work of the transform and the load: a run with more is cut into units of at
   * most this many rows (whole raw or processed objects), each one invocation and one transaction.
   */
  unitRows: 1_000_000,
  /** Backfill chunks extracted at a time (a Distributed Map runs at most 10,000 child executions). */
  backfillMaxConcurrency: 10,
  /** Minutes without a successful load before the freshness alarm fires. */
  freshnessSlaMinutes: 30,
  /** How often a run starts when the stack names no schedule. */
  schedule: 'rate(20 minutes)',
  reconcileSchedule: 'rate(1 day)',
  /** Ids per reconciliation chunk (hashes compared per chunk first). */
  reconcileChunkSize: 1000,
  logLevel: 'INFO',
  /** The Snowflake external stage on the processed bucket. */
  snowflakeStage: 'TRIBUTARY_PROCESSED_STAGE',
  /** Memory per function (MB): transform and reconcile hold DuckDB's working set. */
  memoryMb: DEFAULT_MEMORY_MB satisfies Readonly<Record<PipelineFunction, number>>,
  /** Seconds per function: Lambda's limit. */
  timeoutSeconds: {
    extract: LAMBDA_MAX_TIMEOUT_SECONDS,
    transform: LAMBDA_MAX_TIMEOUT_SECONDS,
    load: LAMBDA_MAX_TIMEOUT_SECONDS,
    backfill: LAMBDA_MAX_TIMEOUT_SECONDS,
    reconcile: LAMBDA_MAX_TIMEOUT_SECONDS,
  } satisfies Record<PipelineFunction, number>,
  metricsNamespace: 'Tributary',
  /** The deployed docs site shows this many newest runs (its build reads their manifests and records only). */
  siteMaxRuns: 200,
  /**
   * Seconds the site link in an alert asks to be valid (SigV4's maximum is 7 days); it stops
   * working sooner when the notifier's temporary role credentials expire.
   */
  siteLinkSeconds: 7 * 24 * 3600,
} as const;
