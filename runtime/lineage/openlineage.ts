import type { ColumnSchema, ExtractManifest, TransformManifest } from '../lake/manifest';
import type { StarModel } from '../model/star';
import type { LoadResult } from '../warehouse/port';

/**
 * OpenLineage run events (https://openlineage.io/spec): one job per pipeline, a START when a run
 * begins and a COMPLETE or FAIL when it ends, its inputs the source tables and its outputs the
 * lake zones and warehouse tables it wrote, each with a schema facet.
 */
/** No public home yet: a URN names the producer (the spec asks only for a URI). */
export const PRODUCER = 'urn:tributary:pipeline';
const SPEC = 'https://openlineage.io/spec';
export const RUN_EVENT_SCHEMA_URL = `${SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent`;
const SCHEMA_FACET_URL = `${SPEC}/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet`;
const OUTPUT_STATISTICS_URL = `${SPEC}/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet`;
const ERROR_FACET_URL = `${SPEC}/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet`;
const JOB_TYPE_URL = `${SPEC}/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet`;

export type EventType = 'START' | 'COMPLETE' | 'FAIL';

interface Facet {
  _producer: string;
  _schemaURL: string;
  [field: string]: unknown;
}

export interface LineageDataset {
  namespace: string;
  name: string;
  facets?: Record<string, Facet>;
  outputFacets?: Record<string, Facet>;
}

export interface RunEvent {
  eventType: EventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets?: Record<string, Facet> };
  job: { namespace: string; name: string; facets?: Record<string, Facet> };
  inputs: LineageDataset[];
  outputs: LineageDataset[];
}

/** Where the datasets live, as OpenLineage namespaces: never with credentials. */
export interface LineageNamespaces {
  /** e.g. `postgres://db.internal:5432`; dataset names are `<database>.public.<table>`. */
  source: string;
  sourceDatabase: string;
  /** e.g. `file:///home/me/.tributary/lake` or `s3://bucket/prefix`. */
  lake: string;
  warehouse?: string;
  warehouseDatabase?: string;
}

/** `postgres://host:port` and the database of a PostgreSQL URL, user and password left out. */
export function postgresNamespace(url: string): { namespace: string; database: string } {
  const parsed = new URL(url);
  return { namespace: `postgres://${parsed.hostname}:${parsed.port || '5432'}`, database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres' };
}

/** The lake's location as a namespace URI (a local folder becomes a file:// URI). */
export function lakeNamespace(location: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location : `file://${location}`;
}

function schemaFacet(columns: Array<{ name: string; type: string }>): Facet {
  return { _producer: PRODUCER, _schemaURL: SCHEMA_FACET_URL, fields: columns.map((c) => ({ name: c.name, type: c.type })) };
}

function sourceDatasets(ns: LineageNamespaces, extract: ExtractManifest | undefined, tables: readonly string[]): LineageDataset[] {
  return tables.map((table) => {
    const columns: ColumnSchema[] = extract?.tables[table]?.columns ?? [];
    return {
      namespace: ns.source,
      name: `${ns.sourceDatabase}.public.${table}`,
      ...(columns.length ? { facets: { schema: schemaFacet(columns) } } : {}),
    };
  });
}

function lakeDatasets(ns: LineageNamespaces, extract: ExtractManifest | undefined, transforms: TransformManifest[]): LineageDataset[] {
  const out: LineageDataset[] = [];
  for (const [table, entry] of Object.entries(extract?.tables ?? {})) {
    if (entry.objects.length === 0) continue;
    out.push({
      namespace: ns.lake,
      name: `raw/${extract!.source}/${table}`,
      facets: { schema: schemaFacet(entry.columns) },
      outputFacets: { outputStatistics: { _producer: PRODUCER, _schemaURL: OUTPUT_STATISTICS_URL, rowCount: entry.rows } },
    });
  }
  for (const manifest of transforms) {
    for (const [table, entry] of Object.entries(manifest.tables)) {
      out.push({
        namespace: ns.lake,
        name: `processed/${manifest.model}/${table}`,
        outputFacets: { outputStatistics: { _producer: PRODUCER, _schemaURL: OUTPUT_STATISTICS_URL, rowCount: entry.rows } },
      });
    }
  }
  return out;
}

function warehouseDatasets(ns: LineageNamespaces, model: StarModel | undefined, loads: LoadResult[]): LineageDataset[] {
  if (!model || !ns.warehouse) return [];
  const applied = new Map<string, number>();
  for (const load of loads) for (const t of load.tables) applied.set(t.table, (applied.get(t.table) ?? 0) + t.applied);
  return [...model.dimensions, ...model.facts]
    .filter((t) => applied.has(t.name))
    .map((t) => ({
      namespace: ns.warehouse!,
      name: `${ns.warehouseDatabase}.public.${t.name}`,
      facets: { schema: schemaFacet(t.columns) },
      outputFacets: { outputStatistics: { _producer: PRODUCER, _schemaURL: OUTPUT_STATISTICS_URL, rowCount: applied.get(t.name) ?? 0 } },
    }));
}

export interface RunEventInput {
  eventType: EventType;
  lineageRunId: string;
  source: string;
  namespaces: LineageNamespaces;
  sourceTables: readonly string[];
  model?: StarModel;
  extract?: ExtractManifest;
  transforms?: TransformManifest[];
  loads?: LoadResult[];
  error?: string;
  at?: Date;
}

export function runEvent(input: RunEventInput): RunEvent {
  const ended = input.eventType !== 'START';
  return {
    eventType: input.eventType,
    eventTime: (input.at ?? new Date()).toISOString(),
    producer: PRODUCER,
    schemaURL: RUN_EVENT_SCHEMA_URL,
    run: {
      runId: input.lineageRunId,
      ...(input.error
        ? { facets: { errorMessage: { _producer: PRODUCER, _schemaURL: ERROR_FACET_URL, message: input.error, programmingLanguage: 'TypeScript' } } }
        : {}),
    },
    job: {
      namespace: 'tributary',
      name: `${input.source}.pipeline`,
      facets: { jobType: { _producer: PRODUCER, _schemaURL: JOB_TYPE_URL, processingType: 'BATCH', integration: 'TRIBUTARY', jobType: 'JOB' } },
    },
    inputs: sourceDatasets(input.namespaces, input.extract, input.sourceTables),
    outputs: ended
      ? [...lakeDatasets(input.namespaces, input.extract, input.transforms ?? []), ...warehouseDatasets(input.namespaces, input.model, input.loads ?? [])]
      : [],
  };
}
