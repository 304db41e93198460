import { ENV, SOURCE_CAPABILITIES, isSourceKind } from '../contract';
import { openLake } from '../lake/open';
import type { ObjectStore } from '../lake/port';
import { RoutedObjectStore } from '../lake/routed';
import { getPostgresSecret, postgresUrlFromSecret } from './secrets';
import { UsageError } from './urls';

/** The settings a deployed function reads from its environment (set by the IngestionPipeline component). */
export interface FunctionSettings {
  pipeline: string;
  source: string;
  lake: ObjectStore;
}

export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new UsageError(`environment variable ${name} is not set`);
  return value;
}

/** The lake as two buckets (raw, processed) when both are given, one store otherwise. */
export function lakeFromEnv(env: NodeJS.ProcessEnv): ObjectStore {
  const endpoint = env[ENV.s3Endpoint];
  const raw = openLake(env[ENV.rawLake] ?? required(env, ENV.lake), endpoint);
  const processedLocation = env[ENV.processedLake];
  return processedLocation ? new RoutedObjectStore(raw, openLake(processedLocation, endpoint)) : raw;
}

export function functionSettings(env: NodeJS.ProcessEnv): FunctionSettings {
  const kind = env[ENV.sourceKind] ?? 'postgres';
  const source = env[ENV.sourceName] ?? (isSourceKind(kind) ? SOURCE_CAPABILITIES[kind].defaultName : kind);
  return {
    pipeline: env[ENV.pipeline] ?? source,
    source,
    lake: lakeFromEnv(env),
  };
}

/**
 * A PostgreSQL URL from a Secrets Manager secret (`{host, port, database, user, password}`),
 * or, for local runs, straight from a URL variable.
 */
export async function postgresUrlFromEnv(env: NodeJS.ProcessEnv, secretVar: string, urlVar: string): Promise<string> {
  const arn = env[secretVar];
  if (arn) return postgresUrlFromSecret(await getPostgresSecret(arn, { endpoint: env[ENV.secretsEndpoint] }));
  const url = env[urlVar];
  if (url) return url;
  throw new UsageError(`neither ${secretVar} nor ${urlVar} is set`);
}
