/**
 * IngestionPipeline: one source → lake → warehouse pipeline.
 *
 * Children: the source and warehouse secrets (unless existing ones are given), the native
 * dependency layer, the extract/transform/load functions (each with its own least-privilege role
 * and log group), the state machine (its role, its log group), the EventBridge Scheduler schedule
 * (its group, its role) and the alarms: errors per function, failed executions, data freshness.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { join } from 'node:path';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, partitionOf, withName, type PlatformArgs } from './common';
import { AWS_REQUIRES_WILDCARD, document, extractPolicy, loadPolicy, publishStatements, transformPolicy, trustPolicy, xrayStatement, type PipelineFunctionResources } from './iam';
import { createPlatformFunction } from './lambdaFunction';
import { buildStateMachineDefinition, type RetrySettings } from './stateMachine';

export type SourceKind = 'postgres' | 'rest';
export type WarehouseKind = 'postgres' | 'snowflake';
export type PipelineStepName = 'extract' | 'transform' | 'load';

/** What the pipeline needs of the lake (a DataLake satisfies it). */
export interface LakeRef {
  readonly keyArn: pulumi.Input<string>;
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

export interface IngestionPipelineArgs extends PlatformArgs {
  /** Pipeline name (`totesys`): part of every physical name. */
  readonly pipeline: string;
  readonly source: {
    readonly kind: SourceKind;
    /** `<source>` of the lake keys (`raw/<source>/...`, `state/<source>/...`). */
    readonly name: string;
    /** Existing secret with the source credentials; when absent one is created (value set by the operator). */
    readonly secretArn?: pulumi.Input<string>;
  };
  readonly warehouse: {
    readonly kind: WarehouseKind;
    /** Existing secret with the warehouse credentials; when absent one is created (value set by the operator). */
    readonly secretArn?: pulumi.Input<string>;
  };
  readonly lake: LakeRef;
  readonly alerts: AlertsRef;
  /** EventBridge Scheduler expression, e.g. `rate(20 minutes)`. */
  readonly schedule: string;
  /** Default true. */
  readonly scheduleEnabled?: boolean;
  /** Minutes without a successful load before the freshness alarm fires. Default 30. */
  readonly freshnessSlaMinutes?: number;
  /** Folder of the build output (`dist`): `<bundleDir>/{extract,transform,load}` and `<bundleDir>/layer`. */
  readonly bundleDir: string;
  readonly logRetentionDays: number;
  /** Function log level. Default INFO. */
  readonly logLevel?: string;
  /** Memory per function (MB). Defaults: extract 1024, transform 2048, load 1024. */
  readonly memoryMb?: Partial<Record<PipelineStepName, number>>;
  /** Timeout per function (s). Default 900 each. */
  readonly timeoutSeconds?: Partial<Record<PipelineStepName, number>>;
  /** Retries of a failed step (backoff). Defaults in stateMachine.ts. */
  readonly retry?: Partial<RetrySettings>;
  /** Prefix of the physical names; default `tributary-<environment>`. */
  readonly namePrefix?: string;
}

const STEPS: readonly PipelineStepName[] = ['extract', 'transform', 'load'];
const DEFAULT_MEMORY: Record<PipelineStepName, number> = { extract: 1024, transform: 2048, load: 1024 };

export class IngestionPipeline extends pulumi.ComponentResource {
  readonly functions: Readonly<Record<PipelineStepName, aws.lambda.Function>>;
  readonly roles: Readonly<Record<PipelineStepName, aws.iam.Role>>;
  readonly layer: aws.lambda.LayerVersion;
  readonly stateMachine: aws.sfn.StateMachine;
  readonly schedule: aws.scheduler.Schedule;
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
    const timeout: Record<PipelineStepName, number> = { extract: 900, transform: 900, load: 900, ...args.timeoutSeconds };
    const logLevel = args.logLevel ?? 'INFO';

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
      TRIBUTARY_RAW_LAKE: args.lake.rawLakeUrl,
      TRIBUTARY_PROCESSED_LAKE: args.lake.processedLakeUrl,
      TRIBUTARY_SOURCE_SECRET_ARN: this.sourceSecretArn,
      TRIBUTARY_WAREHOUSE_KIND: args.warehouse.kind,
      TRIBUTARY_WAREHOUSE_SECRET_ARN: this.warehouseSecretArn,
      TRIBUTARY_ALERT_TOPIC_ARN: args.alerts.topicArn,
      TRIBUTARY_ENVIRONMENT: args.environment,
      POWERTOOLS_METRICS_NAMESPACE: 'Tributary',
      POWERTOOLS_LOG_LEVEL: logLevel,
    };
    const policies = { extract: extractPolicy, transform: transformPolicy, load: loadPolicy };
    const functions = {} as Record<PipelineStepName, aws.lambda.Function>;
    const roles = {} as Record<PipelineStepName, aws.iam.Role>;
    for (const step of STEPS) {
      const fn = createPlatformFunction(
        `${name}-${step}`,
        {
          functionName: `${prefix}-${step}`,
          codeDir: join(args.bundleDir, step),
          memoryMb: memory[step],
          timeoutSeconds: timeout[step],
          environment: { ...environment, POWERTOOLS_SERVICE_NAME: `tributary-${step}` },
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
              .apply(([logs, raw, processed, key, topic, topicKey, sourceSecret, warehouseSecret]) => {
                const resources: PipelineFunctionResources = {
                  sourceName: args.source.name,
                  rawBucketArn: raw,
                  processedBucketArn: processed,
                  lakeKeyArn: key,
                  logGroupArn: logs,
                  alertTopicArn: topic,
                  alertKeyArn: topicKey,
                  sourceSecretArn: sourceSecret,
                  warehouseSecretArn: warehouseSecret,
                };
                return policies[step](resources);
              }),
          deadLetterTargetArn: args.alerts.topicArn,
          layers: [this.layer.arn],
          logRetentionDays: args.logRetentionDays,
          logKmsKeyArn: args.lake.keyArn,
          logLevel,
          tags: args.tags,
        },
        this,
      );
      functions[step] = fn.function;
      roles[step] = fn.role;
    }
    this.functions = functions;
    this.roles = roles;

