/**
 * IngestionPipeline: one source → lake → warehouse pipeline.
 *
 * Children: the source and warehouse secrets (unless existing ones are given), the native
 * dependency layer, the extract/transform/load functions (each with its own least-privilege role
 * and log group), the state machine (its role, its log group), the EventBridge Scheduler schedule
 * (its group, its role) and the alarms: errors per function, failed executions, data freshness.
 *
 * Source kinds with backfill support (runtime/contract/kinds.ts) also get the backfill function
 * (a Distributed Map branch of the state machine runs its chunks) and, with a warehouse kind that
 * supports it, the reconcile function with its own schedule, which starts the same state machine
 * with `{"mode":"reconcile"}` so the single-flight guard keeps it from overlapping a regular run.
 * A Snowflake warehouse can get the IAM role its storage integration assumes to read the
 * processed zone.
 *
 * As pulumi-awsx does, the constructor composes helpers kept beside it: the functions'
 * environment (pipelineEnvironment.ts), the state machine's resources (pipelineStateMachine.ts),
 * the schedules (pipelineSchedules.ts), the alarms (pipelineAlarms.ts) and the warehouse's own
 * access (warehouseAccess.ts).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { join } from 'node:path';
import {
  DEFAULTS,
  PIPELINE_STEPS,
  pipelineBranches,
  pipelineFunctions,
  type PipelineFunction,
  type PipelineStep,
  type SourceKind,
  type WarehouseKind,
} from '../runtime/contract';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, partitionOf, type PlatformArgs } from './common';
import {
  backfillPolicy,
  document,
  extractPolicy,
  loadPolicy,
  reconcilePolicy,
  redshiftLoadStatements,
  transformPolicy,
  type PipelineFunctionResources,
  type PolicyDocument,
} from './iam';
import { createPlatformFunction } from './lambdaFunction';
import { createPipelineAlarms } from './pipelineAlarms';
import { pipelineEnvironment, type PipelineEnvironmentArgs } from './pipelineEnvironment';
import { createPipelineSchedules } from './pipelineSchedules';
import { createPipelineStateMachine } from './pipelineStateMachine';
import type { RetrySettings } from './stateMachine';
import type { FunctionNetwork } from './vpcAccess';
import { createRedshiftCopyRole, createSnowflakeStageRole, type SnowflakeIntegrationArgs } from './warehouseAccess';

export { pipelineBranches, type SnowflakeIntegrationArgs, type SourceKind, type WarehouseKind };
/** The run's three steps (every pipeline). */
export type PipelineStepName = PipelineStep;
/** Every function a pipeline may have: the steps, plus backfill and reconcile where the kinds support them. */
export type PipelineFunctionName = PipelineFunction;

/** What the pipeline needs of the lake (a DataLake satisfies it). */
export interface LakeRef {
  readonly keyArn: pulumi.Input<string>;
  readonly rawBucketName: pulumi.Input<string>;
  readonly rawBucketArn: pulumi.Input<string>;
  readonly processedBucketArn: pulumi.Input<string>;
  readonly rawLakeUrl: pulumi.Input<string>;
  readonly processedLakeUrl: pulumi.Input<string>;
}

/** What the pipeline needs of the alerting channel (an AlertingChannel satisfies it). */
export interface AlertsRef {
  readonly topicArn: pulumi.Input<string>;
  readonly keyArn: pulumi.Input<string>;
}

export interface RedshiftWarehouseArgs {
  readonly workgroup?: string;
  /** The workgroup's id (its ARN's last part): scopes the Data API permissions. */
  readonly workgroupId?: string;
  readonly clusterIdentifier?: string;
  readonly dbUser?: string;
  readonly database: string;
}

