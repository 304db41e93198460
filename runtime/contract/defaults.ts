import type { PipelineFunction } from './kinds';

/** Every default of a pipeline, written once: stack config, the component and the runtime read these. */
export const DEFAULTS = {
  /** Tables with no watermark and more rows than this are backfilled in key-range chunks of this size. */
  chunkRows: 1_000_000,
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
  memoryMb: { extract: 1024, transform: 2048, load: 1024, backfill: 1024, reconcile: 2048 } satisfies Record<PipelineFunction, number>,
  /** Seconds per function: Lambda's limit. */
  timeoutSeconds: { extract: 900, transform: 900, load: 900, backfill: 900, reconcile: 900 } satisfies Record<PipelineFunction, number>,
  metricsNamespace: 'Tributary',
} as const;
