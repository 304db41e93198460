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
  expect([states.Extract.Next, states.ExtractOutputCheck.Default, states.UnitsStart.Next, states.TransformUnits.Next, states.Transform.Next, states.TransformOutputCheck.Default, states.TransformMore.Default, states.Load.Next, states.LoadOutputCheck.Default, states.LoadMore.Default]).toEqual([
    'ExtractOutputCheck',
    'UnitsStart',
    'TransformPlan',
    'Transform',
    'TransformOutputCheck',
    'TransformMore',
    'Load',
    'LoadOutputCheck',
    'LoadMore',
    'Done',
  ]);
  expect(states.Extract.Parameters).toEqual({ FunctionName: args.functionArns.Extract, Payload: {} });
  // Outputs are kept whole: a ResultSelector field that the function does not return is States.Runtime.
  for (const [step, path] of [['Extract', '$.extract'], ['TransformPlan', '$.transformPlan'], ['Transform', '$.transform'], ['Load', '$.load']]) {
    expect(states[step].ResultSelector).toEqual({ 'Payload.$': '$.Payload' });
    expect(states[step].ResultPath).toBe(path);
  }
  // runStartedAt goes with the runId: the telemetry wrapper emits RunDuration and FreshnessLag from it.
  const runIdAndStart = { 'runId.$': '$.extract.Payload.runId', 'runStartedAt.$': '$.extract.Payload.runStartedAt' };
  expect(states.Load.Parameters).toEqual({ FunctionName: args.functionArns.Load, Payload: { ...runIdAndStart, step: true } });
  expect(states.TransformPlan.Parameters).toEqual({ FunctionName: args.functionArns.Transform, Payload: { ...runIdAndStart, action: 'plan', 'spent.$': '$.units.transform', maxUnits: 1000 } });
  expect(states.Transform.Parameters).toEqual({ FunctionName: args.functionArns.Transform, Payload: { ...runIdAndStart, action: 'finish', 'transformRun.$': '$.transformPlan.Payload.transformRun' } });
  expect(states.Load.TimeoutSeconds).toBe(660);
});