export interface IngestionPipelineArgs extends PlatformArgs {
  /** Pipeline name (`totesys`): part of every physical name. */
  readonly pipeline: string;
  readonly source: {
    readonly kind: SourceKind;
    /** `<source>` of the lake keys (`raw/<source>/...`, `state/<source>/...`). */
    readonly name: string;
    /** Existing secret with the source credentials; when absent one is created (value set by the operator). */
    readonly secretArn?: pulumi.Input<string>;
    /** REST: base URL of the API (`TRIBUTARY_API_URL`); the runtime's default when absent. */
    readonly apiUrl?: string;
    /** REST: endpoints to pull (`TRIBUTARY_ENDPOINTS`); all of the preset's when absent. */
    readonly endpoints?: readonly string[];
  };
  readonly warehouse: {
    readonly kind: WarehouseKind;
    /** Existing secret with the warehouse credentials; when absent one is created (value set by the operator). */
    readonly secretArn?: pulumi.Input<string>;
    /** Snowflake: the external stage on the processed bucket (`TRIBUTARY_SNOWFLAKE_STAGE`); overrides the secret's `stage`. */
    readonly stage?: string;
    /** Snowflake: creates the role the storage integration assumes (read-only on `processed/*`). */
    readonly snowflakeIntegration?: SnowflakeIntegrationArgs;
    /** Redshift: the workgroup (name and id) or cluster (and database user) and the database the Data API loads. */
    readonly redshift?: RedshiftWarehouseArgs;
  };
  readonly lake: LakeRef;
  readonly alerts: AlertsRef;
  /** EventBridge Scheduler expression, e.g. `rate(20 minutes)`. */
  readonly schedule: string;
  /** Default true; applies to the reconcile schedule as well. */
  readonly scheduleEnabled?: boolean;
  /** Minutes without a successful load before the freshness alarm fires. Default DEFAULTS.freshnessSlaMinutes. */
  readonly freshnessSlaMinutes?: number;
  /** PostgreSQL sources: the backfill branch. */
  readonly backfill?: {
    /** Rows per chunk (`TRIBUTARY_CHUNK_ROWS`). Default DEFAULTS.chunkRows. */
    readonly chunkRows?: number;
    /** Chunks at a time (the Distributed Map's MaxConcurrency). Default DEFAULTS.backfillMaxConcurrency. */
    readonly maxConcurrency?: number;
  };
  /** Pipelines that reconcile: schedule of the reconciliation. Default DEFAULTS.reconcileSchedule. */
  readonly reconcileSchedule?: string;
  /** Folder of the build output (`dist`): `<bundleDir>/<function>` and `<bundleDir>/layer`. */
  readonly bundleDir: string;
  readonly logRetentionDays: number;
  /** Function log level. Default INFO. */
  readonly logLevel?: string;
  /** Memory per function (MB). Defaults: DEFAULTS.memoryMb (runtime/contract/defaults.ts). */
  readonly memoryMb?: Partial<Record<PipelineFunctionName, number>>;
  /** Timeout per function (s). Defaults: DEFAULTS.timeoutSeconds (900 each). */
  readonly timeoutSeconds?: Partial<Record<PipelineFunctionName, number>>;
  /** Retries of a failed step (backoff). Defaults in stateMachine.ts. */
  readonly retry?: Partial<RetrySettings>;
  /** Prefix of the physical names; default `tributary-<environment>`. */
  readonly namePrefix?: string;
  /**
   * Runs every function of the pipeline in a VPC: an existing one's subnets and security groups,
   * or a PrivateNetwork's `functionNetwork`. Needed to reach a private database (the policy pack
   * requires it for PostgreSQL sources and warehouses).
   */
  readonly network?: FunctionNetwork;
}

export const DEFAULT_CHUNK_ROWS = DEFAULTS.chunkRows;
export const DEFAULT_RECONCILE_SCHEDULE = DEFAULTS.reconcileSchedule;
const POLICIES: Record<PipelineFunctionName, (r: PipelineFunctionResources) => PolicyDocument> = {
  extract: extractPolicy,
  transform: transformPolicy,
  load: loadPolicy,
  backfill: backfillPolicy,
  reconcile: reconcilePolicy,
};

export class IngestionPipeline extends pulumi.ComponentResource {
  readonly functions: Readonly<Record<PipelineStepName, aws.lambda.Function>> & Readonly<Partial<Record<'backfill' | 'reconcile', aws.lambda.Function>>>;
  readonly roles: Readonly<Record<PipelineStepName, aws.iam.Role>> & Readonly<Partial<Record<'backfill' | 'reconcile', aws.iam.Role>>>;
  readonly layer: aws.lambda.LayerVersion;
  readonly stateMachine: aws.sfn.StateMachine;
  readonly schedule: aws.scheduler.Schedule;
  readonly reconcileSchedule?: aws.scheduler.Schedule;
  readonly snowflakeRole?: aws.iam.Role;
  /** Redshift: the role its COPY assumes (attach it to the workgroup's namespace or the cluster). */
  readonly redshiftCopyRole?: aws.iam.Role;
  readonly alarms: readonly aws.cloudwatch.MetricAlarm[];
  readonly sourceSecretArn: pulumi.Output<string>;
  readonly warehouseSecretArn: pulumi.Output<string>;
  readonly stateMachineArn: pulumi.Output<string>;

