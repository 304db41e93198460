/**
 * IngestionPipeline: one source → lake → warehouse pipeline.
 *
 * Children: the source and warehouse secrets (unless existing ones are given), the native
 * dependency layer, the extract/transform/load functions (each with its own least-privilege role
 * and log group), the state machine (its role, its log group), the EventBridge Scheduler schedule
 * (its group, its role) and the alarms: errors per function, failed executions, data freshness.
 *
 * PostgreSQL sources also get the backfill function (a Distributed Map branch of the state
 * machine runs its chunks) and, with a PostgreSQL warehouse, the reconcile function with its own
 * schedule, which starts the same state machine with `{"mode":"reconcile"}` so the single-flight
 * guard keeps it from overlapping a regular run. A Snowflake warehouse can get the IAM role its
 * storage integration assumes to read the processed zone.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { join } from 'node:path';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, partitionOf, withName, type PlatformArgs } from './common';
import {
  AWS_REQUIRES_WILDCARD,
  backfillPolicy,
  distributedMapStatements,
  document,
  extractPolicy,
  loadPolicy,
  publishStatements,
  reconcilePolicy,
  snowflakeStagePolicy,
  snowflakeTrustPolicy,
  transformPolicy,
  trustPolicy,
  xrayStatement,
  type PipelineFunctionResources,
  type PolicyDocument,
  type PolicyStatement,
} from './iam';
import { createPlatformFunction } from './lambdaFunction';
import { buildStateMachineDefinition, RECONCILE_INPUT, type RetrySettings } from './stateMachine';
import { DEFAULT_MEMORY_MB } from '../runtime/contract/function-limits';

export type SourceKind = 'postgres' | 'rest';
export type WarehouseKind = 'postgres' | 'snowflake';
/** The run's three steps (every pipeline). */
export type PipelineStepName = 'extract' | 'transform' | 'load';
/** Every function a pipeline may have: the steps, plus backfill and reconcile (PostgreSQL sources). */
export type PipelineFunctionName = PipelineStepName | 'backfill' | 'reconcile';

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

/** The Snowflake storage integration's identity (`DESC INTEGRATION`: STORAGE_AWS_IAM_USER_ARN, STORAGE_AWS_EXTERNAL_ID). */
export interface SnowflakeIntegrationArgs {
  readonly iamUserArn: string;
  readonly externalId: string;
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
  };
  readonly lake: LakeRef;
  readonly alerts: AlertsRef;
  /** EventBridge Scheduler expression, e.g. `rate(20 minutes)`. */
  readonly schedule: string;
  /** Default true; applies to the reconcile schedule as well. */
  readonly scheduleEnabled?: boolean;
  /** Minutes without a successful load before the freshness alarm fires. Default 30. */
  readonly freshnessSlaMinutes?: number;
  /** PostgreSQL sources: the backfill branch. */
  readonly backfill?: {
    /** Rows per chunk (`TRIBUTARY_CHUNK_ROWS`). Default 1000000. */
    readonly chunkRows?: number;
    /** Chunks at a time (the Distributed Map's MaxConcurrency). Default 10. */
    readonly maxConcurrency?: number;
  };
  /** PostgreSQL source and warehouse: schedule of the reconciliation. Default `rate(1 day)`. */
  readonly reconcileSchedule?: string;
  /** Folder of the build output (`dist`): `<bundleDir>/<function>` and `<bundleDir>/layer`. */
  readonly bundleDir: string;
  readonly logRetentionDays: number;
  /** Function log level. Default INFO. */
  readonly logLevel?: string;
  /** Memory per function (MB). Defaults: extract 1024, transform 2048, load 1024, backfill 1024, reconcile 2048. */
  readonly memoryMb?: Partial<Record<PipelineFunctionName, number>>;
  /** Timeout per function (s). Default 900 each. */
  readonly timeoutSeconds?: Partial<Record<PipelineFunctionName, number>>;
  /** Retries of a failed step (backoff). Defaults in stateMachine.ts. */
  readonly retry?: Partial<RetrySettings>;
  /** Prefix of the physical names; default `tributary-<environment>`. */
  readonly namePrefix?: string;
}

export const DEFAULT_CHUNK_ROWS = 1_000_000;
export const DEFAULT_RECONCILE_SCHEDULE = 'rate(1 day)';
const STEPS: readonly PipelineStepName[] = ['extract', 'transform', 'load'];
const DEFAULT_MEMORY: Record<PipelineFunctionName, number> = { ...DEFAULT_MEMORY_MB };
const POLICIES: Record<PipelineFunctionName, (r: PipelineFunctionResources) => PolicyDocument> = {
  extract: extractPolicy,
  transform: transformPolicy,
  load: loadPolicy,
  backfill: backfillPolicy,
  reconcile: reconcilePolicy,
};

