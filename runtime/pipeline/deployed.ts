import { ENV, isSourceKind, isWarehouseKind, SOURCE_KINDS, WAREHOUSE_KINDS } from '../contract';
import { functionSettings } from '../config/environment';
import { once } from '../config/once';
import { UsageError } from '../config/urls';
import { sourceAdapter, warehouseAdapter } from './registry';
import { unitRowsFromEnv } from './unit-rows';
import type { BoundPipeline } from './run';

/** `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/**
 * The pipeline a deployed function belongs to, from the environment the IngestionPipeline
 * component sets: the source and warehouse kinds pick their adapters in the registry, each reads
 * its own settings. Secrets are read on first use, so each function reads only those its role
 * allows (extract the source's, load the warehouse's, transform none). Handlers name no kind.
 */
export function pipelineFromEnv(env: NodeJS.ProcessEnv): BoundPipeline & { pipeline: string } {
  const settings = functionSettings(env);
  const sourceKind = env[ENV.sourceKind] ?? 'postgres';
  if (!isSourceKind(sourceKind)) throw new UsageError(`${ENV.sourceKind}=${sourceKind}: expected ${orList(SOURCE_KINDS)}`);
  const warehouseKind = env[ENV.warehouseKind] ?? 'postgres';
  if (!isWarehouseKind(warehouseKind)) throw new UsageError(`${ENV.warehouseKind}=${warehouseKind}: expected ${orList(WAREHOUSE_KINDS)}`);
  return {
    pipeline: settings.pipeline,
    sourceName: settings.source,
    lake: settings.lake,
    source: sourceAdapter(sourceKind).fromEnv(env),
    warehouseKind,
    unitRows: unitRowsFromEnv(env),
    warehouse: once(() => warehouseAdapter(warehouseKind).fromEnv(env)),
  };
}
