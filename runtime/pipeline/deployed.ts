import { ENV, isSourceKind, isWarehouseKind, SOURCE_KINDS, WAREHOUSE_KINDS } from '../contract';
import { functionSettings } from '../config/environment';
import { once } from '../config/once';
import { UsageError } from '../config/urls';
import { sourceAdapter, warehouseAdapter } from './registry';
import type { BoundPipeline } from './run';

/**
 * The pipeline a deployed function belongs to, from the environment the IngestionPipeline
 * component sets: the source and warehouse kinds pick their adapters in the registry, each reads
 * its own settings. Secrets are read on first use, so each function reads only those its role
 * allows (extract the source's, load the warehouse's, transform none). Handlers name no kind.
 */
export function pipelineFromEnv(env: NodeJS.ProcessEnv): BoundPipeline & { pipeline: string } {
  const settings = functionSettings(env);
  const sourceKind = env[ENV.sourceKind] ?? 'postgres';
  if (!isSourceKind(sourceKind)) throw new UsageError(`${ENV.sourceKind}=${sourceKind}: expected one of ${SOURCE_KINDS.join(', ')}`);
  const warehouseKind = env[ENV.warehouseKind] ?? 'postgres';
  if (!isWarehouseKind(warehouseKind)) throw new UsageError(`${ENV.warehouseKind}=${warehouseKind}: expected one of ${WAREHOUSE_KINDS.join(', ')}`);
  return {
    pipeline: settings.pipeline,
    sourceName: settings.source,
    lake: settings.lake,
    source: sourceAdapter(sourceKind).fromEnv(env),
    warehouseKind,
    warehouse: once(() => warehouseAdapter(warehouseKind).fromEnv(env)),
  };
}
