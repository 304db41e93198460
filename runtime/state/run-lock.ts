import { stateKey } from '../lake/keys';
import type { ObjectStore } from '../lake/port';

export class RunInProgressError extends Error {
  override name = 'RunInProgressError';
}

interface LockBody {
  runId: string;
  startedAt: string;
  expiresAt: string;
}

/**
 * A lease in the lake, taken with a conditional write so two runs of one source cannot
 * interleave; an expired lease (a run killed without releasing it) may be taken over.
 */
export async function acquireRunLock(lake: ObjectStore, source: string, runId: string, ttlMs = 30 * 60 * 1000): Promise<() => Promise<void>> {
  const key = stateKey(source, '_lock');
  const now = Date.now();
  const body = JSON.stringify({ runId, startedAt: new Date(now).toISOString(), expiresAt: new Date(now + ttlMs).toISOString() } satisfies LockBody);
  let taken = await lake.putIfAbsent(key, body);
  if (!taken) {
    const held = await lake.getWithTag(key);
    const holder = held ? (JSON.parse(held.text) as LockBody) : undefined;
    if (held && holder && Date.parse(holder.expiresAt) > now) {
      throw new RunInProgressError(`a run of ${source} is in progress (${holder.runId}, started ${holder.startedAt}); not starting another`);
    }
    taken = await lake.putIfMatch(key, body, held ? held.tag : null);
    if (!taken) throw new RunInProgressError(`another run of ${source} took the lock first; not starting another`);
  }
  return async () => {
    const current = await lake.getText(key);
    if (current && (JSON.parse(current) as LockBody).runId === runId) await lake.delete(key);
  };
}
