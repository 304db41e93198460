/**
 * What the stack gives each pipeline function unless its config says otherwise. infra/ applies
 * these; the benchmark compares every unit of work's peak memory, /tmp and wall time with them.
 */
export type LimitedFunction = 'extract' | 'transform' | 'load' | 'backfill' | 'reconcile';

/** Memory per function, MB (Lambda allows 128–10,240). */
export const DEFAULT_MEMORY_MB: Readonly<Record<LimitedFunction, number>> = { extract: 1024, transform: 2048, load: 1024, backfill: 1024, reconcile: 2048 };

/** Lambda's /tmp when the function sets no ephemeral storage, MB (it allows up to 10,240). */
export const DEFAULT_EPHEMERAL_STORAGE_MB = 512;

/** Lambda's hard ceiling on one invocation, and the stack's default timeout for every function. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
