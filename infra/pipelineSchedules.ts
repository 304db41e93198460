/**
 * The pipeline's EventBridge Scheduler schedules, children of the IngestionPipeline: the run
 * schedule and, when the pipeline reconciles, the reconcile schedule. Both start the same state
 * machine, so its single-flight guard keeps a reconciliation from overlapping a run.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { document, trustPolicy } from './iam';
import { RECONCILE_INPUT } from './stateMachine';

export interface PipelineSchedulesArgs {
  readonly prefix: string;
  readonly pipeline: string;
  readonly environment: string;
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
  readonly stateMachineArn: pulumi.Output<string>;
  readonly schedule: string;
  readonly enabled: boolean;
  /** Absent: no reconcile schedule. */
  readonly reconcileSchedule?: string;
  readonly tags: Record<string, string>;
}

export interface PipelineSchedules {
  readonly schedule: aws.scheduler.Schedule;
  readonly reconcileSchedule?: aws.scheduler.Schedule;
}

export function createPipelineSchedules(name: string, args: PipelineSchedulesArgs, parent: pulumi.Resource): PipelineSchedules {
  const group = new aws.scheduler.ScheduleGroup(`${name}-schedule-group`, { name: args.prefix, tags: args.tags }, { parent });
  const role = new aws.iam.Role(
    `${name}-scheduler-role`,
    { name: `${args.prefix}-scheduler`, assumeRolePolicy: JSON.stringify(trustPolicy('scheduler.amazonaws.com', args.accountId, `arn:${args.partition}:scheduler:${args.region}:${args.accountId}:schedule-group/${args.prefix}`)), tags: args.tags },
    { parent },
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-scheduler-policy`,
    {
      role: role.name,
      name: 'least-privilege',
      policy: args.stateMachineArn.apply((arn) => JSON.stringify(document({ Sid: 'StartRun', Effect: 'Allow', Action: 'states:StartExecution', Resource: arn }))),
    },
    { parent },
  );
  // No retries: the next tick runs.
  const startRun = (resource: string, scheduleName: string, description: string, expression: string, input: Record<string, unknown>) =>
    new aws.scheduler.Schedule(
      resource,
      {
        name: scheduleName,
        groupName: group.name,
        description,
        scheduleExpression: expression,
        scheduleExpressionTimezone: 'UTC',
        state: args.enabled ? 'ENABLED' : 'DISABLED',
        flexibleTimeWindow: { mode: 'OFF' },
        target: {
          arn: args.stateMachineArn,
          roleArn: role.arn,
          input: JSON.stringify(input),
          retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
        },
      },
      { parent, dependsOn: [policy] },
    );
  const schedule = startRun(`${name}-schedule`, `${args.prefix}-run`, `Starts the ${args.pipeline} pipeline (${args.environment})`, args.schedule, { trigger: 'schedule' });
  const reconcileSchedule =
    args.reconcileSchedule === undefined
      ? undefined
      : startRun(
          `${name}-reconcile-schedule`,
          `${args.prefix}-reconcile`,
          `Reconciles the ${args.pipeline} source with the warehouse (${args.environment})`,
          args.reconcileSchedule,
          { trigger: 'schedule', ...RECONCILE_INPUT },
        );
  return { schedule, ...(reconcileSchedule ? { reconcileSchedule } : {}) };
}
