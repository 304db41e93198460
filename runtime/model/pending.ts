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
