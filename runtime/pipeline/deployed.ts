import { postgresUrlFromEnv, type FunctionSettings } from '../config/environment';
import { UsageError } from '../config/urls';
import { RECURLY_MODEL, recurlyTablesFor } from '../model/recurly/tables';
import { transformRecurlyPending } from '../model/recurly/transform';
import type { StarModel } from '../model/star';
import { TOTESYS_STAR } from '../model/totesys/star';
import { transformPending } from '../model/transform';
import type { ExtractManifest, TransformManifest } from '../lake/manifest';
import { extractPostgres } from '../sources/postgres/extract';
import { TOTESYS_TABLES } from '../sources/postgres/tables';
import { getApiKeySecret } from '../sources/rest/credentials';
import { extractRest } from '../sources/rest/extract';
import { RECURLY_API_URL, recurlyApi, recurlyEndpoints } from '../sources/rest/recurly';
import type { Warehouse } from '../warehouse/port';
import { PostgresWarehouse } from '../warehouse/postgres/warehouse';
import { getSnowflakeSecret } from '../warehouse/snowflake/config';
import type { Checkpoint } from './faults';

/**
 * What a deployed function does for its pipeline, chosen by the environment the
 * IngestionPipeline component sets: the source kind picks the extractor and the model, the
 * warehouse kind the adapter. A new source or warehouse is one more branch here.
 */
export type SourceKind = 'postgres' | 'rest';
export type WarehouseKind = 'postgres' | 'snowflake';

function sourceKind(env: NodeJS.ProcessEnv): SourceKind {
  const kind = env.TRIBUTARY_SOURCE_KIND ?? 'postgres';
  if (kind !== 'postgres' && kind !== 'rest') throw new UsageError(`TRIBUTARY_SOURCE_KIND=${kind}: expected postgres or rest`);
  return kind;
}

export function modelFor(env: NodeJS.ProcessEnv): StarModel {
  return sourceKind(env) === 'rest' ? RECURLY_MODEL : TOTESYS_STAR;
}

function endpointNames(env: NodeJS.ProcessEnv): string[] | undefined {
  const list = env.TRIBUTARY_ENDPOINTS?.split(',').map((s) => s.trim()).filter(Boolean);
  return list?.length ? list : undefined;
}

export async function extractForEnv(env: NodeJS.ProcessEnv, settings: FunctionSettings, runId: string | undefined, checkpoint?: Checkpoint): Promise<{ runId: string; manifestKey: string; manifest: ExtractManifest; failedTables: string[] }> {
  if (sourceKind(env) === 'rest') {
    const arn = env.TRIBUTARY_SOURCE_SECRET_ARN;
    const apiKey = arn ? await getApiKeySecret(arn, { endpoint: env.TRIBUTARY_SECRETS_ENDPOINT }) : env.TRIBUTARY_RECURLY_API_KEY;
    if (!apiKey) throw new UsageError('neither TRIBUTARY_SOURCE_SECRET_ARN nor TRIBUTARY_RECURLY_API_KEY is set');
    return extractRest({
      lake: settings.lake,
      source: settings.source,
      api: recurlyApi(apiKey, env.TRIBUTARY_API_URL ?? RECURLY_API_URL),
      endpoints: recurlyEndpoints(endpointNames(env)),
      runId,
      checkpoint,
    });
  }
  return extractPostgres({
    sourceUrl: await postgresUrlFromEnv(env, 'TRIBUTARY_SOURCE_SECRET_ARN', 'TRIBUTARY_SOURCE_URL'),
    lake: settings.lake,
    source: settings.source,
    tables: TOTESYS_TABLES,
    runId,
    lookback: env.TRIBUTARY_LOOKBACK,
    checkpoint,
  });
}

export async function transformForEnv(env: NodeJS.ProcessEnv, settings: FunctionSettings, checkpoint?: Checkpoint): Promise<Array<{ runId: string; manifestKey: string; manifest: TransformManifest }>> {
  if (sourceKind(env) === 'rest') {
    const endpoints = recurlyEndpoints(endpointNames(env)).map((e) => e.name);
    return transformRecurlyPending({ lake: settings.lake, source: settings.source, tables: recurlyTablesFor(endpoints), checkpoint });
  }
  return transformPending({ lake: settings.lake, source: settings.source, checkpoint });
}

export async function openWarehouseForEnv(env: NodeJS.ProcessEnv): Promise<Warehouse> {
  const kind = env.TRIBUTARY_WAREHOUSE_KIND ?? 'postgres';
  const model = modelFor(env);
  if (kind === 'snowflake') {
    const arn = env.TRIBUTARY_WAREHOUSE_SECRET_ARN;
    if (!arn) throw new UsageError('TRIBUTARY_WAREHOUSE_SECRET_ARN is not set (Snowflake credentials)');
    const config = await getSnowflakeSecret(arn, { endpoint: env.TRIBUTARY_SECRETS_ENDPOINT });
    // Loaded here, not at the top: importing snowflake-sdk calls STS and probes cloud metadata
    // endpoints, which a PostgreSQL pipeline's cold start must not pay for (nor be allowed to do).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SnowflakeWarehouse } = require('../warehouse/snowflake/warehouse') as typeof import('../warehouse/snowflake/warehouse');
    // The stack's config names the stage; the secret's value is the fallback.
    return SnowflakeWarehouse.connect({ ...config, ...(env.TRIBUTARY_SNOWFLAKE_STAGE ? { stage: env.TRIBUTARY_SNOWFLAKE_STAGE } : {}) }, model);
  }
  if (kind !== 'postgres') throw new UsageError(`TRIBUTARY_WAREHOUSE_KIND=${kind}: expected postgres or snowflake`);
  return PostgresWarehouse.connect(await postgresUrlFromEnv(env, 'TRIBUTARY_WAREHOUSE_SECRET_ARN', 'TRIBUTARY_WAREHOUSE_URL'), model);
}
