import { manifestKey } from '../lake/keys';
import { reextractHint, verifyObject } from '../lake/verify';
import { listManifestRunIds, readManifest, writeManifest, type ExtractManifest, type TransformManifest } from '../lake/manifest';
import type { ObjectStore } from '../lake/port';
import { readState, writeState } from '../state/watermarks';

/** Where a source's transform is up to; a model may keep more beside `lastRunId`. */
export interface TransformPointerBase {
  lastRunId: string;
}

export interface TransformResult {
  runId: string;
  manifestKey: string;
  manifest: TransformManifest;
}

const POINTER = '_transform';

/**
 * Transforms every extract run of the source not transformed yet, oldest first: the manifest
 * first, then the pointer. Outputs are keyed by run id, so redoing a run after a crash between
 * the two overwrites rather than duplicates.
 */
export async function transformEachPending<P extends TransformPointerBase>(
  lake: ObjectStore,
  source: string,
  transformOne: (extract: ExtractManifest, pointer: P | undefined) => Promise<{ manifest: TransformManifest; pointer: P }>,
  checkpoint?: (point: string) => Promise<void> | void,
): Promise<TransformResult[]> {
  const results: TransformResult[] = [];
  let stored = await readState<P>(lake, source, POINTER);
  for (const runId of await listManifestRunIds(lake, 'extract', stored?.value.lastRunId)) {
    const extract = await readManifest<ExtractManifest>(lake, 'extract', runId);
    if (!extract || extract.source !== source) continue;
    const { manifest, pointer } = await transformOne(extract, stored?.value);
    await checkpoint?.('transform.before-manifest');
    const manifestKey = await writeManifest(lake, manifest);
    await checkpoint?.('transform.after-manifest');
    await writeState<P>(lake, source, POINTER, pointer, stored?.tag ?? null);
    stored = await readState<P>(lake, source, POINTER);
    results.push({ runId, manifestKey, manifest });
  }
  return results;
}

/** Extract runs of the source the transform has not consumed yet, oldest first. */
export async function pendingExtractRunIds(lake: ObjectStore, source: string): Promise<string[]> {
  const stored = await readState<TransformPointerBase>(lake, source, POINTER);
  const pending: string[] = [];
  for (const runId of await listManifestRunIds(lake, 'extract', stored?.value.lastRunId)) {
    const extract = await readManifest<ExtractManifest>(lake, 'extract', runId);
    if (extract && extract.source === source) pending.push(runId);
  }
  return pending;
}

/**
 * Checks every raw object the next transform will read against its manifest's sha256, so a
 * damaged one stops the run before the extract writes anything. Pending runs are normally
 * none or the last failed one, so this reads little.
 */
export async function verifyPendingExtracts(lake: ObjectStore, source: string): Promise<void> {
  for (const runId of await pendingExtractRunIds(lake, source)) {
    const extract = (await readManifest<ExtractManifest>(lake, 'extract', runId))!;
    for (const entry of Object.values(extract.tables)) {
      if (entry.error) continue;
      for (const object of entry.objects) await verifyObject(lake, object, manifestKey('extract', runId), reextractHint(runId));
    }
  }
}