test('Transform fans the units of each pending run out over an inline Map, then finishes the run; every plan field read is checked first', () => {
  expect(states.TransformPlanOutputCheck.Choices).toEqual([
    { Not: { Variable: '$.transformPlan.Payload.more', IsPresent: true }, Next: 'TransformPlanOutputInvalid' },
    { Not: { Variable: '$.transformPlan.Payload.more', IsBoolean: true }, Next: 'TransformPlanOutputInvalid' },
  ]);
  expect(states.TransformPlanOutputInvalid).toMatchObject({ Next: 'TransformPlanFailed' });
  expect(states.TransformPending).toMatchObject({ Choices: [{ Variable: '$.transformPlan.Payload.more', BooleanEquals: true, Next: 'TransformPlanUnitsOutputCheck' }], Default: 'Load' });
  const unitsCheck = states.TransformPlanUnitsOutputCheck.Choices as unknown[];
  for (const [field, test] of [['transformRun', 'IsString'], ['unitCount', 'IsNumeric']]) {
    expect(unitsCheck).toContainEqual({ Not: { Variable: `$.transformPlan.Payload.${field}`, IsPresent: true }, Next: 'TransformPlanUnitsOutputInvalid' });
    expect(unitsCheck).toContainEqual({ Not: { Variable: `$.transformPlan.Payload.${field}`, [test]: true }, Next: 'TransformPlanUnitsOutputInvalid' });
  }
  expect(states.TransformPlanUnitsOutputInvalid).toMatchObject({ Next: 'TransformPlanFailed' });
  // No units left (all done before a crash) skips the Map; otherwise `units` must hold a first id.
  expect(states.TransformAnyUnits).toMatchObject({
    Choices: [
      { Variable: '$.transformPlan.Payload.unitCount', NumericEquals: 0, Next: 'Transform' },
      { Not: { Variable: '$.transformPlan.Payload.units[0]', IsPresent: true }, Next: 'TransformPlanUnitsOutputInvalid' },
    ],
    Default: 'TransformUnits',
  });
  const map = states.TransformUnits as Record<string, unknown> & { ItemProcessor: { ProcessorConfig: unknown; StartAt: string; States: States } };
  expect(map).toMatchObject({
    Type: 'Map',
    ItemsPath: '$.transformPlan.Payload.units',
    ItemSelector: { action: 'unit', 'runId.$': '$.extract.Payload.runId', 'runStartedAt.$': '$.extract.Payload.runStartedAt', 'transformRun.$': '$.transformPlan.Payload.transformRun', 'unit.$': '$$.Map.Item.Value' },
    MaxConcurrency: 4,
    // The results are discarded, and each is only its unit id: the list never nears the payload limit.
    ResultPath: null,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'TransformUnitsFailed' }],
    Next: 'Transform',
  });
  expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'INLINE' });
  expect(map).not.toHaveProperty('ItemReader');
  const unit = map.ItemProcessor.States[map.ItemProcessor.StartAt];
  expect(unit).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: args.functionArns.Transform, 'Payload.$': '$' }, ResultPath: null, OutputPath: '$.unit', End: true });
  expect(unit).not.toHaveProperty('ResultSelector');
  expect((unit.Retry as Array<{ ErrorEquals: string[] }>).some((r) => r.ErrorEquals.includes('States.TaskFailed'))).toBe(true);
  for (const failed of ['TransformPlanFailed', 'TransformUnitsFailed']) expect(states[failed]).toMatchObject({ Type: 'Pass', Parameters: { kind: 'step-failure', 'runId.$': '$.extract.Payload.runId' }, Next: 'NotifyFailure' });
  expect(states.TransformPlan.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'TransformPlanFailed' }]);
  // The finish counts the units the plan fanned out, and loops back to the plan of the next run.
  expect(states.TransformCountUnit.Parameters).toEqual({ 'transform.$': 'States.MathAdd($.units.transform, $.transformPlan.Payload.unitCount)', 'load.$': '$.units.load' });
  expect(states.TransformUnitBound).toMatchObject({ Default: 'TransformPlan' });
  const wide = buildStateMachineDefinition({ ...args, units: { transformConcurrency: 16 } });
  expect((wide.States as States).TransformUnits.MaxConcurrency).toBe(16);
});

test('Transform and Load loop over bounded units while the function answers more: true, at most maxPerStep per execution', () => {
  expect(states.UnitsStart).toMatchObject({ Type: 'Pass', Result: { transform: 0, load: 0 }, ResultPath: '$.units' });
  for (const [step, counter, other, next] of [['Transform', 'transform', 'load', 'Load'], ['Load', 'load', 'transform', 'Done']] as const) {
    // `more` is read by a Choice, so it is checked first: a missing or non-boolean one alerts.
    expect(states[`${step}OutputCheck`].Choices).toEqual([
      { Not: { Variable: `$.${counter}.Payload.more`, IsPresent: true }, Next: `${step}OutputInvalid` },
      { Not: { Variable: `$.${counter}.Payload.more`, IsBoolean: true }, Next: `${step}OutputInvalid` },
    ]);
    expect(states[`${step}OutputInvalid`]).toMatchObject({ Next: `${step}Failed` });
    expect(states[`${step}More`]).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [{ Variable: `$.${counter}.Payload.more`, BooleanEquals: true, Next: `${step}CountUnit` }],
      Default: next,
    });
    const taken = step === 'Transform' ? '$.transformPlan.Payload.unitCount' : '1';
    expect(states[`${step}CountUnit`]).toMatchObject({ Type: 'Pass', Parameters: { [`${counter}.$`]: `States.MathAdd($.units.${counter}, ${taken})`, [`${other}.$`]: `$.units.${other}` }, ResultPath: '$.units', Next: `${step}UnitBound` });
    expect(states[`${step}UnitBound`]).toMatchObject({ Choices: [{ Variable: `$.units.${counter}`, NumericGreaterThanEquals: 1000, Next: 'UnitsLeftForNextRun' }], Default: step === 'Transform' ? 'TransformPlan' : step });
  }
  expect(states.UnitsLeftForNextRun.Type).toBe('Succeed');
  const bounded = buildStateMachineDefinition({ ...args, units: { maxPerStep: 5, loopTimeoutSeconds: 3600 } });
  expect(((bounded.States as States).LoadUnitBound.Choices as Array<Record<string, unknown>>)[0].NumericGreaterThanEquals).toBe(5);
  expect(definition.TimeoutSeconds - bounded.TimeoutSeconds).toBe(86_400 - 3600);
});

