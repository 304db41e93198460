import type { Client } from 'pg';
import type { TableLoad } from '../port';

/** A loaded run as the warehouse recorded it (tributary_load_runs). */
export interface LoadRecord {
  runId: string;
  source: string;
  loadedAt: string;
  tables: TableLoad[];
  inferred: number;
  datesAdded: number;
}

/** Every run the warehouse loaded, oldest first. */
export async function loadHistory(client: Client): Promise<LoadRecord[]> {
  const res = await client.query<{ run_id: string; source: string; loaded_at: Date; summary: { tables?: TableLoad[]; inferred?: number; datesAdded?: number } }>(
    'SELECT run_id, source, loaded_at, summary FROM tributary_load_runs ORDER BY run_id',
  );
  return res.rows.map((r) => ({
    runId: r.run_id,
    source: r.source,
    loadedAt: r.loaded_at.toISOString(),
    tables: r.summary.tables ?? [],
    inferred: r.summary.inferred ?? 0,
    datesAdded: r.summary.datesAdded ?? 0,
  }));
}
