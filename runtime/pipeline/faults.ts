/**
 * Named fault points: places in extract, transform and load where a test can kill the process
 * (TRIBUTARY_FAULT=<point>) to prove that the next run recovers exactly. Unarmed, a point costs
 * one string comparison.
 */
export type Checkpoint = (point: string) => Promise<void> | void;

export const FAULT_ENV = 'TRIBUTARY_FAULT';

/**
 * Every point a totesys → PostgreSQL run passes, in order; per-table points end in `:<table>`.
 * Warehouses that apply a unit as one statement pass fewer load points: Snowflake only
 * `load.before-commit` (before its block is sent) and `load.after-commit`.
 */
export function faultPoints(sourceTables: readonly string[], outputTables: readonly string[]): string[] {
  return [
    ...sourceTables.flatMap((t) => [`extract.mid-copy:${t}`, `extract.after-object:${t}`]),
    'extract.before-manifest',
    'extract.after-manifest',
    ...sourceTables.map((t) => `extract.after-state:${t}`),
    ...outputTables.map((t) => `transform.after-object:${t}`),
    'transform.before-manifest',
    'transform.after-manifest',
    'load.after-stage',
    'load.after-dimensions',
    'load.after-facts',
    'load.before-commit',
    'load.after-commit',
  ];
}

/**
 * Replaced with `false` by the Lambda build (esbuild `define`), which then drops the hook as dead
 * code: a deployed function cannot be killed by setting an environment variable. Undefined when
 * the runtime runs from source (tests, the CLI), where the hook is live.
 */
declare const TRIBUTARY_FAULT_HOOK: boolean | undefined;

/** A checkpoint that SIGKILLs this process at the armed point, as a crash would. */
export function envCheckpoint(env: NodeJS.ProcessEnv = process.env): Checkpoint | undefined {
  if (typeof TRIBUTARY_FAULT_HOOK !== 'undefined' && !TRIBUTARY_FAULT_HOOK) return undefined;
  const armed = env[FAULT_ENV];
  if (!armed) return undefined;
  return (point: string) => {
    if (point === armed) process.kill(process.pid, 'SIGKILL');
  };
}
