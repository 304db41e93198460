import type { ObjectStore } from '../../runtime/lake/port';
import type { WarehouseSettings } from '../../runtime/pipeline/registry';
import type { PipelineTargets, RunPipelineOptions } from '../../runtime/pipeline/run';
import type { PostgresSourceSettings } from '../../runtime/sources/postgres/kind';
import type { RestSourceSettings } from '../../runtime/sources/rest/kind';

/** The totesys pipeline's targets: a PostgreSQL source and a PostgreSQL warehouse. */
export function totesys(sourceUrl: string, warehouseUrl: string, lake: ObjectStore, source: Omit<Partial<PostgresSourceSettings>, 'kind' | 'url'> = {}): PipelineTargets {
  return { source: { kind: 'postgres', url: sourceUrl, ...source }, warehouse: { kind: 'postgres', url: warehouseUrl }, lake };
}

/** The Recurly pipeline's run options: the REST source (Recurly preset) into the given warehouse. */
export function recurly(options: {
  apiKey: string;
  apiUrl: string;
  lake: ObjectStore;
  warehouse: WarehouseSettings;
  http?: RestSourceSettings['http'];
  endpoints?: string[];
  runId?: string;
}): RunPipelineOptions {
  const { apiKey, apiUrl, http, endpoints, ...rest } = options;
  return { ...rest, source: { kind: 'rest', apiKey, apiUrl, http, endpoints } };
}