test('a field of Extract\'s output that later states read is checked before use; a missing one alerts', () => {
  const check = states.ExtractOutputCheck as { Type: string; Choices: Array<Record<string, unknown>> };
  expect(check.Type).toBe('Choice');
  expect(check.Choices.slice(0, 2)).toEqual([
    { Not: { Variable: '$.extract.Payload.runId', IsPresent: true }, Next: 'ExtractOutputInvalid' },
    { Not: { Variable: '$.extract.Payload.runStartedAt', IsPresent: true }, Next: 'ExtractOutputInvalid' },
  ]);
  expect(check.Choices.slice(2)).toContainEqual({ Not: { Variable: '$.extract.Payload.runId', IsString: true }, Next: 'ExtractOutputInvalid' });
  expect(states.ExtractOutputInvalid).toMatchObject({ Type: 'Pass', Result: { Error: 'Tributary.StepOutputInvalid' }, ResultPath: '$.error', Next: 'ExtractFailed' });
  // No state reads a path into a function's output other than those the checks cover.
  const text = JSON.stringify(definition);
  const read = [...new Set([...text.matchAll(/"\$\.(\w+)\.Payload\.(\w+)"/g)].map((m) => `${m[1]}.${m[2]}`))].sort();
  expect(read).toEqual(['extract.runId', 'extract.runStartedAt', 'load.more', 'transform.more', 'transformPlan.more', 'transformPlan.transformRun', 'transformPlan.unitCount', 'transformPlan.units']);
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
  expect(states.TransformFailed.Parameters).toMatchObject({ 'runId.$': '$.extract.Payload.runId' });
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

describe('with the backfill and reconcile branches (PostgreSQL source)', () => {
  const backfillArn = 'arn:aws:lambda:eu-west-2:210987654321:function:tributary-dev-totesys-backfill';
  const reconcileArn = 'arn:aws:lambda:eu-west-2:210987654321:function:tributary-dev-totesys-reconcile';
  const full = buildStateMachineDefinition({
    ...args,
    backfill: { functionArn: backfillArn, timeoutSeconds: 900, rawBucketName: 'tributary-dev-raw-210987654321-eu-west-2', maxConcurrency: 7 },
    reconcile: { functionArn: reconcileArn, timeoutSeconds: 600 },
  });
  const st = full.States as States;

  test('is valid Amazon States Language (Distributed Map included)', () => {
    expect(aslValidator(JSON.parse(JSON.stringify(full)))).toMatchObject({ isValid: true, errors: [] });
  });

  test('the single-flight guard stays first; reconcile waits for an active run, a regular run skips', () => {
    expect(full.StartAt).toBe('SingleFlightGuard');
    expect(st.SingleFlightGuard.Next).toBe('AnotherRunActive');
    const isReconcile = { And: [{ Variable: '$.mode', IsPresent: true }, { Variable: '$.mode', StringEquals: 'reconcile' }] };
    expect(st.AnotherRunActive).toEqual({
      Type: 'Choice',
      Choices: [
        { And: [isReconcile, { Variable: '$.guard.running', NumericGreaterThan: 1 }], Next: 'WaitForActiveRun' },
        { Variable: '$.guard.running', NumericGreaterThan: 1, Next: 'SkipOverlappingRun' },
        { ...isReconcile, Next: 'Reconcile' },
      ],
      Default: 'BackfillPlan',
    });
    expect(st.WaitForActiveRun).toMatchObject({ Type: 'Wait', Seconds: 120, Next: 'SingleFlightGuard' });
    expect(st.Reconcile).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: reconcileArn, Payload: {} },
      ResultPath: '$.reconcile',
      TimeoutSeconds: 660,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ReconcileFailed' }],
      Next: 'Done',
    });
    expect(st.ReconcileFailed).toMatchObject({ Type: 'Pass', Parameters: { step: 'Reconcile' }, Next: 'NotifyFailure' });
  });

  test('backfill: plan → chunks? → Distributed Map over the chunk list in the raw bucket → finish → Extract', () => {
    expect(st.BackfillPlan).toMatchObject({
      Parameters: { FunctionName: backfillArn, Payload: { action: 'plan' } },
      ResultSelector: { 'Payload.$': '$.Payload' },
      ResultPath: '$.backfill',
      Next: 'BackfillPlanOutputCheck',
    });
    expect(st.BackfillPlanOutputCheck).toMatchObject({ Type: 'Choice', Default: 'BackfillNeeded' });
    expect(st.BackfillNeeded).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.backfill.Payload.chunkCount', NumericGreaterThan: 0, Next: 'BackfillChunksOutputCheck' }],
      Default: 'Extract',
    });
    expect(st.BackfillChunksOutputCheck).toMatchObject({ Type: 'Choice', Default: 'BackfillChunks' });
    expect(st.BackfillChunksOutputInvalid).toMatchObject({ Type: 'Pass', ResultPath: '$.error', Next: 'BackfillChunksFailed' });
    const map = st.BackfillChunks;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemReader: {
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { Bucket: 'tributary-dev-raw-210987654321-eu-west-2', 'Key.$': '$.backfill.Payload.chunksKey' },
      },
      ItemSelector: { action: 'chunk', 'backfillId.$': '$.backfill.Payload.backfillId', 'chunk.$': '$$.Map.Item.Value' },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'BackfillChunk' },
      MaxConcurrency: 7,
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'BackfillChunksFailed' }],
      Next: 'BackfillFinish',
    });
    const chunk = (map.ItemProcessor as { States: States }).States.BackfillChunk;
    expect(chunk).toMatchObject({ Type: 'Task', Parameters: { FunctionName: backfillArn, 'Payload.$': '$' }, End: true });
    const retry = chunk.Retry as Array<{ ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }>;
    expect(retry.find((r) => r.ErrorEquals.includes('States.TaskFailed'))).toMatchObject({ MaxAttempts: 2, BackoffRate: 2 });
    expect(st.BackfillFinish).toMatchObject({
      Parameters: { FunctionName: backfillArn, Payload: { action: 'finish', 'backfillId.$': '$.backfill.Payload.backfillId' } },
      ResultPath: '$.backfillFinish',
      Next: 'Extract',
    });
    for (const s of ['BackfillPlan', 'BackfillChunks', 'BackfillFinish']) {
      expect(st[`${s}Failed`]).toMatchObject({ Type: 'Pass', Parameters: { step: s }, Next: 'NotifyFailure' });
    }
    // The execution's budget covers a day of map run on top of the regular steps.
    expect(full.TimeoutSeconds).toBeGreaterThan(86_400 + definition.TimeoutSeconds - 600);
  });

  test('MaxConcurrency defaults to 10; without branches the machine is the plain run', () => {
    const dflt = buildStateMachineDefinition({ ...args, backfill: { functionArn: backfillArn, timeoutSeconds: 900, rawBucketName: 'raw' } });
    expect((dflt.States as States).BackfillChunks.MaxConcurrency).toBe(10);
    expect((dflt.States as States).AnotherRunActive.Choices).toEqual([{ Variable: '$.guard.running', NumericGreaterThan: 1, Next: 'SkipOverlappingRun' }]);
    expect(Object.keys(states).filter((k) => /Backfill|Reconcile|WaitFor/.test(k))).toEqual([]);
  });
});

