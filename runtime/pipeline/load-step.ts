import type { ObjectStore } from '../lake/port';
import type { DataTestResult, LoadResult, Warehouse } from '../warehouse/port';
import type { Checkpoint } from './faults';

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
    const loads = await warehouse.loadPending(lake, source, checkpoint);
    const changed = loads.some((l) => l.tables.some((t) => t.applied > 0));
    const dataTests = changed ? ((await warehouse.dataTests?.()) ?? []) : [];
    return { loads, dataTests };
  } finally {
    await warehouse.close();
  }
}
