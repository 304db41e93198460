/**
 * The generated state machine definition, validated against the Amazon States Language spec
 * with asl-validator, and its behaviour-carrying parts: single-flight guard, data passing,
 * retries with backoff, and the catch path to the alert topic.
 */
import aslValidator from 'asl-validator';
import { buildStateMachineDefinition, type StateMachineDefinitionArgs } from '../../infra/stateMachine';

const args: StateMachineDefinitionArgs = {
  pipeline: 'totesys',
  environment: 'dev',
  functionArns: {
    Extract: 'arn:aws:lambda:eu-west-2:210987654321:function:tributary-dev-totesys-extract',
    Transform: 'arn:aws:lambda:eu-west-2:210987654321:function:tributary-dev-totesys-transform',
    Load: 'arn:aws:lambda:eu-west-2:210987654321:function:tributary-dev-totesys-load',
  },
  timeoutSeconds: { Extract: 900, Transform: 900, Load: 600 },
  alertTopicArn: 'arn:aws:sns:eu-west-2:210987654321:tributary-dev-alerts',
};
type States = Record<string, Record<string, unknown>>;
const definition = buildStateMachineDefinition(args);
const states = definition.States as States;

test('is valid Amazon States Language', () => {
  const result = aslValidator(JSON.parse(JSON.stringify(definition)));
  expect(result.errors).toEqual([]);
  expect(result.isValid).toBe(true);
});

test('the validator does catch a broken definition (the check above has teeth)', () => {
  const broken = JSON.parse(JSON.stringify(definition)) as { States: States };
  broken.States.Transform.Next = 'Missing';
  expect(aslValidator(broken).isValid).toBe(false);
  const noType = JSON.parse(JSON.stringify(definition)) as { States: States };
  delete noType.States.Load.Type;
  expect(aslValidator(noType).isValid).toBe(false);
});

test('single flight: the guard lists RUNNING executions of this machine and skips when another runs', () => {
  expect(definition.StartAt).toBe('SingleFlightGuard');
  expect(states.SingleFlightGuard).toMatchObject({
    Resource: 'arn:aws:states:::aws-sdk:sfn:listExecutions',
    Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', StatusFilter: 'RUNNING' },
    ResultSelector: { 'running.$': 'States.ArrayLength($.Executions)' },
    Next: 'AnotherRunActive',
  });
  expect(states.AnotherRunActive).toEqual({
    Type: 'Choice',
    Choices: [{ Variable: '$.guard.running', NumericGreaterThan: 1, Next: 'SkipOverlappingRun' }],
    Default: 'Extract',
  });
  expect(states.SkipOverlappingRun.Type).toBe('Succeed');
});

test('Extract → Transform → Load, passing the runId from Extract', () => {
  expect([states.Extract.Next, states.Transform.Next, states.Load.Next]).toEqual(['Transform', 'Load', 'Done']);
  expect(states.Extract.Parameters).toEqual({ FunctionName: args.functionArns.Extract, Payload: {} });
  expect(states.Extract.ResultSelector).toMatchObject({ 'runId.$': '$.Payload.runId', 'manifestKey.$': '$.Payload.manifestKey' });
  expect(states.Extract.ResultPath).toBe('$.extract');
  for (const step of ['Transform', 'Load'] as const) {
    expect(states[step].Parameters).toEqual({ FunctionName: args.functionArns[step], Payload: { 'runId.$': '$.extract.runId' } });
  }
  expect(states.Load.TimeoutSeconds).toBe(660);
});

test('every step retries with exponential backoff and catches into the alert path', () => {
  for (const step of ['Extract', 'Transform', 'Load']) {
    const retry = states[step].Retry as Array<{ ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number; IntervalSeconds: number }>;
    const taskFailed = retry.find((r) => r.ErrorEquals.includes('States.TaskFailed'))!;
    expect(taskFailed).toMatchObject({ MaxAttempts: 2, IntervalSeconds: 30, BackoffRate: 2 });
    expect(retry.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'))?.BackoffRate).toBeGreaterThan(1);
    expect(states[step].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${step}Failed` }]);
    expect(states[`${step}Failed`]).toMatchObject({
      Type: 'Pass',
      Parameters: {
        kind: 'step-failure',
        pipeline: 'totesys',
        environment: 'dev',
        step,
        'executionArn.$': '$$.Execution.Id',
        'error.$': '$.error.Error',
        'cause.$': '$.error.Cause',
      },
      ResultPath: '$.alert',
      Next: 'NotifyFailure',
    });
  }
  expect(states.TransformFailed.Parameters).toMatchObject({ 'runId.$': '$.extract.runId' });
  expect(states.ExtractFailed.Parameters).not.toHaveProperty('runId.$');
  expect(states.NotifyFailure).toMatchObject({
    Resource: 'arn:aws:states:::sns:publish',
    Parameters: { TopicArn: args.alertTopicArn, 'Message.$': 'States.JsonToString($.alert)' },
    Next: 'RunFailed',
  });
  expect(states.RunFailed.Type).toBe('Fail');
});

test('retry settings come from the arguments', () => {
  const custom = buildStateMachineDefinition({ ...args, retry: { maxAttempts: 5, backoffRate: 3 } });
  const retry = (custom.States as States).Load.Retry as Array<{ ErrorEquals: string[]; MaxAttempts: number; BackoffRate: number }>;
  expect(retry.find((r) => r.ErrorEquals.includes('States.TaskFailed'))).toMatchObject({ MaxAttempts: 5, BackoffRate: 3, IntervalSeconds: 30 });
  expect(aslValidator(JSON.parse(JSON.stringify(custom))).isValid).toBe(true);
});
