import { runIdFromManifestKey, runRecordKey, runRecordPrefix, stateKey } from '../lake/keys';
import type { ObjectStore } from '../lake/port';
import type { DataTestResult } from '../warehouse/port';

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunStep {
  step: string;
  startedAt: string;
  durationMs?: number;
}

/** Rows one run applied to a warehouse table (summed over the pending runs its load step applied). */
export interface AppliedRows {
  table: string;
  kind: string;
  applied: number;
}

/**
 * What one pipeline run did, beside what its manifests and the warehouse already hold: when each
 * step started and how long it took, the outcome, the error of a failed run and the data tests
 * run after its load. Written when the run starts and again when it ends, so a run that died
 * half-way is left `running`. The one record of a run, whoever ran it: `tributary run` (through
 * the run observer), the deployed step functions (runtime/state/deployed-run.ts), and read by
 * `tributary status` and the docs site alike.
 */
export interface RunRecord {
  version: 1;
  runId: string;
  source: string;
  /** The OpenLineage run id (a UUID) of this run's events in lineage/<runId>.json; absent for deployed runs. */
  lineageRunId?: string;
  startedAt: string;
  finishedAt?: string;
  status: RunStatus;
  steps: RunStep[];
  /** The step that was running when the run failed. */
  failedStep?: string;
  /** One redacted line. */
  error?: string;
  dataTests?: DataTestResult[];
  /** Set when lineage events could not be posted to the configured endpoint. */
  lineageError?: string;
  /** Tables stopped and data tests failed, one redacted line each: a run that finished with problems. */
  problems?: string[];
  timingsMs?: { extract: number; transform: number; load: number; total: number };
  rowsExtracted?: number;
  rowsLoaded?: number;
  /** Rows applied per warehouse table, for a site built without the warehouse (deployed). */
  applied?: AppliedRows[];
}

export async function writeRunRecord(lake: ObjectStore, record: RunRecord): Promise<void> {
  await lake.put(runRecordKey(record.source, record.runId), JSON.stringify(record, null, 2), 'application/json');
}

function parseRecord(key: string, text: string | undefined): RunRecord | undefined {
  try {
    const parsed = text ? (JSON.parse(text) as RunRecord) : undefined;
    return parsed && parsed.runId === runIdFromManifestKey(key) ? parsed : undefined;
  } catch {
    // A torn write of a record leaves the run to be shown from its manifests alone.
    return undefined;
  }
}

export async function readRunRecord(lake: ObjectStore, source: string, runId: string): Promise<RunRecord | undefined> {
  const key = runRecordKey(source, runId);
  return parseRecord(key, await lake.getText(key));
}

/**
 * Reads, changes and writes one run's record (a fresh one from `create` when it has none). Runs
 * of one source never overlap (the run lock, the state machine's single-flight guard), so a plain
 * read-modify-write is enough.
 */
export async function updateRunRecord(
  lake: ObjectStore,
  source: string,
  runId: string,
  change: (record: RunRecord) => void,
  create: () => Omit<RunRecord, 'version' | 'runId' | 'source'>,
): Promise<RunRecord> {
  const record = (await readRunRecord(lake, source, runId)) ?? { version: 1 as const, runId, source, ...create() };
  change(record);
  await writeRunRecord(lake, record);
  return record;
}

/**
 * Run records of a source, oldest first; an unreadable record is skipped, not fatal. `limit`
 * keeps the newest ones only, so a reader of a long history lists keys but reads a bounded few.
 */
export async function readRunRecords(lake: ObjectStore, source: string, limit?: number): Promise<RunRecord[]> {
  const keys = (await lake.list(runRecordPrefix(source))).filter((k) => k.endsWith('.json'));
  const records: RunRecord[] = [];
  for (const key of limit === undefined ? keys : keys.slice(-limit)) {
    const record = parseRecord(key, await lake.getText(key));
    if (record) records.push(record);
  }
  return records;
}

/** The format `tributary run` wrote before run records were unified (state/<source>/_runs/<runId>.json). */
interface LegacyRunRecord {
  runId: string;
  outcome: 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string;
  timingsMs?: RunRecord['timingsMs'];
  rowsExtracted?: number;
  rowsLoaded?: number;
  error?: string;
}

/** Records of lakes written before the unification, as unified records; they are read, never written. */
export async function readLegacyRunRecords(lake: ObjectStore, source: string, limit: number): Promise<RunRecord[]> {
  const keys = (await lake.list(stateKey(source, '_runs/').replace(/\.json$/, ''))).filter((k) => k.endsWith('.json')).slice(-limit);
  const records: RunRecord[] = [];
  for (const key of keys) {
    const text = await lake.getText(key);
    try {
      const old = text ? (JSON.parse(text) as LegacyRunRecord) : undefined;
      if (!old || old.runId !== runIdFromManifestKey(key)) continue;
      records.push({
        version: 1,
        runId: old.runId,
        source,
        startedAt: old.startedAt,
        finishedAt: old.finishedAt,
        status: old.outcome,
        steps: [],
        ...(old.error ? { error: old.error } : {}),
        ...(old.timingsMs ? { timingsMs: old.timingsMs } : {}),
        ...(old.rowsExtracted !== undefined ? { rowsExtracted: old.rowsExtracted } : {}),
        ...(old.rowsLoaded !== undefined ? { rowsLoaded: old.rowsLoaded } : {}),
      });
    } catch {
      // An unreadable old record is left out, as a torn new one is.
    }
  }
  return records;
}

/** Sources that have run records or extraction state in the lake. */
export async function sourcesInLake(lake: ObjectStore): Promise<string[]> {
  const found = new Set<string>();
  for (const key of await lake.list('runs/')) found.add(key.split('/')[1]);
  for (const key of await lake.list('state/')) {
    if (key.split('/').length === 3) found.add(key.split('/')[1]);
  }
  return [...found].sort();
}
