/**
 * The pipeline's CloudWatch alarms, children of the IngestionPipeline, all to the alert topic:
 * errors per function, failed or timed-out runs, and data freshness (no successful load inside
 * the SLA; no data at all counts as stale).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface PipelineAlarmsArgs {
  readonly prefix: string;
  readonly pipeline: string;
  readonly environment: string;
  /** Function name per step or branch, for the errors alarms. */
  readonly functionNames: ReadonlyArray<readonly [string, pulumi.Output<string>]>;
  readonly loadFunctionName: pulumi.Output<string>;
  readonly stateMachineArn: pulumi.Output<string>;
  readonly alertTopicArn: pulumi.Input<string>;
  readonly freshnessSlaMinutes: number;
  readonly tags: Record<string, string>;
}

export function createPipelineAlarms(name: string, args: PipelineAlarmsArgs, parent: pulumi.Resource): aws.cloudwatch.MetricAlarm[] {
  const actions = { alarmActions: [args.alertTopicArn], okActions: [args.alertTopicArn] };
  const what = `${args.pipeline} (${args.environment})`;
  const alarms = args.functionNames.map(
    ([step, functionName]) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${step}-errors`,
        {
          name: `${args.prefix}-${step}-errors`,
          alarmDescription: `${what}: the ${step} function reported errors`,
          namespace: 'AWS/Lambda',
          metricName: 'Errors',
          dimensions: { FunctionName: functionName },
          statistic: 'Sum',
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          treatMissingData: 'notBreaching',
          ...actions,
          tags: args.tags,
        },
        { parent },
      ),
  );
  alarms.push(
    new aws.cloudwatch.MetricAlarm(
      `${name}-failed-executions`,
      {
        name: `${args.prefix}-failed-executions`,
        alarmDescription: `${what}: a run failed or timed out`,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: 'notBreaching',
        metricQueries: [
          stateMachineMetric('failed', 'ExecutionsFailed', args.stateMachineArn),
          stateMachineMetric('timedout', 'ExecutionsTimedOut', args.stateMachineArn),
          { id: 'failures', expression: 'FILL(failed, 0) + FILL(timedout, 0)', label: 'Failed or timed-out runs', returnData: true },
        ],
        ...actions,
        tags: args.tags,
      },
      { parent },
    ),
  );
  const slaSeconds = args.freshnessSlaMinutes * 60;
  alarms.push(
    new aws.cloudwatch.MetricAlarm(
      `${name}-data-freshness`,
      {
        name: `${args.prefix}-data-freshness`,
        alarmDescription: `${what}: no successful load in the last ${args.freshnessSlaMinutes} minutes (freshness SLA)`,
        comparisonOperator: 'LessThanThreshold',
        threshold: 1,
        evaluationPeriods: 1,
        // No data at all means no load ran: stale.
        treatMissingData: 'breaching',
        metricQueries: [
          lambdaMetric('loads', 'Invocations', args.loadFunctionName, slaSeconds),
          lambdaMetric('loadErrors', 'Errors', args.loadFunctionName, slaSeconds),
          { id: 'successfulLoads', expression: 'FILL(loads, 0) - FILL(loadErrors, 0)', label: 'Successful loads', returnData: true },
        ],
        ...actions,
        tags: args.tags,
      },
      { parent },
    ),
  );
  return alarms;
}

function stateMachineMetric(id: string, metricName: string, arn: pulumi.Output<string>): aws.types.input.cloudwatch.MetricAlarmMetricQuery {
  return { id, returnData: false, metric: { namespace: 'AWS/States', metricName, dimensions: { StateMachineArn: arn }, period: 300, stat: 'Sum' } };
}

function lambdaMetric(id: string, metricName: string, functionName: pulumi.Output<string>, period: number): aws.types.input.cloudwatch.MetricAlarmMetricQuery {
  return { id, returnData: false, metric: { namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: functionName }, period, stat: 'Sum' } };
}
