import type { ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { SOURCE_CAPABILITIES, SOURCE_KINDS, type SourceKind, type WarehouseKind } from '../contract';
import { optionalString } from '../config/options';
import { UsageError } from '../config/urls';
import { isUrlLike, openLake } from '../lake/open';
import type { ObjectStore } from '../lake/port';
import type { CliValues } from '../pipeline/kinds';
import { sourceAdapter, WAREHOUSES, warehouseAdapter, warehouseKindOfUrl, type SourceSettings, type WarehouseSettings } from '../pipeline/registry';
import type { PipelineTargets } from '../pipeline/run';
import { LOCAL_HOME, type LocalServices } from './local-env';

/**
 * Command-line options → a pipeline's targets, for any kind: `--pipeline <name>` picks the
 * source kind whose dataset it is, that kind adds its own options, `--warehouse <url>` picks the
 * warehouse kind by URL scheme. No option means the embedded default where the kind allows one.
 */
export const LAKE_OPTIONS = {
  lake: { type: 'string' },
  's3-endpoint': { type: 'string' },
} as const;

export const WAREHOUSE_OPTIONS = {
  warehouse: { type: 'string' },
  'warehouse-secret': { type: 'string' },
} as const;

/** `--warehouse`, `--warehouse-secret` and every warehouse kind's own options. */
export function warehouseOptions(): NonNullable<ParseArgsConfig['options']> {
  return Object.assign({}, WAREHOUSE_OPTIONS, ...Object.values(WAREHOUSES).map((w) => w.cliOptions ?? {})) as NonNullable<ParseArgsConfig['options']>;
}

/** The pipelines the CLI runs, by name: each source kind's dataset (totesys, recurly). */
export function localPipelines(): Array<{ name: string; kind: SourceKind }> {
  return SOURCE_KINDS.map((kind) => ({ name: SOURCE_CAPABILITIES[kind].defaultName, kind }));
}

/** `--pipeline <name>` read before the options are parsed: it decides which options are valid. */
export function pipelineNamed(argv: readonly string[]): { name: string; kind: SourceKind } {
  let name = 'totesys';
  argv.forEach((arg, i) => {
    if (arg === '--pipeline' && argv[i + 1] !== undefined) name = argv[i + 1];
    else if (arg.startsWith('--pipeline=')) name = arg.slice('--pipeline='.length);
  });
  const found = localPipelines().find((p) => p.name === name);
  if (!found) throw new UsageError(`--pipeline: unknown pipeline ${JSON.stringify(name)} (known: ${localPipelines().map((p) => p.name).join(', ')})`);
  return found;
}

/** The options `tributary run` accepts for a pipeline of this source kind. */
export function runOptions(kind: SourceKind): NonNullable<ParseArgsConfig['options']> {
  return { ...LAKE_OPTIONS, ...warehouseOptions(), pipeline: { type: 'string' }, ...sourceAdapter(kind).cliOptions };
}

export function lakeFrom(values: CliValues, env: NodeJS.ProcessEnv): ObjectStore {
  const location = optionalString(values.lake) ?? env.TRIBUTARY_LAKE ?? `${LOCAL_HOME}/lake`;
  const endpoint = optionalString(values['s3-endpoint']) ?? env.TRIBUTARY_S3_ENDPOINT;
  try {
    return openLake(isUrlLike(location) ? location : resolve(location), endpoint);
  } catch (err) {
    throw new UsageError(`--lake: ${(err as Error).message.replace(/^lake: /, '')}`);
  }
}

function schemesText(): string {
  const [first, ...others] = (Object.keys(WAREHOUSES) as WarehouseKind[]).map((k) => `${WAREHOUSES[k].schemes[0]}//`);
  return `${first} URL${others.length ? ` (or ${others.join(', ')})` : ''}`;
}

/**
 * `--warehouse <url>` (kind by scheme) or `--warehouse-secret <id>` (the kind that reads its
 * settings from a secret), checked without side effects; undefined when neither is given.
 */
export function namedWarehouse(values: CliValues, env: NodeJS.ProcessEnv): (() => Promise<WarehouseSettings>) | undefined {
  const secretId = optionalString(values['warehouse-secret']) ?? env.TRIBUTARY_SNOWFLAKE_SECRET;
  const withSecret = Object.values(WAREHOUSES).find((w) => w.fromSecret);
  if (secretId && withSecret?.fromSecret) {
    const read = withSecret.fromSecret.bind(withSecret);
    return () => read(secretId);
  }
  const url = optionalString(values.warehouse) ?? env.TRIBUTARY_WAREHOUSE_URL;
  if (!url) return undefined;
  const kind = warehouseKindOfUrl(url);
  if (!kind) throw new UsageError(`--warehouse: expected a ${schemesText()}, got ${url.split('//')[0]}//…`);
  const settings = warehouseAdapter(kind).fromUrl(url, values, env);
  return async () => settings;
}

/** The named warehouse, or the embedded PostgreSQL one where the pipeline allows it. */
export async function warehouseFrom(values: CliValues, env: NodeJS.ProcessEnv, local: LocalServices, pipeline: { name: string; embedded: boolean }): Promise<WarehouseSettings> {
  const named = namedWarehouse(values, env);
  if (named) return named();
  if (!pipeline.embedded) throw new UsageError(`${pipeline.name}: give --warehouse snowflake://… (or postgres://…) or --warehouse-secret <secret id>`);
  return warehouseAdapter('postgres').fromUrl(await local.url('warehouse'), values);
}

/** Everything `tributary run`, `status` and `reconcile` need for the named pipeline. */
export async function targetsFrom(kind: SourceKind, name: string, values: CliValues, env: NodeJS.ProcessEnv, local: LocalServices): Promise<PipelineTargets> {
  const lake = lakeFrom(values, env);
  const adapter = sourceAdapter(kind);
  // Every option is checked before anything starts: a bad --warehouse fails before the embedded source seeds.
  const named = namedWarehouse(values, env);
  if (!named && !adapter.embeddedWarehouse) throw new UsageError(`${name}: give --warehouse snowflake://… (or postgres://…) or --warehouse-secret <secret id>`);
  const source: SourceSettings = await adapter.fromCli({ values, env, embedded: (db) => local.url(db) });
  const warehouse = named ? await named() : warehouseAdapter('postgres').fromUrl(await local.url('warehouse'), values);
  return { source, warehouse, lake, sourceName: name };
}
