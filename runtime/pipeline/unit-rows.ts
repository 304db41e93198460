import { DEFAULTS, ENV } from '../contract';
import { UsageError } from '../config/urls';

/**
 * `TRIBUTARY_UNIT_ROWS`: rows per unit of work of the transform and the load (a positive whole
 * number), default DEFAULTS.unitRows. The CLI and the functions read the same variable.
 */
export function unitRowsFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env[ENV.unitRows];
  if (raw === undefined || raw === '') return DEFAULTS.unitRows;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${ENV.unitRows}=${raw}: expected a positive whole number of rows`);
  return n;
}
