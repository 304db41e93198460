import type { SourceKind, WarehouseKind } from '../contract';
import { postgresSource, type PostgresSourceSettings } from '../sources/postgres/kind';
import { restSource, type RestSourceSettings } from '../sources/rest/kind';
import { postgresWarehouse, type PostgresWarehouseSettings } from '../warehouse/postgres/kind';
import { redshiftWarehouse, type RedshiftWarehouseSettings } from '../warehouse/redshift/kind';
import { snowflakeWarehouse, type SnowflakeWarehouseSettings } from '../warehouse/snowflake/kind';
import type { SourceBinding, SourceKindAdapter, WarehouseKindAdapter } from './kinds';

/**
 * Every source kind and warehouse kind, one line each. What the kinds mean to a deployment
 * (branches, async loads) is in runtime/contract/kinds.ts; what they do is in their folders.
 */
export type SourceSettings = PostgresSourceSettings | RestSourceSettings;
export type WarehouseSettings = PostgresWarehouseSettings | SnowflakeWarehouseSettings | RedshiftWarehouseSettings;

export const SOURCES: { readonly [K in SourceKind]: SourceKindAdapter<Extract<SourceSettings, { kind: K }>> } = {
  postgres: postgresSource,
  rest: restSource,
};

export const WAREHOUSES: { readonly [K in WarehouseKind]: WarehouseKindAdapter<Extract<WarehouseSettings, { kind: K }>> } = {
  postgres: postgresWarehouse,
  snowflake: snowflakeWarehouse,
  redshift: redshiftWarehouse,
};

/** The adapter of a source kind, typed for settings of any kind (the map above ties kind to settings). */
export function sourceAdapter(kind: SourceKind): SourceKindAdapter<SourceSettings> {
  return SOURCES[kind] as SourceKindAdapter<SourceSettings>;
}

export function warehouseAdapter(kind: WarehouseKind): WarehouseKindAdapter<WarehouseSettings> {
  return WAREHOUSES[kind] as unknown as WarehouseKindAdapter<WarehouseSettings>;
}

export function bindSource(settings: SourceSettings): SourceBinding {
  return sourceAdapter(settings.kind).bind(settings);
}

/** The warehouse kind whose URL scheme this is (`postgres:` → postgres), if any. */
export function warehouseKindOfUrl(url: string): WarehouseKind | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(url)?.[1]?.toLowerCase();
  return (Object.keys(WAREHOUSES) as WarehouseKind[]).find((k) => scheme !== undefined && WAREHOUSES[k].schemes.includes(scheme));
}