    // State machine: its ARN is known from its name, so its role's policy (which lists the
    // machine's own executions for the single-flight guard) exists before the machine runs.
    const stateMachineName = prefix;
    const stateMachineArn = `arn:${partition}:states:${region}:${accountId}:stateMachine:${stateMachineName}`;
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
          .all([functions.extract.arn, functions.transform.arn, functions.load.arn, args.alerts.topicArn, args.alerts.keyArn])
          .apply(([extract, transform, load, topic, topicKey]) =>
            JSON.stringify(
              document(
                { Sid: 'InvokeSteps', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [extract, transform, load] },
                { Sid: 'SingleFlightGuard', Effect: 'Allow', Action: 'states:ListExecutions', Resource: stateMachineArn },
                ...publishStatements(topic, topicKey),
                {
                  Sid: 'VendedLogDelivery',
                  Effect: 'Allow',
                  Action: AWS_REQUIRES_WILDCARD.filter((a) => a.startsWith('logs:')),
                  Resource: '*',
                },
                { ...xrayStatement(), Action: AWS_REQUIRES_WILDCARD.filter((a) => a.startsWith('xray:')) },
              ),
            ),
          ),
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
          .all([functions.extract.arn, functions.transform.arn, functions.load.arn, args.alerts.topicArn])
          .apply(([extract, transform, load, topic]) =>
            JSON.stringify(
              buildStateMachineDefinition({
                pipeline: args.pipeline,
                environment: args.environment,
                functionArns: { Extract: extract, Transform: transform, Load: load },
                timeoutSeconds: { Extract: timeout.extract, Transform: timeout.transform, Load: timeout.load },
                alertTopicArn: topic,
                retry: args.retry,
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

    // Alarms → the alert topic.
    const alarmActions = [args.alerts.topicArn];
    const alarms: aws.cloudwatch.MetricAlarm[] = STEPS.map(
      (step) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-${step}-errors`,
          {
            name: `${prefix}-${step}-errors`,
            alarmDescription: `${args.pipeline} (${args.environment}): the ${step} function reported errors`,
            namespace: 'AWS/Lambda',
            metricName: 'Errors',
            dimensions: { FunctionName: functions[step].name },
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
            lambdaMetric('loads', 'Invocations', functions.load.name, slaSeconds),
            lambdaMetric('loadErrors', 'Errors', functions.load.name, slaSeconds),
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

    this.registerOutputs({
      functionNames: { extract: functions.extract.name, transform: functions.transform.name, load: functions.load.name },
      stateMachineArn: this.stateMachineArn,
      scheduleName: this.schedule.name,
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