describe('an asynchronous warehouse (Redshift): Load submits, the machine waits and polls', () => {
  const asyncDefinition = buildStateMachineDefinition({ ...args, warehouseStatements: { pollSeconds: 10, maxPolls: 30 } });
  const st = asyncDefinition.States as States;

  test('is valid Amazon States Language', () => {
    const result = aslValidator(JSON.parse(JSON.stringify(asyncDefinition)));
    expect(result.errors).toEqual([]);
  });

  test('Load passes the statement it waited for; a submitted one is polled through the load function, bounded, then Load again', () => {
    expect(st.TransformMore.Default).toBe('LoadStart');
    expect(st.TransformPending.Default).toBe('LoadStart');
    expect(st.LoadStart).toMatchObject({ Type: 'Pass', Result: { Payload: { statementId: '', phase: '', unit: '' } }, ResultPath: '$.load', Next: 'Load' });
    expect((st.Load.Parameters as { Payload: Record<string, unknown> }).Payload).toMatchObject({ step: true, 'statementId.$': '$.load.Payload.statementId', 'phase.$': '$.load.Payload.phase', 'unit.$': '$.load.Payload.unit' });
    // Every field a Choice or a later payload reads is checked first (States.Runtime is uncatchable).
    const check = st.LoadOutputCheck.Choices as Array<Record<string, unknown>>;
    for (const f of ['more', 'statementId', 'phase', 'unit']) expect(check).toContainEqual({ Not: { Variable: `$.load.Payload.${f}`, IsPresent: true }, Next: 'LoadOutputInvalid' });
    expect((st.LoadMore.Choices as unknown[])[0]).toEqual({ Not: { Variable: '$.load.Payload.statementId', StringEquals: '' }, Next: 'LoadPollStart' });
    expect(st.LoadPollStart).toMatchObject({ Result: { n: 0 }, ResultPath: '$.poll', Next: 'LoadStatementWait' });
    expect(st.LoadStatementWait).toMatchObject({ Type: 'Wait', Seconds: 10, Next: 'LoadStatementPoll' });
    expect(st.LoadStatementPoll).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: args.functionArns.Load, Payload: { poll: true, 'statementId.$': '$.load.Payload.statementId' } },
      ResultPath: '$.statement',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'LoadFailed' }],
      Next: 'LoadStatementPollOutputCheck',
    });
    expect((st.LoadStatementPoll.Retry as unknown[]).length).toBeGreaterThan(0);
    expect(st.LoadStatementPollOutputCheck.Choices).toContainEqual({ Not: { Variable: '$.statement.Payload.status', IsString: true }, Next: 'LoadStatementPollOutputInvalid' });
    expect(st.LoadStatementPollOutputInvalid).toMatchObject({ Next: 'LoadStatementPollFailed' });
    // Any end goes back to Load: it goes on after FINISHED and raises the error of a failed statement.
    expect((st.LoadStatementEnded.Choices as Array<{ StringEquals: string; Next: string }>).map((c) => [c.StringEquals, c.Next])).toEqual([['FINISHED', 'Load'], ['FAILED', 'Load'], ['ABORTED', 'Load']]);
    expect(st.LoadStatementEnded.Default).toBe('LoadPollCount');
    expect(st.LoadPollCount).toMatchObject({ Parameters: { 'n.$': 'States.MathAdd($.poll.n, 1)' }, Next: 'LoadPollBound' });
    expect(st.LoadPollBound).toMatchObject({ Choices: [{ Variable: '$.poll.n', NumericGreaterThanEquals: 30, Next: 'LoadStatementTimedOut' }], Default: 'LoadStatementWait' });
    expect(st.LoadStatementTimedOut).toMatchObject({ Type: 'Pass', Parameters: { Error: 'Tributary.WarehouseStatementFailed' }, ResultPath: '$.error', Next: 'LoadFailed' });
    // The plain machine has none of it.
    expect(Object.keys(states).filter((k) => /Statement|Poll|LoadStart/.test(k))).toEqual([]);
  });
});
