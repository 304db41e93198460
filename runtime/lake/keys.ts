/**
 * The lake layout of the design (Hive-style partitions so Athena, Glue, Snowflake external
 * tables and DuckDB read the lake as is):
 *   raw/<source>/<table>/year=YYYY/month=MM/day=DD/<runId>-<part>.<ext>
 *   processed/<model>/<table>/year=YYYY/month=MM/day=DD/<runId>-<part>.parquet
 *   manifests/<stage>/<runId>.json
 *   state/<source>/<table>.json
 *   runs/<source>/<runId>.json         what a pipeline run did: steps, outcome, error, data tests
 *   lineage/<runId>.json               the run's OpenLineage events
 */
export type Stage = 'extract' | 'transform';

function partition(runDate: Date): string {
  const y = runDate.getUTCFullYear();
  const m = String(runDate.getUTCMonth() + 1).padStart(2, '0');
  const d = String(runDate.getUTCDate()).padStart(2, '0');
  return `year=${y}/month=${m}/day=${d}`;
}

function partName(runId: string, part: number, ext: string): string {
  return `${runId}-${String(part).padStart(4, '0')}.${ext}`;
}

export function rawKey(source: string, table: string, runId: string, part: number, ext: string): string {
  return `raw/${source}/${table}/${partition(runIdDate(runId))}/${partName(runId, part, ext)}`;
}

export function processedKey(model: string, table: string, runId: string, part: number): string {
  return `processed/${model}/${table}/${partition(runIdDate(runId))}/${partName(runId, part, 'parquet')}`;
}

export function manifestKey(stage: Stage, runId: string): string {
  return `manifests/${stage}/${runId}.json`;
}

export function manifestPrefix(stage: Stage): string {
  return `manifests/${stage}/`;
}

export function runRecordKey(source: string, runId: string): string {
  return `runs/${source}/${runId}.json`;
}

export function runRecordPrefix(source: string): string {
  return `runs/${source}/`;
}

export function lineageKey(runId: string): string {
  return `lineage/${runId}.json`;
}

export function runIdFromManifestKey(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return name.replace(/\.json$/, '');
}

export function stateKey(source: string, name: string): string {
  return `state/${source}/${name}.json`;
}

const RUN_ID = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[a-z0-9]+$/;

/** Run ids sort in time order: `20261126T142108123Z-3f9a1c`. */
export function newRunId(now: Date = new Date(), suffix?: string): string {
  const iso = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  const tail = suffix ?? Math.random().toString(36).slice(2, 8).padEnd(6, '0');
  return `${iso}-${tail}`;
}

export function runIdDate(runId: string): Date {
  const m = RUN_ID.exec(runId);
  if (!m) throw new Error(`not a run id: ${JSON.stringify(runId)}`);
  const [, y, mo, d, h, mi, s, ms] = m;
  return new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, +ms));
}
