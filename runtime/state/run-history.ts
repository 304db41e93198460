import type { ObjectStore } from '../lake/port';
import { readLegacyRunRecords, readRunRecords, type RunRecord } from './run-record';

/**
 * One run as `tributary status` reports it, read from the run records (runs/<source>/) every
 * runner writes. The warehouse records only runs it loaded, so a run that failed before (or
 * during) the load left no trace there: the record shows it.
 */
export interface RunHistoryEntry {
  runId: string;
  /** `failed` too for a run that finished with stopped tables or failed data tests (exit code 1). */
  outcome: 'succeeded' | 'failed' | 'running';
  startedAt: string;
  finishedAt?: string;
  timingsMs?: RunRecord['timingsMs'];
  rowsExtracted?: number;
  rowsLoaded?: number;
  /** One line, secrets removed. */
  error?: string;
}

export function historyEntry(record: RunRecord): RunHistoryEntry {
  const problem = record.problems?.[0];
  return {
    runId: record.runId,
    outcome: record.status === 'failed' || problem ? 'failed' : record.status,
    startedAt: record.startedAt,
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    ...(record.timingsMs ? { timingsMs: record.timingsMs } : {}),
    ...(record.rowsExtracted !== undefined ? { rowsExtracted: record.rowsExtracted } : {}),
    ...(record.rowsLoaded !== undefined ? { rowsLoaded: record.rowsLoaded } : {}),
    ...(record.error ?? problem ? { error: record.error ?? problem } : {}),
  };
}

/** The latest `limit` runs, newest first (run ids sort in time order); records of older lakes included. */
export async function lastRunRecords(lake: ObjectStore, source: string, limit: number): Promise<RunHistoryEntry[]> {
  const byRun = new Map<string, RunRecord>();
  for (const record of await readLegacyRunRecords(lake, source, limit)) byRun.set(record.runId, record);
  for (const record of await readRunRecords(lake, source, limit)) byRun.set(record.runId, record);
  return [...byRun.values()]
    .sort((a, b) => (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0))
    .slice(0, limit)
    .map(historyEntry);
}