/** Whether a pipeline has the backfill and reconcile branches (the runtime implements them for PostgreSQL). */
export function pipelineBranches(source: SourceKind, warehouse: WarehouseKind): { backfill: boolean; reconcile: boolean } {
  return { backfill: source === 'postgres', reconcile: source === 'postgres' && warehouse === 'postgres' };
}

export class IngestionPipeline extends pulumi.ComponentResource {
  readonly functions: Readonly<Record<PipelineStepName, aws.lambda.Function>> & Readonly<Partial<Record<'backfill' | 'reconcile', aws.lambda.Function>>>;
  readonly roles: Readonly<Record<PipelineStepName, aws.iam.Role>> & Readonly<Partial<Record<'backfill' | 'reconcile', aws.iam.Role>>>;
  readonly layer: aws.lambda.LayerVersion;
  readonly stateMachine: aws.sfn.StateMachine;
  readonly schedule: aws.scheduler.Schedule;
  readonly reconcileSchedule?: aws.scheduler.Schedule;
  readonly snowflakeRole?: aws.iam.Role;
  readonly alarms: readonly aws.cloudwatch.MetricAlarm[];
  readonly sourceSecretArn: pulumi.Output<string>;
  readonly warehouseSecretArn: pulumi.Output<string>;
  readonly stateMachineArn: pulumi.Output<string>;

