import { manifestKey, manifestPrefix, runIdFromManifestKey, type Stage } from './keys';
import { parseLakeJson } from './json';
import type { ObjectStore } from './port';

export interface ColumnSchema {
  name: string;
  type: string;
}

export interface LakeObject {
  key: string;
  rows: number;
  bytes: number;
  /** sha256 of the object's bytes as stored. */
  sha256: string;
}

export interface ExtractedTable {
  rows: number;
  objects: LakeObject[];
  /** Watermark range in the source's own text: rows with cursor in (from, to] plus late commits. */
  watermark: { from: string | null; to: string | null };
  /** Source snapshot the watermark is valid for (late-commit detection on the next run). */
  snapshot: string | null;
  columns: ColumnSchema[];
  /** Columns that appeared or disappeared since the previous run (schema drift). */
  drift?: { added: string[]; removed: string[]; retyped: string[] };
  /** False when the source has no index on the cursor column: every run then scans the table. */
  cursorIndexed?: boolean;
  error?: string;
}

export interface ExtractManifest {
  version: 1;
  stage: 'extract';
  runId: string;
  source: string;
  format: 'csv.gz' | 'jsonl.gz';
  /** `reconcile`: a targeted re-read of rows found to differ; it moves no watermark. */
  purpose?: 'incremental' | 'reconcile';
  startedAt: string;
  finishedAt: string;
  tables: Record<string, ExtractedTable>;
}

export interface ProcessedTable {
  kind: 'dimension' | 'fact' | 'quarantine' | 'table';
  rows: number;
  objects: LakeObject[];
}

export interface TransformManifest {
  version: 1;
  stage: 'transform';
  runId: string;
  source: string;
  model: string;
  /** The extract manifest this output was built from. */
  input: string;
  /** Copied from the extract: a reconcile run corrects fact versions in place. */
  purpose?: 'incremental' | 'reconcile';
  startedAt: string;
  finishedAt: string;
  tables: Record<string, ProcessedTable>;
  quarantined: Array<{ table: string; rows: number; reason: string }>;
}

export type Manifest = ExtractManifest | TransformManifest;

export async function writeManifest(store: ObjectStore, manifest: Manifest): Promise<string> {
  const key = manifestKey(manifest.stage, manifest.runId);
  await store.put(key, JSON.stringify(manifest, null, 2), 'application/json');
  return key;
}

export async function readManifest<M extends Manifest>(store: ObjectStore, stage: Stage, runId: string): Promise<M | undefined> {
  const key = manifestKey(stage, runId);
  const text = await store.getText(key);
  if (text === undefined) return undefined;
  const parsed = parseLakeJson<M>(store, key, text);
  if (parsed.stage !== stage || parsed.runId !== runId) throw new Error(`manifest ${manifestKey(stage, runId)} does not describe itself`);
  return parsed;
}

/** Run ids of a stage's manifests, oldest first, optionally only those after `afterRunId`. */
export async function listManifestRunIds(store: ObjectStore, stage: Stage, afterRunId?: string): Promise<string[]> {
  const prefix = manifestPrefix(stage);
  const keys = await store.list(prefix, afterRunId ? manifestKey(stage, afterRunId) : undefined);
  return keys.filter((k) => k.endsWith('.json')).map(runIdFromManifestKey);
}
