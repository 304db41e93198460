import { processIsGone } from '../config/process';
import { hostname } from 'node:os';
import { stateKey } from '../lake/keys';
import type { ObjectStore } from '../lake/port';

export class RunInProgressError extends Error {
  override name = 'RunInProgressError';
}

interface LockBody {
  runId: string;
  startedAt: string;
  expiresAt: string;
  host: string;
  pid: number;
}


/** A lease nobody holds any more: expired, or taken by a process of this host that has died. */
function isStale(holder: LockBody, now: number): boolean {
  if (Date.parse(holder.expiresAt) <= now) return true;
  return holder.host === hostname() && holder.pid !== process.pid && processIsGone(holder.pid);
}

/**
 * A lease in the lake, taken with a conditional write so two runs of one source cannot
 * interleave. A lease left by a crashed run (expired, or its process gone) is taken over with a
 * conditional write too, so two runs recovering at once still cannot both win.
 */
export async function acquireRunLock(lake: ObjectStore, source: string, runId: string, ttlMs = 30 * 60 * 1000): Promise<() => Promise<void>> {
  const key = stateKey(source, '_lock');
  const now = Date.now();
  const mine: LockBody = {
    runId,
    startedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlMs).toISOString(),
    host: hostname(),
    pid: process.pid,
  };
  const body = JSON.stringify(mine);
  if (!(await lake.putIfAbsent(key, body))) {
    const held = await lake.getWithTag(key);
    let holder: LockBody | undefined;
    try {
      holder = held ? (JSON.parse(held.text) as LockBody) : undefined;
    } catch {
      holder = undefined; // an unreadable lease protects nothing: take it over
    }
    if (held && holder && !isStale(holder, now)) {
      throw new RunInProgressError(`a run of ${source} is in progress (${holder.runId}, started ${holder.startedAt}); not starting another`);
    }
    if (!(await lake.putIfMatch(key, body, held ? held.tag : null))) {
      throw new RunInProgressError(`another run of ${source} took the lock first; not starting another`);
    }
  }
  return async () => {
    const current = await lake.getText(key);
    if (current && (JSON.parse(current) as LockBody).runId === runId) await lake.delete(key);
  };
}
