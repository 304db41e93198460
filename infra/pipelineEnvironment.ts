/**
 * The environment of a pipeline's functions: pure data (no resources), the names from the
 * contract module the runtime reads them by (runtime/pipeline/deployed.ts).
 */
import type * as pulumi from '@pulumi/pulumi';
import { DEFAULTS, ENV, type PipelineFunction, type SourceKind, type WarehouseKind } from '../runtime/contract';

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

/** Variables every function of the pipeline gets. */
export function pipelineEnvironment(args: PipelineEnvironmentArgs): Record<string, pulumi.Input<string>> {
  return {
    [ENV.pipeline]: args.pipeline,
    [ENV.sourceKind]: args.source.kind,
    [ENV.sourceName]: args.source.name,
    ...(args.source.apiUrl ? { [ENV.apiUrl]: args.source.apiUrl } : {}),
    ...(args.source.endpoints?.length ? { [ENV.endpoints]: args.source.endpoints.join(',') } : {}),
    [ENV.rawLake]: args.rawLakeUrl,
    [ENV.processedLake]: args.processedLakeUrl,
    [ENV.sourceSecretArn]: args.sourceSecretArn,
    [ENV.warehouseKind]: args.warehouse.kind,
    ...(args.warehouse.kind === 'redshift' ? redshiftEnvironment(args) : { [ENV.warehouseSecretArn]: args.warehouseSecretArn }),
    // Extract, load and reconcile publish data-quality alerts themselves (runtime/telemetry/publish.ts).
    [ENV.alertTopicArn]: args.alertTopicArn,
    [ENV.environment]: args.environment,
    [ENV.powertoolsMetricsNamespace]: DEFAULTS.metricsNamespace,
    [ENV.powertoolsLogLevel]: args.logLevel,
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

/** Variables only some functions get, on top of the shared ones. */
export function functionEnvironment(fn: PipelineFunction, args: Pick<PipelineEnvironmentArgs, 'chunkRows'> & { readonly warehouse?: { readonly stage?: string } }): Record<string, string> {
  return {
    [ENV.powertoolsServiceName]: `tributary-${fn}`,
    // Only the load opens Snowflake (the rehearsal found extract and transform never read it).
    ...(fn === 'load' && args.warehouse?.stage ? { [ENV.snowflakeStage]: args.warehouse.stage } : {}),
    ...(fn === 'backfill' ? { [ENV.chunkRows]: String(args.chunkRows ?? DEFAULTS.chunkRows) } : {}),
  };
}
