import { runIdFromManifestKey, runRecordKey, runRecordPrefix } from '../lake/keys';
import type { ObjectStore } from '../lake/port';
import type { DataTestResult } from '../warehouse/port';

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunStep {
  step: string;
  startedAt: string;
  durationMs?: number;
}

/**
 * What one pipeline run did, beside what its manifests and the warehouse already hold: when each
 * step started and how long it took, the outcome, the error of a failed run and the data tests
 * run after its load. Written when the run starts and again when it ends, so a run that died
 * half-way is left `running`.
 */
export interface RunRecord {
  version: 1;
  runId: string;
  source: string;
  /** The OpenLineage run id (a UUID) of this run's events in lineage/<runId>.json. */
  lineageRunId: string;
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
}

export async function writeRunRecord(lake: ObjectStore, record: RunRecord): Promise<void> {
  await lake.put(runRecordKey(record.source, record.runId), JSON.stringify(record, null, 2), 'application/json');
}

/** Every run record of a source, oldest first; an unreadable record is skipped, not fatal. */
export async function readRunRecords(lake: ObjectStore, source: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const key of await lake.list(runRecordPrefix(source))) {
    if (!key.endsWith('.json')) continue;
    const text = await lake.getText(key);
    try {
      const parsed = text ? (JSON.parse(text) as RunRecord) : undefined;
      if (parsed && parsed.runId === runIdFromManifestKey(key)) records.push(parsed);
    } catch {
      // A torn write of a record leaves the run to be shown from its manifests alone.
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
