/**
 * The environment of a pipeline's functions: pure data (no resources), the names from the
 * contract module the runtime reads them by (runtime/pipeline/deployed.ts).
 */
import type * as pulumi from '@pulumi/pulumi';
import { DEFAULTS, ENV, WAREHOUSE_CAPABILITIES, type PipelineFunction, type SourceKind, type WarehouseKind } from '../runtime/contract';

export interface PipelineEnvironmentArgs {
  readonly pipeline: string;
  readonly environment: string;
  readonly source: { readonly kind: SourceKind; readonly name: string; readonly apiUrl?: string; readonly endpoints?: readonly string[] };
  readonly warehouse: {
    readonly kind: WarehouseKind;
    readonly stage?: string;
    readonly redshift?: { readonly workgroup?: string; readonly clusterIdentifier?: string; readonly dbUser?: string; readonly database: string };
  };
  /** Redshift: the role COPY runs with, and whether a secret (rather than IAM) authenticates. */
  readonly redshiftCopyRoleArn?: pulumi.Input<string>;
  readonly rawLakeUrl: pulumi.Input<string>;
  readonly processedLakeUrl: pulumi.Input<string>;
  readonly sourceSecretArn: pulumi.Input<string>;
  readonly warehouseSecretArn: pulumi.Input<string>;
  readonly alertTopicArn: pulumi.Input<string>;
  readonly logLevel: string;
  readonly chunkRows?: number;
  readonly hasWarehouseSecret?: boolean;
}

/**
 * What each function's bundle reads beyond the shared variables (runtime/pipeline/deployed.ts and
 * the adapters it binds): each function gets only those, so an over-provisioned variable (a
 * secret's ARN a function has no grant for, a target it never reaches) is not in its environment.
 * The rehearsal (scripts/rehearse) fails on a variable a bundle never reads.
 */
const READS: Readonly<Record<PipelineFunction, { readonly source: boolean; readonly warehouse: boolean; readonly alerts: boolean }>> = {
  // Reads the source; publishes a data-quality alert when a table's schema drifted.
  extract: { source: true, warehouse: false, alerts: true },
  transform: { source: false, warehouse: false, alerts: false },
  // Loads the warehouse; publishes a data-quality alert when a data test fails after the load.
  load: { source: false, warehouse: true, alerts: true },
  backfill: { source: true, warehouse: false, alerts: false },
  // Compares source and warehouse; publishes the differences it found.
  reconcile: { source: true, warehouse: true, alerts: true },
};

/** The environment of one function of the pipeline: the shared variables and what its bundle reads. */
export function pipelineEnvironment(fn: PipelineFunction, args: PipelineEnvironmentArgs): Record<string, pulumi.Input<string>> {
  const reads = READS[fn];
  const rest = args.source.kind === 'rest';
  return {
    [ENV.pipeline]: args.pipeline,
    [ENV.sourceKind]: args.source.kind,
    [ENV.sourceName]: args.source.name,
    // REST: extract calls the API; extract and transform work on the endpoints' tables.
    ...(rest && fn === 'extract' && args.source.apiUrl ? { [ENV.apiUrl]: args.source.apiUrl } : {}),
    ...(rest && (fn === 'extract' || fn === 'transform') && args.source.endpoints?.length ? { [ENV.endpoints]: args.source.endpoints.join(',') } : {}),
    [ENV.rawLake]: args.rawLakeUrl,
    [ENV.processedLake]: args.processedLakeUrl,
    ...(reads.source ? { [ENV.sourceSecretArn]: args.sourceSecretArn } : {}),
    [ENV.warehouseKind]: args.warehouse.kind,
    ...(reads.warehouse ? warehouseEnvironment(args) : {}),
    ...(reads.alerts && (fn !== 'load' || WAREHOUSE_CAPABILITIES[args.warehouse.kind].dataTests) ? { [ENV.alertTopicArn]: args.alertTopicArn } : {}),
    [ENV.environment]: args.environment,
    [ENV.powertoolsMetricsNamespace]: DEFAULTS.metricsNamespace,
    [ENV.powertoolsLogLevel]: args.logLevel,
    [ENV.powertoolsServiceName]: `tributary-${fn}`,
    ...(fn === 'backfill' ? { [ENV.chunkRows]: String(args.chunkRows ?? DEFAULTS.chunkRows) } : {}),
  };
}

/** The warehouse's target and credentials (load and reconcile). */
function warehouseEnvironment(args: PipelineEnvironmentArgs): Record<string, pulumi.Input<string>> {
  if (args.warehouse.kind === 'redshift') return redshiftEnvironment(args);
  return {
    ...(args.warehouse.stage ? { [ENV.snowflakeStage]: args.warehouse.stage } : {}),
    [ENV.warehouseSecretArn]: args.warehouseSecretArn,
  };
}

function redshiftEnvironment(args: PipelineEnvironmentArgs): Record<string, pulumi.Input<string>> {
  const r = args.warehouse.redshift;
  if (!r || !args.redshiftCopyRoleArn) throw new Error(`${args.pipeline}: a redshift warehouse needs its workgroup or cluster, database and COPY role`);
  return {
    ...(r.workgroup ? { [ENV.redshiftWorkgroup]: r.workgroup } : {}),
    ...(r.clusterIdentifier ? { [ENV.redshiftCluster]: r.clusterIdentifier } : {}),
    ...(r.dbUser ? { [ENV.redshiftDbUser]: r.dbUser } : {}),
    [ENV.redshiftDatabase]: r.database,
    ...(args.hasWarehouseSecret ? { [ENV.redshiftSecretArn]: args.warehouseSecretArn } : {}),
    [ENV.redshiftCopyRoleArn]: args.redshiftCopyRoleArn,
  };
}
