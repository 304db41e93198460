import { listManifestRunIds, readManifest, writeManifest, type ExtractManifest, type ExtractedTable } from '../lake/manifest';
import { newRunId, runIdDate } from '../lake/keys';
import type { ObjectStore } from '../lake/port';
import { readState, writeState, type StoredState, type TableState } from './watermarks';

export type TableStates = Map<string, StoredState<TableState> | undefined>;

function stateFromManifest(table: string, runId: string, entry: ExtractedTable): TableState {
  return {
    table,
    watermark: entry.watermark.to,
    snapshot: entry.snapshot,
    runId,
    columns: entry.columns,
    updatedAt: new Date().toISOString(),
  };
}

/**
 * Reads every table's state, first rolling it forward from any extract manifest written after
 * it: a run that crashed between its manifest and its watermarks is completed here, so its
 * rows are neither lost nor read again.
 */
export async function loadTableStates(lake: ObjectStore, source: string, tables: readonly string[]): Promise<TableStates> {
  const states: TableStates = new Map();
  for (const table of tables) states.set(table, await readState<TableState>(lake, source, table));
  const known = [...states.values()].map((s) => s?.value.runId);
  const oldest = known.some((id) => id === undefined) ? undefined : (known as string[]).sort()[0];
  for (const runId of await listManifestRunIds(lake, 'extract', oldest)) {
    const manifest = await readManifest<ExtractManifest>(lake, 'extract', runId);
    if (!manifest || manifest.source !== source || manifest.purpose === 'reconcile') continue;
    for (const [table, entry] of Object.entries(manifest.tables)) {
      if (!states.has(table) || entry.error) continue;
      const current = states.get(table);
      if (current && current.value.runId >= runId) continue;
      const value = stateFromManifest(table, runId, entry);
      await writeState(lake, source, table, value, current?.tag ?? null);
      states.set(table, await readState<TableState>(lake, source, table));
    }
  }
  return states;
}

/** Writes the manifest, then advances each extracted table's state from it. */
export async function commitExtract(
  lake: ObjectStore,
  manifest: ExtractManifest,
  states: TableStates,
  checkpoint?: (point: string) => Promise<void> | void,
): Promise<string> {
  await checkpoint?.('extract.before-manifest');
  const key = await writeManifest(lake, manifest);
  await checkpoint?.('extract.after-manifest');
  if (manifest.purpose === 'reconcile') return key;
  for (const [table, entry] of Object.entries(manifest.tables)) {
    if (entry.error) continue;
    const current = states.get(table);
    await writeState(lake, manifest.source, table, stateFromManifest(table, manifest.runId, entry), current?.tag ?? null);
    await checkpoint?.(`extract.after-state:${table}`);
  }
  return key;
}

/**
 * A run id that sorts after every run the states come from. Run ids come from the clock, and
 * the transform and load read manifests in run-id order, so a clock that stepped back must
 * not produce a run id that sorts before the last one (its rows would never be transformed).
 */
export function runIdAfter(states: TableStates, candidate: string): string {
  const latest = [...states.values()].map((s) => s?.value.runId ?? '').reduce((a, b) => (a > b ? a : b), '');
  if (candidate > latest) return candidate;
  return newRunId(new Date(runIdDate(latest).getTime() + 1));
}
