import { stateKey } from '../lake/keys';
import { parseLakeJson } from '../lake/json';
import type { ObjectStore } from '../lake/port';

/**
 * One local run as `tributary status` reports it. The warehouse records only runs it loaded, so
 * a run that failed before (or during) the load left no trace and `status` looked clean; the
 * CLI writes one of these for every run, whatever its outcome.
 */
export interface RunRecord {
  runId: string;
  outcome: 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string;
  timingsMs?: { extract: number; transform: number; load: number; total: number };
  rowsExtracted?: number;
  rowsLoaded?: number;
  /** One line, secrets removed. */
  error?: string;
}

const prefix = (source: string) => stateKey(source, '_runs/').replace(/\.json$/, '');
const recordKey = (source: string, runId: string) => stateKey(source, `_runs/${runId}`);

export async function recordRun(lake: ObjectStore, source: string, record: RunRecord): Promise<void> {
  await lake.put(recordKey(source, record.runId), JSON.stringify(record, null, 2), 'application/json');
}

/** The latest `limit` runs, newest first (run ids sort in time order). */
export async function lastRunRecords(lake: ObjectStore, source: string, limit: number): Promise<RunRecord[]> {
  const keys = (await lake.list(prefix(source))).filter((k) => k.endsWith('.json')).slice(-limit).reverse();
  const records: RunRecord[] = [];
  for (const key of keys) {
    const text = await lake.getText(key);
    if (text !== undefined) records.push(parseLakeJson<RunRecord>(lake, key, text));
  }
  return records;
}
