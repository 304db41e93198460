import { stateKey } from '../lake/keys';
import { parseLakeJson } from '../lake/json';
import type { ObjectStore } from '../lake/port';
import type { ColumnSchema } from '../lake/manifest';

/** What the extractor remembers of one source table between runs. */
export interface TableState {
  table: string;
  /** Highest cursor value extracted, as the source's own text (microseconds kept). */
  watermark: string | null;
  /** The source snapshot in which `watermark` was read; rows invisible to it are re-checked. */
  snapshot: string | null;
  /** The extract run that last advanced this state. */
  runId: string;
  columns: ColumnSchema[];
  updatedAt: string;
}

export interface StoredState<T> {
  value: T;
  tag: string;
}

export async function readState<T>(store: ObjectStore, source: string, name: string): Promise<StoredState<T> | undefined> {
  const found = await store.getWithTag(stateKey(source, name));
  if (!found) return undefined;
  return { value: parseLakeJson<T>(store, stateKey(source, name), found.text), tag: found.tag };
}

/**
 * Writes state with a conditional put against the version read, so two writers can never both
 * advance it; throws when another writer got there first.
 */
export async function writeState<T>(store: ObjectStore, source: string, name: string, value: T, expectedTag: string | null): Promise<void> {
  const ok = await store.putIfMatch(stateKey(source, name), JSON.stringify(value, null, 2), expectedTag);
  if (!ok) throw new Error(`state ${stateKey(source, name)} was changed by another run; aborting so nothing is advanced twice`);
}