  constructor(name: string, args: IngestionPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tributary:pipeline:IngestionPipeline', name, {}, opts);
    const prefix = `${args.namePrefix ?? `tributary-${args.environment}`}-${args.pipeline}`;
    const partition = partitionOf(args.aws);
    const { accountId, region } = args.aws;
    const parent = { parent: this };
    const memory = { ...DEFAULT_MEMORY, ...args.memoryMb };
    const timeout: Record<PipelineFunctionName, number> = { extract: 900, transform: 900, load: 900, backfill: 900, reconcile: 900, ...args.timeoutSeconds };
    const logLevel = args.logLevel ?? 'INFO';
    const branches = pipelineBranches(args.source.kind, args.warehouse.kind);
    const functionNames: PipelineFunctionName[] = [...STEPS, ...(branches.backfill ? ['backfill' as const] : []), ...(branches.reconcile ? ['reconcile' as const] : [])];

    const secret = (role: 'source' | 'warehouse', given: pulumi.Input<string> | undefined): pulumi.Output<string> =>
      given !== undefined
        ? pulumi.output(given)
        : new aws.secretsmanager.Secret(
            `${name}-${role}-secret`,
            {
              name: `tributary/${args.environment}/${args.pipeline}/${role}`,
              description: `${role === 'source' ? 'Source' : 'Warehouse'} credentials of the ${args.pipeline} pipeline (JSON; set by the operator)`,
              kmsKeyId: args.lake.keyArn,
              recoveryWindowInDays: 7,
              tags: args.tags,
            },
            parent,
          ).arn;
    this.sourceSecretArn = secret('source', args.source.secretArn);
    this.warehouseSecretArn = secret('warehouse', args.warehouse.secretArn);

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

    const environment: Record<string, pulumi.Input<string>> = {
      TRIBUTARY_PIPELINE: args.pipeline,
      TRIBUTARY_SOURCE_KIND: args.source.kind,
      TRIBUTARY_SOURCE_NAME: args.source.name,
      ...(args.source.apiUrl ? { TRIBUTARY_API_URL: args.source.apiUrl } : {}),
      ...(args.source.endpoints?.length ? { TRIBUTARY_ENDPOINTS: args.source.endpoints.join(',') } : {}),
      TRIBUTARY_RAW_LAKE: args.lake.rawLakeUrl,
      TRIBUTARY_PROCESSED_LAKE: args.lake.processedLakeUrl,
      TRIBUTARY_SOURCE_SECRET_ARN: this.sourceSecretArn,
      TRIBUTARY_WAREHOUSE_KIND: args.warehouse.kind,
      ...(args.warehouse.stage ? { TRIBUTARY_SNOWFLAKE_STAGE: args.warehouse.stage } : {}),
      TRIBUTARY_WAREHOUSE_SECRET_ARN: this.warehouseSecretArn,
      // Extract, load and reconcile publish data-quality alerts themselves (runtime/telemetry/publish.ts).
      TRIBUTARY_ALERT_TOPIC_ARN: args.alerts.topicArn,
      TRIBUTARY_ENVIRONMENT: args.environment,
      POWERTOOLS_METRICS_NAMESPACE: 'Tributary',
      POWERTOOLS_LOG_LEVEL: logLevel,
    };
    const extraEnvironment: Partial<Record<PipelineFunctionName, Record<string, string>>> = {
      backfill: { TRIBUTARY_CHUNK_ROWS: String(args.backfill?.chunkRows ?? DEFAULT_CHUNK_ROWS) },
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
          environment: { ...environment, ...extraEnvironment[fnName], POWERTOOLS_SERVICE_NAME: `tributary-${fnName}` },
          policy: (logGroupArn) =>
            pulumi
              .all([
                logGroupArn,
                args.lake.rawBucketArn,
                args.lake.processedBucketArn,
                args.lake.keyArn,
                args.alerts.topicArn,
                args.alerts.keyArn,
                this.sourceSecretArn,
                this.warehouseSecretArn,
              ])
              .apply(([logs, raw, processed, key, topic, topicKey, sourceSecret, warehouseSecret]) =>
                POLICIES[fnName]({
                  sourceName: args.source.name,
                  rawBucketArn: raw,
                  processedBucketArn: processed,
                  lakeKeyArn: key,
                  logGroupArn: logs,
                  alertTopicArn: topic,
                  alertKeyArn: topicKey,
                  sourceSecretArn: sourceSecret,
                  warehouseSecretArn: warehouseSecret,
                }),
              ),
          deadLetterTargetArn: args.alerts.topicArn,
          layers: [this.layer.arn],
          logRetentionDays: args.logRetentionDays,
          logKmsKeyArn: args.lake.keyArn,
          logLevel,
          tags: args.tags,
        },
        this,
      );
      functions[fnName] = fn.function;
      roles[fnName] = fn.role;
    }
    const steps = { extract: functions.extract!, transform: functions.transform!, load: functions.load! };
    this.functions = { ...steps, ...(functions.backfill ? { backfill: functions.backfill } : {}), ...(functions.reconcile ? { reconcile: functions.reconcile } : {}) };
    this.roles = { extract: roles.extract!, transform: roles.transform!, load: roles.load!, ...(roles.backfill ? { backfill: roles.backfill } : {}), ...(roles.reconcile ? { reconcile: roles.reconcile } : {}) };
    const allFunctionArns = pulumi.all(functionNames.map((f) => functions[f]!.arn));
    const optionalArn = (fn: aws.lambda.Function | undefined): pulumi.Output<string | undefined> => (fn ? fn.arn : pulumi.output(undefined));

    // State machine: its ARN is known from its name, so its role's policy (the single-flight guard
    // lists the machine's own executions; the Distributed Map starts child executions of it)
    // exists before the machine does, without a dependency cycle.
    const stateMachineName = prefix;
    const stateMachineArn = `arn:${partition}:states:${region}:${accountId}:stateMachine:${stateMachineName}`;
    const executionArnPrefix = `arn:${partition}:states:${region}:${accountId}:execution:${stateMachineName}`;
    const sfnLogs = new aws.cloudwatch.LogGroup(
      `${name}-state-machine-logs`,
      { name: `/aws/vendedlogs/states/${stateMachineName}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.lake.keyArn, tags: args.tags },
      parent,
    );
    const sfnRole = new aws.iam.Role(
      `${name}-state-machine-role`,
      { name: `${prefix}-sfn`, assumeRolePolicy: JSON.stringify(trustPolicy('states.amazonaws.com', accountId)), tags: args.tags },
      parent,
    );
    const sfnPolicy = new aws.iam.RolePolicy(
      `${name}-state-machine-policy`,
      {
        role: sfnRole.name,
        name: 'least-privilege',
        policy: pulumi
          .all([allFunctionArns, args.alerts.topicArn, args.alerts.keyArn, args.lake.rawBucketArn, args.lake.keyArn])
          .apply(([fnArns, topic, topicKey, raw, lakeKey]) => {
            const statements: PolicyStatement[] = [
              { Sid: 'InvokeSteps', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArns },
              { Sid: 'SingleFlightGuard', Effect: 'Allow', Action: 'states:ListExecutions', Resource: stateMachineArn },
              ...(branches.backfill
                ? distributedMapStatements({ stateMachineArn, executionArnPrefix, rawBucketArn: raw, sourceName: args.source.name, lakeKeyArn: lakeKey })
                : []),
              ...publishStatements(topic, topicKey),
              { Sid: 'VendedLogDelivery', Effect: 'Allow', Action: AWS_REQUIRES_WILDCARD.filter((a) => a.startsWith('logs:')), Resource: '*' },
              { ...xrayStatement(), Action: AWS_REQUIRES_WILDCARD.filter((a) => a.startsWith('xray:')) },
            ];
            return JSON.stringify(document(...statements));
          }),
      },
      parent,
    );
    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-state-machine`,
      {
        name: stateMachineName,
        type: 'STANDARD',
        roleArn: sfnRole.arn,
        definition: pulumi
          .all([steps.extract.arn, steps.transform.arn, steps.load.arn, args.alerts.topicArn, optionalArn(functions.backfill), optionalArn(functions.reconcile), args.lake.rawBucketName])
          .apply(([extract, transform, load, topic, backfill, reconcile, rawBucket]) =>
            JSON.stringify(
              buildStateMachineDefinition({
                pipeline: args.pipeline,
                environment: args.environment,
                functionArns: { Extract: extract, Transform: transform, Load: load },
                timeoutSeconds: { Extract: timeout.extract, Transform: timeout.transform, Load: timeout.load },
                alertTopicArn: topic,
                retry: args.retry,
                ...(backfill
                  ? { backfill: { functionArn: backfill, timeoutSeconds: timeout.backfill, rawBucketName: rawBucket, maxConcurrency: args.backfill?.maxConcurrency } }
                  : {}),
                ...(reconcile ? { reconcile: { functionArn: reconcile, timeoutSeconds: timeout.reconcile } } : {}),
              }),
            ),
          ),
        loggingConfiguration: { level: 'ERROR', includeExecutionData: false, logDestination: pulumi.interpolate`${sfnLogs.arn}:*` },
        tracingConfiguration: { enabled: true },
        tags: withName(args.tags, stateMachineName),
      },
      { parent: this, dependsOn: [sfnPolicy] },
    );
    this.stateMachineArn = this.stateMachine.arn;

    // Schedule: EventBridge Scheduler starts the state machine; no retries (the next tick runs).
    const group = new aws.scheduler.ScheduleGroup(`${name}-schedule-group`, { name: prefix, tags: args.tags }, parent);
    const schedulerRole = new aws.iam.Role(
      `${name}-scheduler-role`,
      { name: `${prefix}-scheduler`, assumeRolePolicy: JSON.stringify(trustPolicy('scheduler.amazonaws.com', accountId)), tags: args.tags },
      parent,
    );
    const schedulerPolicy = new aws.iam.RolePolicy(
      `${name}-scheduler-policy`,
      {
        role: schedulerRole.name,
        name: 'least-privilege',
        policy: this.stateMachine.arn.apply((arn) =>
          JSON.stringify(document({ Sid: 'StartRun', Effect: 'Allow', Action: 'states:StartExecution', Resource: arn })),
        ),
      },
      parent,
    );
    this.schedule = new aws.scheduler.Schedule(
      `${name}-schedule`,
      {
        name: `${prefix}-run`,
        groupName: group.name,
        description: `Starts the ${args.pipeline} pipeline (${args.environment})`,
        scheduleExpression: args.schedule,
        scheduleExpressionTimezone: 'UTC',
        state: (args.scheduleEnabled ?? true) ? 'ENABLED' : 'DISABLED',
        flexibleTimeWindow: { mode: 'OFF' },
        target: {
          arn: this.stateMachine.arn,
          roleArn: schedulerRole.arn,
          input: JSON.stringify({ trigger: 'schedule' }),
          retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
        },
      },
      { parent: this, dependsOn: [schedulerPolicy] },
    );

    if (branches.reconcile) {
      // Same state machine, so the single-flight guard keeps a reconciliation from overlapping a run.
      this.reconcileSchedule = new aws.scheduler.Schedule(
        `${name}-reconcile-schedule`,
        {
          name: `${prefix}-reconcile`,
          groupName: group.name,
          description: `Reconciles the ${args.pipeline} source with the warehouse (${args.environment})`,
          scheduleExpression: args.reconcileSchedule ?? DEFAULT_RECONCILE_SCHEDULE,
          scheduleExpressionTimezone: 'UTC',
          state: (args.scheduleEnabled ?? true) ? 'ENABLED' : 'DISABLED',
          flexibleTimeWindow: { mode: 'OFF' },
          target: {
            arn: this.stateMachine.arn,
            roleArn: schedulerRole.arn,
            input: JSON.stringify({ trigger: 'schedule', ...RECONCILE_INPUT }),
            retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
          },
        },
        { parent: this, dependsOn: [schedulerPolicy] },
      );
    }

    // Alarms → the alert topic.
    const alarmActions = [args.alerts.topicArn];
    const alarms: aws.cloudwatch.MetricAlarm[] = functionNames.map(
      (step) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-${step}-errors`,
          {
            name: `${prefix}-${step}-errors`,
            alarmDescription: `${args.pipeline} (${args.environment}): the ${step} function reported errors`,
            namespace: 'AWS/Lambda',
            metricName: 'Errors',
            dimensions: { FunctionName: functions[step]!.name },
            statistic: 'Sum',
            period: 300,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: 'GreaterThanOrEqualToThreshold',
            treatMissingData: 'notBreaching',
            alarmActions,
            okActions: alarmActions,
            tags: args.tags,
          },
          parent,
        ),
    );
    alarms.push(
      new aws.cloudwatch.MetricAlarm(
        `${name}-failed-executions`,
        {
          name: `${prefix}-failed-executions`,
          alarmDescription: `${args.pipeline} (${args.environment}): a run failed or timed out`,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          threshold: 1,
          evaluationPeriods: 1,
          treatMissingData: 'notBreaching',
          metricQueries: [
            stateMachineMetric('failed', 'ExecutionsFailed', this.stateMachine.arn),
            stateMachineMetric('timedout', 'ExecutionsTimedOut', this.stateMachine.arn),
            { id: 'failures', expression: 'FILL(failed, 0) + FILL(timedout, 0)', label: 'Failed or timed-out runs', returnData: true },
          ],
          alarmActions,
          okActions: alarmActions,
          tags: args.tags,
        },
        parent,
      ),
    );
    const slaSeconds = (args.freshnessSlaMinutes ?? 30) * 60;
    alarms.push(
      new aws.cloudwatch.MetricAlarm(
        `${name}-data-freshness`,
        {
          name: `${prefix}-data-freshness`,
          alarmDescription: `${args.pipeline} (${args.environment}): no successful load in the last ${args.freshnessSlaMinutes ?? 30} minutes (freshness SLA)`,
          comparisonOperator: 'LessThanThreshold',
          threshold: 1,
          evaluationPeriods: 1,
          // No data at all means no load ran: stale.
          treatMissingData: 'breaching',
          metricQueries: [
            lambdaMetric('loads', 'Invocations', steps.load.name, slaSeconds),
            lambdaMetric('loadErrors', 'Errors', steps.load.name, slaSeconds),
            { id: 'successfulLoads', expression: 'FILL(loads, 0) - FILL(loadErrors, 0)', label: 'Successful loads', returnData: true },
          ],
          alarmActions,
          okActions: alarmActions,
          tags: args.tags,
        },
        parent,
      ),
    );
    this.alarms = alarms;

    // Snowflake reads the processed zone itself (external stage → COPY INTO) through a storage
    // integration that assumes this role: read-only on `processed/*`, decrypt with the lake key.
    const integration = args.warehouse.kind === 'snowflake' ? args.warehouse.snowflakeIntegration : undefined;
    if (integration) {
      this.snowflakeRole = new aws.iam.Role(
        `${name}-snowflake-role`,
        { name: `${prefix}-snowflake`, assumeRolePolicy: JSON.stringify(snowflakeTrustPolicy(integration.iamUserArn, integration.externalId)), tags: args.tags },
        parent,
      );
      new aws.iam.RolePolicy(
        `${name}-snowflake-policy`,
        {
          role: this.snowflakeRole.name,
          name: 'least-privilege',
          policy: pulumi.all([args.lake.processedBucketArn, args.lake.keyArn]).apply(([processed, key]) => JSON.stringify(snowflakeStagePolicy(processed, key))),
        },
        parent,
      );
    }

    this.registerOutputs({
      functionNames: Object.fromEntries(functionNames.map((f) => [f, functions[f]!.name])),
      stateMachineArn: this.stateMachineArn,
      scheduleName: this.schedule.name,
      reconcileScheduleName: this.reconcileSchedule?.name,
      snowflakeRoleArn: this.snowflakeRole?.arn,
      sourceSecretArn: this.sourceSecretArn,
      warehouseSecretArn: this.warehouseSecretArn,
    });
  }
}

function stateMachineMetric(id: string, metricName: string, arn: pulumi.Output<string>): aws.types.input.cloudwatch.MetricAlarmMetricQuery {
  return { id, returnData: false, metric: { namespace: 'AWS/States', metricName, dimensions: { StateMachineArn: arn }, period: 300, stat: 'Sum' } };
}

function lambdaMetric(id: string, metricName: string, functionName: pulumi.Output<string>, period: number): aws.types.input.cloudwatch.MetricAlarmMetricQuery {
  return { id, returnData: false, metric: { namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: functionName }, period, stat: 'Sum' } };
}
