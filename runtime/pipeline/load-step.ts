import { listManifestRunIds, readManifest, type TransformManifest } from '../lake/manifest';
import type { ObjectStore } from '../lake/port';
import type { DataTestResult, LoadResult, Warehouse } from '../warehouse/port';
import type { Checkpoint } from './faults';

/**
 * Loads every processed run of the source the warehouse does not hold yet, oldest first, one
 * transaction each (the warehouse's `loadRun`). Run ids sort by time, so "after the last loaded
 * run" is the whole of what is pending; a run loaded twice changes nothing.
 */
export async function loadPendingRuns(warehouse: Warehouse, lake: ObjectStore, source: string, checkpoint?: Checkpoint): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  const after = await warehouse.lastLoadedRun(source);
  for (const runId of await listManifestRunIds(lake, 'transform', after)) {
    const manifest = await readManifest<TransformManifest>(lake, 'transform', runId);
    if (!manifest || manifest.source !== source) continue;
    results.push(await warehouse.loadRun(lake, manifest, checkpoint));
  }
  return results;
}

/**
 * The load step every pipeline shares: schema, every pending processed run, then the
 * whole-warehouse data tests when the loads changed anything (a no-change run stays cheap).
 * Closes the warehouse whatever happens.
 */
export async function loadIntoWarehouse(
  warehouse: Warehouse,
  lake: ObjectStore,
  source: string,
  checkpoint?: Checkpoint,
): Promise<{ loads: LoadResult[]; dataTests: DataTestResult[] }> {
  try {
    await warehouse.ensureSchema();
    const loads = await loadPendingRuns(warehouse, lake, source, checkpoint);
    const changed = loads.some((l) => l.tables.some((t) => t.applied > 0));
    const dataTests = changed ? ((await warehouse.dataTests?.()) ?? []) : [];
    return { loads, dataTests };
  } finally {
    await warehouse.close();
  }
}
