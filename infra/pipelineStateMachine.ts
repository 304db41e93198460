/**
 * The pipeline's state machine and what it needs, children of the IngestionPipeline: its log
 * group, its role and least-privilege policy, the machine (definition from stateMachine.ts).
 *
 * Its ARN is known from its name, so the role's policy (the single-flight guard lists the
 * machine's own executions; the Distributed Map starts child executions of it) exists before
 * the machine does, without a dependency cycle.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { withName } from './common';
import type { PlatformTags } from './tags';
import { AWS_REQUIRES_WILDCARD, distributedMapStatements, document, publishStatements, trustPolicy, xrayStatement, type PolicyStatement } from './iam';
import { WAREHOUSE_CAPABILITIES, type WarehouseKind } from '../runtime/contract';
import { buildStateMachineDefinition, type RetrySettings } from './stateMachine';

export interface PipelineStateMachineArgs {
  readonly prefix: string;
  readonly pipeline: string;
  readonly environment: string;
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly sourceName: string;
  /** An asynchronous warehouse (WAREHOUSE_CAPABILITIES.asyncStatements) gets the statement-polling states. */
  readonly warehouseKind?: WarehouseKind;
  readonly functions: {
    readonly extract: aws.lambda.Function;
    readonly transform: aws.lambda.Function;
    readonly load: aws.lambda.Function;
    readonly backfill?: aws.lambda.Function;
    readonly reconcile?: aws.lambda.Function;
  };
  readonly timeoutSeconds: Readonly<Record<'extract' | 'transform' | 'load' | 'backfill' | 'reconcile', number>>;
  readonly backfillMaxConcurrency?: number;
  readonly retry?: Partial<RetrySettings>;
  readonly lake: { readonly keyArn: pulumi.Input<string>; readonly rawBucketArn: pulumi.Input<string>; readonly rawBucketName: pulumi.Input<string> };
  readonly alerts: { readonly topicArn: pulumi.Input<string>; readonly keyArn: pulumi.Input<string> };
  readonly logRetentionDays: number;
  readonly tags: PlatformTags;
}

export function createPipelineStateMachine(name: string, args: PipelineStateMachineArgs, parent: pulumi.Resource): aws.sfn.StateMachine {
  const machineName = args.prefix;
  const stateMachineArn = `arn:${args.partition}:states:${args.region}:${args.accountId}:stateMachine:${machineName}`;
  const executionArnPrefix = `arn:${args.partition}:states:${args.region}:${args.accountId}:execution:${machineName}`;
  const fns = args.functions;
  const optionalArn = (fn: aws.lambda.Function | undefined): pulumi.Output<string | undefined> => (fn ? fn.arn : pulumi.output(undefined));
  const allFunctionArns = pulumi.all([fns.extract, fns.transform, fns.load, fns.backfill, fns.reconcile].filter((f): f is aws.lambda.Function => f !== undefined).map((f) => f.arn));
  const logs = new aws.cloudwatch.LogGroup(
    `${name}-state-machine-logs`,
    { name: `/aws/vendedlogs/states/${machineName}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.lake.keyArn, tags: args.tags },
    { parent },
  );
  const role = new aws.iam.Role(
    `${name}-state-machine-role`,
    { name: `${args.prefix}-sfn`, assumeRolePolicy: JSON.stringify(trustPolicy('states.amazonaws.com', args.accountId, stateMachineArn)), tags: args.tags },
    { parent },
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-state-machine-policy`,
    {
      role: role.name,
      name: 'least-privilege',
      policy: pulumi.all([allFunctionArns, args.alerts.topicArn, args.alerts.keyArn, args.lake.rawBucketArn, args.lake.keyArn]).apply(([fnArns, topic, topicKey, raw, lakeKey]) => {
        const statements: PolicyStatement[] = [
          { Sid: 'InvokeSteps', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArns },
          { Sid: 'SingleFlightGuard', Effect: 'Allow', Action: 'states:ListExecutions', Resource: stateMachineArn },
          ...(fns.backfill ? distributedMapStatements({ stateMachineArn, executionArnPrefix, rawBucketArn: raw, sourceName: args.sourceName, lakeKeyArn: lakeKey }) : []),
          ...publishStatements(topic, topicKey),
          { Sid: 'VendedLogDelivery', Effect: 'Allow', Action: AWS_REQUIRES_WILDCARD.filter((a) => a.startsWith('logs:')), Resource: '*' },
          { ...xrayStatement(), Action: AWS_REQUIRES_WILDCARD.filter((a) => a.startsWith('xray:')) },
        ];
        return JSON.stringify(document(...statements));
      }),
    },
    { parent },
  );
  const timeout = args.timeoutSeconds;
  return new aws.sfn.StateMachine(
    `${name}-state-machine`,
    {
      name: machineName,
      type: 'STANDARD',
      roleArn: role.arn,
      definition: pulumi
        .all([fns.extract.arn, fns.transform.arn, fns.load.arn, args.alerts.topicArn, optionalArn(fns.backfill), optionalArn(fns.reconcile), args.lake.rawBucketName])
        .apply(([extract, transform, load, topic, backfill, reconcile, rawBucket]) =>
          JSON.stringify(
            buildStateMachineDefinition({
              pipeline: args.pipeline,
              environment: args.environment,
              functionArns: { Extract: extract, Transform: transform, Load: load },
              timeoutSeconds: { Extract: timeout.extract, Transform: timeout.transform, Load: timeout.load },
              alertTopicArn: topic,
              retry: args.retry,
              ...(backfill ? { backfill: { functionArn: backfill, timeoutSeconds: timeout.backfill, rawBucketName: rawBucket, maxConcurrency: args.backfillMaxConcurrency } } : {}),
              ...(reconcile ? { reconcile: { functionArn: reconcile, timeoutSeconds: timeout.reconcile } } : {}),
              ...(args.warehouseKind && WAREHOUSE_CAPABILITIES[args.warehouseKind].asyncStatements ? { warehouseStatements: {} } : {}),
            }),
          ),
        ),
      loggingConfiguration: { level: 'ERROR', includeExecutionData: false, logDestination: pulumi.interpolate`${logs.arn}:*` },
      tracingConfiguration: { enabled: true },
      tags: withName(args.tags, machineName),
    },
    { parent, dependsOn: [policy] },
  );
}