  constructor(name: string, args: IngestionPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tributary:pipeline:IngestionPipeline', name, {}, opts);
    const prefix = `${args.namePrefix ?? `tributary-${args.environment}`}-${args.pipeline}`;
    const parent = { parent: this };
    const memory: Record<PipelineFunctionName, number> = { ...DEFAULTS.memoryMb, ...args.memoryMb };
    const timeout: Record<PipelineFunctionName, number> = { ...DEFAULTS.timeoutSeconds, ...args.timeoutSeconds };
    const logLevel = args.logLevel ?? DEFAULTS.logLevel;
    const branches = pipelineBranches(args.source.kind, args.warehouse.kind);
    const functionNames = pipelineFunctions(args.source.kind, args.warehouse.kind);

    this.sourceSecretArn = this.secret(name, args, 'source', args.source.secretArn);
    // Redshift authenticates the Data API with IAM unless a secret is named: none is created for it.
    const hasWarehouseSecret = args.warehouse.kind !== 'redshift' || args.warehouse.secretArn !== undefined;
    this.warehouseSecretArn = hasWarehouseSecret ? this.secret(name, args, 'warehouse', args.warehouse.secretArn) : pulumi.output('');
    const access = { prefix, processedBucketArn: args.lake.processedBucketArn, lakeKeyArn: args.lake.keyArn, tags: args.tags };
    const redshift = args.warehouse.kind === 'redshift' ? args.warehouse.redshift : undefined;
    if (args.warehouse.kind === 'redshift' && !redshift) throw new Error(`${args.pipeline}: a redshift warehouse needs warehouse.redshift (workgroup or cluster, database)`);
    if (redshift) this.redshiftCopyRole = createRedshiftCopyRole(name, args.aws.accountId, access, this);

    this.layer = new aws.lambda.LayerVersion(
      `${name}-native-layer`,
      {
        layerName: `${prefix}-native`,
        description: 'Native dependencies of the pipeline functions (@duckdb/node-api with its linux binding)',
        code: new pulumi.asset.FileArchive(join(args.bundleDir, 'layer')),
        compatibleRuntimes: [LAMBDA_RUNTIME],
        compatibleArchitectures: [LAMBDA_ARCHITECTURE],
      },
      parent,
    );

    const environmentArgs: PipelineEnvironmentArgs = {
      pipeline: args.pipeline,
      environment: args.environment,
      source: args.source,
      warehouse: args.warehouse,
      rawLakeUrl: args.lake.rawLakeUrl,
      processedLakeUrl: args.lake.processedLakeUrl,
      sourceSecretArn: this.sourceSecretArn,
      warehouseSecretArn: this.warehouseSecretArn,
      alertTopicArn: args.alerts.topicArn,
      logLevel,
      hasWarehouseSecret,
      chunkRows: args.backfill?.chunkRows,
      ...(this.redshiftCopyRole ? { redshiftCopyRoleArn: this.redshiftCopyRole.arn } : {}),
    };
    const functions: Partial<Record<PipelineFunctionName, aws.lambda.Function>> = {};
    const roles: Partial<Record<PipelineFunctionName, aws.iam.Role>> = {};
    for (const fnName of functionNames) {
      const fn = createPlatformFunction(
        `${name}-${fnName}`,
        {
          functionName: `${prefix}-${fnName}`,
          codeDir: join(args.bundleDir, fnName),
          memoryMb: memory[fnName],
          timeoutSeconds: timeout[fnName],
          environment: pipelineEnvironment(fnName, environmentArgs),
          policy: (logGroupArn) =>
            pulumi
              .all([logGroupArn, args.lake.rawBucketArn, args.lake.processedBucketArn, args.lake.keyArn, args.alerts.topicArn, args.alerts.keyArn, this.sourceSecretArn, this.warehouseSecretArn])
              .apply(([logs, raw, processed, key, topic, topicKey, sourceSecret, warehouseSecret]) => {
                const policy = POLICIES[fnName]({
                  sourceKind: args.source.kind,
                  sourceName: args.source.name,
                  rawBucketArn: raw,
                  processedBucketArn: processed,
                  lakeKeyArn: key,
                  logGroupArn: logs,
                  alertTopicArn: topic,
                  alertKeyArn: topicKey,
                  sourceSecretArn: sourceSecret,
                  warehouseSecretArn: warehouseSecret,
                  warehouseKind: args.warehouse.kind,
                });
                if (fnName !== 'load' || !redshift) return policy;
                const target = { partition: partitionOf(args.aws), region: args.aws.region, accountId: args.aws.accountId, ...redshift, usesSecret: hasWarehouseSecret };
                return document(...policy.Statement, ...redshiftLoadStatements(target, processed, args.source.name, key));
              }),
          deadLetterTargetArn: args.alerts.topicArn,
          layers: [this.layer.arn],
          logRetentionDays: args.logRetentionDays,
          logKmsKeyArn: args.lake.keyArn,
          logLevel,
          tags: args.tags,
          ...(args.network ? { network: { ...args.network, aws: args.aws } } : {}),
        },
        this,
      );
      functions[fnName] = fn.function;
      roles[fnName] = fn.role;
    }
    const [extract, transform, load] = PIPELINE_STEPS.map((step) => functions[step]!);
    this.functions = { extract, transform, load, ...(functions.backfill ? { backfill: functions.backfill } : {}), ...(functions.reconcile ? { reconcile: functions.reconcile } : {}) };
    this.roles = { extract: roles.extract!, transform: roles.transform!, load: roles.load!, ...(roles.backfill ? { backfill: roles.backfill } : {}), ...(roles.reconcile ? { reconcile: roles.reconcile } : {}) };

    this.stateMachine = createPipelineStateMachine(
      name,
      {
        prefix,
        pipeline: args.pipeline,
        environment: args.environment,
        partition: partitionOf(args.aws),
        accountId: args.aws.accountId,
        region: args.aws.region,
        sourceName: args.source.name,
        warehouseKind: args.warehouse.kind,
        functions: this.functions,
        timeoutSeconds: timeout,
        backfillMaxConcurrency: args.backfill?.maxConcurrency,
        retry: args.retry,
        lake: args.lake,
        alerts: args.alerts,
        logRetentionDays: args.logRetentionDays,
        tags: args.tags,
      },
      this,
    );
    this.stateMachineArn = this.stateMachine.arn;

    const schedules = createPipelineSchedules(
      name,
      {
        prefix,
        pipeline: args.pipeline,
        environment: args.environment,
        accountId: args.aws.accountId,
        partition: partitionOf(args.aws),
        region: args.aws.region,
        stateMachineArn: this.stateMachine.arn,
        schedule: args.schedule,
        enabled: args.scheduleEnabled ?? true,
        ...(branches.reconcile ? { reconcileSchedule: args.reconcileSchedule ?? DEFAULTS.reconcileSchedule } : {}),
        tags: args.tags,
      },
      this,
    );
    this.schedule = schedules.schedule;
    this.reconcileSchedule = schedules.reconcileSchedule;

    this.alarms = createPipelineAlarms(
      name,
      {
        prefix,
        pipeline: args.pipeline,
        environment: args.environment,
        functionNames: functionNames.map((f) => [f, functions[f]!.name] as const),
        loadFunctionName: load.name,
        stateMachineArn: this.stateMachine.arn,
        alertTopicArn: args.alerts.topicArn,
        freshnessSlaMinutes: args.freshnessSlaMinutes ?? DEFAULTS.freshnessSlaMinutes,
        tags: args.tags,
      },
      this,
    );

    const integration = args.warehouse.kind === 'snowflake' ? args.warehouse.snowflakeIntegration : undefined;
    if (integration) this.snowflakeRole = createSnowflakeStageRole(name, integration, access, this);

    this.registerOutputs({
      functionNames: Object.fromEntries(functionNames.map((f) => [f, functions[f]!.name])),
      stateMachineArn: this.stateMachineArn,
      scheduleName: this.schedule.name,
      reconcileScheduleName: this.reconcileSchedule?.name,
      snowflakeRoleArn: this.snowflakeRole?.arn,
      redshiftCopyRoleArn: this.redshiftCopyRole?.arn,
      sourceSecretArn: this.sourceSecretArn,
      warehouseSecretArn: this.warehouseSecretArn,
    });
  }

  /** The given secret, or one created for the operator to fill (its value is never in the program). */
  private secret(name: string, args: IngestionPipelineArgs, role: 'source' | 'warehouse', given: pulumi.Input<string> | undefined): pulumi.Output<string> {
    if (given !== undefined) return pulumi.output(given);
    return new aws.secretsmanager.Secret(
      `${name}-${role}-secret`,
      {
        name: `tributary/${args.environment}/${args.pipeline}/${role}`,
        description: `${role === 'source' ? 'Source' : 'Warehouse'} credentials of the ${args.pipeline} pipeline (JSON; set by the operator)`,
        kmsKeyId: args.lake.keyArn,
        recoveryWindowInDays: 7,
        tags: args.tags,
      },
      { parent: this },
    ).arn;
  }
}
