import type { ObjectStore } from '../../runtime/lake/port';
import { listManifestRunIds, readManifest, type ExtractManifest } from '../../runtime/lake/manifest';

/** Total rows per source table over every extract manifest: a row read twice counts twice. */
export async function extractedRows(lake: ObjectStore): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const runId of await listManifestRunIds(lake, 'extract')) {
    const m = await readManifest<ExtractManifest>(lake, 'extract', runId);
    for (const [t, e] of Object.entries(m!.tables)) totals[t] = (totals[t] ?? 0) + e.rows;
  }
  return totals;
}
