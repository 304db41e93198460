import { manifestKey, stateKey } from '../lake/keys';
import { listManifestRunIds, readManifest, type ExtractManifest } from '../lake/manifest';
import type { ObjectStore } from '../lake/port';
import { pendingExtractRunIds } from '../model/pending';
import { acquireRunLock } from './run-lock';
import { readState, writeState, type TableState } from './watermarks';

export interface ReextractResult {
  /** Extract runs whose manifests were removed (their raw objects are left, ignored without a manifest). */
  removedRuns: string[];
  /** Each affected table's watermark as it now stands (null: extracted whole on the next run). */
  watermarks: Record<string, string | null>;
}

export class NothingToReextractError extends Error {
  override name = 'NothingToReextractError';
}

/**
 * The recovery for a damaged raw object: puts the source back as it was before extract run
 * `fromRunId`, so the next run extracts that range again. Only runs the transform has not
 * consumed can be undone (the transform stops at the damaged run, so every later run is
 * waiting too, and all of them are undone together).
 *
 * Order for crash safety: the watermarks move back first, then the manifests go, newest first.
 * A crash in between leaves manifests the next run rolls the watermarks forward through again
 * (loadTableStates) — no range is skipped — and running this again finishes the job.
 */
export async function reextractFrom(lake: ObjectStore, source: string, fromRunId: string, lockRunId: string): Promise<ReextractResult> {
  const release = await acquireRunLock(lake, source, lockRunId);
  try {
    const pending = await pendingExtractRunIds(lake, source);
    if (!pending.includes(fromRunId)) {
      throw new NothingToReextractError(
        `extract run ${fromRunId} of ${source} is not waiting to be transformed (already transformed, or no such run); waiting: ${pending.join(', ') || 'none'}`,
      );
    }
    const removedRuns = pending.filter((id) => id >= fromRunId);
    const tables = new Set<string>();
    for (const runId of removedRuns) {
      const manifest = await readManifest<ExtractManifest>(lake, 'extract', runId);
      for (const [table, entry] of Object.entries(manifest?.tables ?? {})) if (!entry.error) tables.add(table);
    }
    const earlier = await earlierStates(lake, source, fromRunId, tables);
    const watermarks: Record<string, string | null> = {};
    for (const table of tables) {
      const current = await readState<TableState>(lake, source, table);
      const before = earlier.get(table);
      if (before) await writeState(lake, source, table, before, current?.tag ?? null);
      else await lake.delete(stateKey(source, table));
      watermarks[table] = before?.watermark ?? null;
    }
    for (const runId of [...removedRuns].reverse()) await lake.delete(manifestKey('extract', runId));
    return { removedRuns, watermarks };
  } finally {
    await release();
  }
}

/** Each table's state as the last incremental extract before `runId` left it. */
async function earlierStates(lake: ObjectStore, source: string, runId: string, tables: Set<string>): Promise<Map<string, TableState>> {
  const found = new Map<string, TableState>();
  const earlier = (await listManifestRunIds(lake, 'extract')).filter((id) => id < runId).reverse();
  for (const id of earlier) {
    if (found.size === tables.size) break;
    const manifest = await readManifest<ExtractManifest>(lake, 'extract', id);
    if (!manifest || manifest.source !== source || manifest.purpose === 'reconcile') continue;
    for (const [table, entry] of Object.entries(manifest.tables)) {
      if (!tables.has(table) || found.has(table) || entry.error) continue;
      found.set(table, { table, watermark: entry.watermark.to, snapshot: entry.snapshot, runId: id, columns: entry.columns, updatedAt: new Date().toISOString() });
    }
  }
  return found;
}
