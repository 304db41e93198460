/**
 * The pipeline's state machine definition (Amazon States Language), generated from code.
 *
 *   SingleFlightGuard → AnotherRunActive? ─yes→ SkipOverlappingRun (Succeed)
 *                                         └no─→ Extract → Transform → Load → Done
 *   any failure → <Step>Failed (Pass: builds the alert) → NotifyFailure (SNS) → RunFailed (Fail)
 *
 * Single flight: the guard lists this state machine's RUNNING executions (itself included) and
 * skips the run when there is more than one. No lock to leak: Step Functions' own execution
 * status is the lock, so a crashed or timed-out run never blocks the next schedule.
 *
 * Data passing: Extract runs with `{}` (the runtime picks the runId); its `runId` is kept at
 * `$.extract.runId` and passed as `{runId}` to Transform and Load.
 *
 * Pure (no Pulumi import): tests validate the output with `asl-validator`.
 */

export type Step = 'Extract' | 'Transform' | 'Load';

export interface RetrySettings {
  /** Attempts after the first failure of a step's own code. Default 2. */
  readonly maxAttempts: number;
  /** Seconds before the first retry. Default 30. */
  readonly intervalSeconds: number;
  /** Multiplier of the interval per attempt (backoff). Default 2. */
  readonly backoffRate: number;
}

export interface StateMachineDefinitionArgs {
  readonly pipeline: string;
  readonly environment: string;
  readonly functionArns: Readonly<Record<Step, string>>;
  /** Seconds per step before Step Functions gives up on the invocation. */
  readonly timeoutSeconds: Readonly<Record<Step, number>>;
  readonly alertTopicArn: string;
  readonly retry?: Partial<RetrySettings>;
}

export const DEFAULT_RETRY: RetrySettings = { maxAttempts: 2, intervalSeconds: 30, backoffRate: 2 };

type State = Record<string, unknown>;

/** Errors of the Lambda service itself: always worth a quick retry. */
const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

export interface AslDefinition {
  readonly Comment: string;
  readonly StartAt: string;
  readonly TimeoutSeconds: number;
  readonly States: Record<string, State>;
}

export function buildStateMachineDefinition(args: StateMachineDefinitionArgs): AslDefinition {
  const retry: RetrySettings = { ...DEFAULT_RETRY, ...args.retry };
  const steps: Step[] = ['Extract', 'Transform', 'Load'];
  const catchTo = (failState: string) => [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: failState }];

  const lambdaTask = (step: Step, next: string): State => {
    const payload = step === 'Extract' ? {} : { 'runId.$': '$.extract.runId' };
    const selectors: Record<Step, Record<string, string>> = {
      Extract: { 'runId.$': '$.Payload.runId', 'manifestKey.$': '$.Payload.manifestKey', 'tables.$': '$.Payload.tables', 'rows.$': '$.Payload.rows' },
      Transform: { 'runId.$': '$.Payload.runId', 'manifestKeys.$': '$.Payload.manifestKeys' },
      Load: { 'runId.$': '$.Payload.runId', 'loaded.$': '$.Payload.loaded' },
    };
    return {
      Type: 'Task',
      Comment: `${step} (Lambda), retried with exponential backoff`,
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: args.functionArns[step], Payload: payload },
      ResultSelector: selectors[step],
      ResultPath: `$.${step.toLowerCase()}`,
      TimeoutSeconds: args.timeoutSeconds[step] + 60,
      Retry: [
        { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' },
        {
          ErrorEquals: ['States.TaskFailed', 'States.Timeout'],
          IntervalSeconds: retry.intervalSeconds,
          MaxAttempts: retry.maxAttempts,
          BackoffRate: retry.backoffRate,
          MaxDelaySeconds: 900,
          JitterStrategy: 'FULL',
        },
      ],
      Catch: catchTo(`${step}Failed`),
      Next: next,
    };
  };

  const alert = (step: string, withRunId: boolean): State => ({
    Type: 'Pass',
    Comment: `Describe the failure of ${step} for the alert`,
    Parameters: {
      kind: 'step-failure',
      pipeline: args.pipeline,
      environment: args.environment,
      step,
      'executionArn.$': '$$.Execution.Id',
      ...(withRunId ? { 'runId.$': '$.extract.runId' } : {}),
      'error.$': '$.error.Error',
      'cause.$': '$.error.Cause',
    },
    ResultPath: '$.alert',
    Next: 'NotifyFailure',
  });

  const states: Record<string, State> = {
    SingleFlightGuard: {
      Type: 'Task',
      Comment: 'Count the RUNNING executions of this state machine (this one included)',
      Resource: 'arn:aws:states:::aws-sdk:sfn:listExecutions',
      Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', StatusFilter: 'RUNNING', MaxResults: 10 },
      ResultSelector: { 'running.$': 'States.ArrayLength($.Executions)' },
      ResultPath: '$.guard',
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' }],
      Catch: catchTo('SingleFlightGuardFailed'),
      Next: 'AnotherRunActive',
    },
    AnotherRunActive: {
      Type: 'Choice',
      Choices: [{ Variable: '$.guard.running', NumericGreaterThan: 1, Next: 'SkipOverlappingRun' }],
      Default: 'Extract',
    },
    SkipOverlappingRun: { Type: 'Succeed', Comment: 'Another execution is running: this one does nothing' },
    Extract: lambdaTask('Extract', 'Transform'),
    Transform: lambdaTask('Transform', 'Load'),
    Load: lambdaTask('Load', 'Done'),
    Done: { Type: 'Succeed' },
    SingleFlightGuardFailed: alert('SingleFlightGuard', false),
    ...Object.fromEntries(steps.map((step) => [`${step}Failed`, alert(step, step !== 'Extract')])),
    NotifyFailure: {
      Type: 'Task',
      Comment: 'Publish the failure to the alert topic (Slack notifier, e-mail)',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: {
        TopicArn: args.alertTopicArn,
        Subject: `Tributary ${args.pipeline} (${args.environment}) run failed`,
        'Message.$': 'States.JsonToString($.alert)',
      },
      ResultPath: null,
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'RunFailed' }],
      Next: 'RunFailed',
    },
    RunFailed: { Type: 'Fail', Error: 'TributaryRunFailed', Cause: 'A step failed after its retries; the alert topic has the details' },
  };

  const totalTimeout = steps.reduce((sum, s) => sum + (args.timeoutSeconds[s] + 60) * (retry.maxAttempts + 1), 600);
  return {
    Comment: `Tributary ${args.pipeline} (${args.environment}): extract → transform → load`,
    StartAt: 'SingleFlightGuard',
    TimeoutSeconds: totalTimeout,
    States: states,
  };
}
