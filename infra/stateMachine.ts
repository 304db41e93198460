/**
 * The pipeline's state machine definition (Amazon States Language), generated from code.
 *
 *   SingleFlightGuard → AnotherRunActive?
 *     ├ another run active, mode reconcile → WaitForActiveRun (Wait) → SingleFlightGuard
 *     ├ another run active                 → SkipOverlappingRun (Succeed)
 *     ├ mode reconcile (when configured)   → Reconcile → Done
 *     └ otherwise → [BackfillPlan → BackfillNeeded? ─chunks─→ BackfillChunks (Distributed Map)
 *                                                 → BackfillFinish ┐
 *                                     └─none──────────────────────┘]   (when configured)
 *                   → Extract → UnitsStart → Transform ⟲ → Load ⟲ → Done
 *   Transform ⟲: TransformPlan → TransformPlanOutputCheck → TransformPending ─none pending─→ Load
 *                  ─a run─→ TransformPlanUnitsOutputCheck → TransformAnyUnits ─units─→ TransformUnits
 *                  (inline Map, one TransformUnit invocation per unit) → Transform (the run's finish)
 *                  → TransformOutputCheck → TransformMore ─more─→ TransformCountUnit
 *                  → TransformUnitBound ─under the bound─→ TransformPlan (the next pending run)
 *   Load ⟲:      Load → LoadOutputCheck → LoadMore ─more─→ LoadCountUnit → LoadUnitBound ─→ Load
 *   <Step>UnitBound ─maxPerStep reached─→ UnitsLeftForNextRun (Succeed)
 *   any failure → <State>Failed (Pass: builds the alert) → NotifyFailure (SNS) → RunFailed (Fail)
 *
 * Single flight: the guard lists this state machine's RUNNING executions (itself included) and
 * skips the run when there is more than one. No lock to leak: Step Functions' own execution
 * status is the lock, so a crashed or timed-out run never blocks the next schedule. A reconcile
 * execution (input `{"mode":"reconcile"}`, its own less frequent schedule) waits for the active
 * run instead of skipping, so a daily reconciliation is not lost to a 20-minute run; the regular
 * runs that start meanwhile skip, as they do behind any run.
 *
 * Backfill (PostgreSQL sources): `BackfillPlan` returns `{backfillId, chunkCount, chunksKey}`;
 * with chunks, a Distributed Map reads the chunk list (a JSON array) from the raw bucket at
 * `chunksKey` and runs one child execution per chunk (`{action: chunk, backfillId, chunk}`),
 * then `BackfillFinish` writes the manifest and moves the watermarks. Map results are discarded
 * (`ResultPath: null`): thousands of chunks would not fit in a state's payload.
 *
 * Units of work (DESIGN): a unit is at most TRIBUTARY_UNIT_ROWS rows of whole lake objects
 * (runtime/model/pending.ts, runtime/pipeline/load-step.ts; the extract already writes objects
 * of at most that many rows), so no invocation's time, memory or /tmp grows with the run.
 * Transform fans a run's units out: `TransformPlan` (`{runId, runStartedAt, action: plan, spent,
 * maxUnits}`) plans the oldest pending run once (kept in the lake) and answers `{more,
 * transformRun, units, unitCount}`, the ids of its units not done yet, at most what is left of
 * `maxPerStep` (1000 ids are ~25 KB, far under the 256 KB payload); the inline Map
 * `TransformUnits` invokes the function per unit (`{action: unit, transformRun, unit}`, at most
 * `transformConcurrency` at once): the units of a run are independent, each reads only the
 * pointer of the run before. Each iteration's output is its unit id and the Map's result is
 * discarded (`ResultPath: null`). `Transform` (`{action: finish, transformRun}`) writes the run's
 * manifest, then its pointer, and answers `more` while runs are pending; runs themselves are
 * ordered (a run's units read the previous run's reference state). Load stays a loop of one unit
 * per invocation (`{runId, runStartedAt, step: true}`): loads are serialised by the warehouse
 * anyway (an advisory lock on PostgreSQL, the runs table lock on Redshift), dimensions before the
 * facts that reference them. Each unit is idempotent and its progress is in the lake (transform)
 * or in the warehouse's runs table in the unit's own transaction (load), so a retried or crashed
 * invocation redoes at most the units in flight. `UnitsStart` and `<Step>CountUnit` count the
 * units an execution took (States.MathAdd); past `maxPerStep` it ends successfully and the next
 * scheduled run resumes at the first unit not done, so one execution stays inside the 25,000
 * history events. The functions keep answering `{step: true}` (one unit per call), the loop an
 * earlier definition ran.
 *
 * Data passing: Extract runs with `{}` (the runtime picks the runId); each step's output is kept
 * whole at `$.<step>.Payload` and Extract's `runId` and `runStartedAt` are passed as
 * `{runId, runStartedAt}` to Transform and Load (the telemetry wrapper emits RunDuration and
 * FreshnessLag from `runStartedAt`).
 *
 * No data-passing mistake may end an execution without the alert: a path that points at nothing
 * raises `States.Runtime`, which no Retry or Catch (`States.ALL` included) can handle. So no
 * ResultSelector picks fields out of a function's output, and every field of an output that a
 * later state reads is checked by a Choice (`<Step>OutputCheck`, `IsPresent` and type) first; a
 * missing one goes to `<Step>OutputInvalid` → the step's alert. A list (the plan's `units`) has
 * no type test in the language: its first element is tested for presence before the Map reads it.
 * The one OutputPath (`$.unit` of a TransformUnit) reads the iteration's own input, which the
 * ItemSelector always builds with it. The rehearsal
 * (`npm run rehearse`) executes the definition with the built bundles to keep this true.
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

/** The backfill branch (PostgreSQL sources): plan, Distributed Map over the chunks, finish. */
export interface BackfillBranchArgs {
  /** ARN of the backfill function (actions plan, chunk, finish). */
  readonly functionArn: string;
  /** Seconds per invocation of the backfill function. */
  readonly timeoutSeconds: number;
  /** Name (not ARN) of the raw bucket holding the chunk list at `chunksKey`. */
  readonly rawBucketName: string;
  /** Chunks run at the same time (child executions of the Distributed Map). Default 10. */
  readonly maxConcurrency?: number;
  /**
   * Seconds the map run may take, added to the execution's timeout (a Map state has no timeout of
   * its own). Default 86400 (a day); a backfill cut off by the timeout resumes on the next run.
   */
  readonly mapTimeoutSeconds?: number;
}

/** The reconciliation branch, selected by the input `{"mode": "reconcile"}`. */
export interface ReconcileBranchArgs {
  readonly functionArn: string;
  readonly timeoutSeconds: number;
  /** Seconds a reconcile execution waits before checking again for an active run. Default 120. */
  readonly waitSeconds?: number;
}

export interface StateMachineDefinitionArgs {
  readonly pipeline: string;
  readonly environment: string;
  readonly functionArns: Readonly<Record<Step, string>>;
  /** Seconds per step before Step Functions gives up on the invocation. */
  readonly timeoutSeconds: Readonly<Record<Step, number>>;
  readonly alertTopicArn: string;
  readonly retry?: Partial<RetrySettings>;
  /** Adds the backfill branch before Extract. */
  readonly backfill?: BackfillBranchArgs;
  /** Adds the reconcile branch. */
  readonly reconcile?: ReconcileBranchArgs;
  /** Units of work of the transform and the load: how many, and how long, one execution takes. */
  readonly units?: UnitLoopArgs;
  /** The warehouse runs loads as statements the machine waits on (Redshift): adds the polling states. */
  readonly warehouseStatements?: WarehouseStatementArgs;
}

/**
 * Waiting on a warehouse statement: Load submits (BatchExecuteStatement) and answers its id; the
 * machine waits `pollSeconds`, asks the load function for the statement's status (its own role
 * submitted it, and the Data API shows a statement to the identity that ran it), at most
 * `maxPolls` times, then invokes Load again with the finished statement.
 */
export interface WarehouseStatementArgs {
  /** Seconds between polls. Default 15. */
  readonly pollSeconds?: number;
  /** Polls per statement before the load is reported failed. Default 480 (two hours at 15 s). */
  readonly maxPolls?: number;
}

/**
 * Transform and Load run as loops of bounded units (one invocation each, until the function
 * answers `more: false`). An execution takes at most `maxPerStep` units of each step; a run
 * larger than that ends the execution successfully and the next scheduled run resumes it.
 */
export interface UnitLoopArgs {
  /** Units of each step per execution. Default 1000 (well inside the 25,000 history events). */
  readonly maxPerStep?: number;
  /** Seconds the unit loops may take, added to the execution's timeout. Default 86400. */
  readonly loopTimeoutSeconds?: number;
  /** Transform units of one run invoked at once (the inline Map's MaxConcurrency). Default 4. */
  readonly transformConcurrency?: number;
}

export const DEFAULT_RETRY: RetrySettings = { maxAttempts: 2, intervalSeconds: 30, backoffRate: 2 };
export const DEFAULT_BACKFILL_MAX_CONCURRENCY = 10;
export const DEFAULT_BACKFILL_MAP_TIMEOUT_SECONDS = 86_400;
export const DEFAULT_MAX_UNITS_PER_STEP = 1000;
export const DEFAULT_STATEMENT_POLL_SECONDS = 15;
export const DEFAULT_STATEMENT_MAX_POLLS = 480;
export const DEFAULT_UNIT_LOOP_TIMEOUT_SECONDS = 86_400;
export const DEFAULT_TRANSFORM_CONCURRENCY = 4;
/** The execution input selecting the reconcile branch. */
export const RECONCILE_INPUT = { mode: 'reconcile' } as const;

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
  const retries = (): State[] => [
    { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' },
    {
      ErrorEquals: ['States.TaskFailed', 'States.Timeout'],
      IntervalSeconds: retry.intervalSeconds,
      MaxAttempts: retry.maxAttempts,
      BackoffRate: retry.backoffRate,
      MaxDelaySeconds: 900,
      JitterStrategy: 'FULL',
    },
  ];

  /** A Lambda invocation with the retries; `next` undefined ends the (sub-)machine. */
  const invoke = (o: {
    comment: string;
    functionArn: string;
    /** The Payload template, or a path selecting the payload from the state input. */
    payload: Record<string, unknown> | { readonly path: string };
    /** Where the function's output is kept (as `{Payload}`); `null` discards it. */
    resultPath?: string | null;
    timeoutSeconds: number;
    failState?: string;
    next?: string;
  }): State => ({
    Type: 'Task',
    Comment: o.comment,
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: o.functionArn, ...('path' in o.payload && typeof o.payload.path === 'string' ? { 'Payload.$': o.payload.path } : { Payload: o.payload }) },
    // The whole output, never fields picked out of it: a missing field would be States.Runtime.
    ...(o.resultPath !== undefined ? { ResultSelector: { 'Payload.$': '$.Payload' }, ResultPath: o.resultPath } : {}),
    TimeoutSeconds: o.timeoutSeconds + 60,
    Retry: retries(),
    ...(o.failState ? { Catch: catchTo(o.failState) } : {}),
    ...(o.next ? { Next: o.next } : { End: true }),
  });

  const statements = args.warehouseStatements;
  const runIdAndStart = { 'runId.$': '$.extract.Payload.runId', 'runStartedAt.$': '$.extract.Payload.runStartedAt' };
  const lambdaTask = (step: Step, next: string): State =>
    invoke({
      comment: {
        Extract: `Extract (Lambda), retried with exponential backoff`,
        Transform: `Transform finish (Lambda): the planned run's manifest and pointer once its units are done, retried with exponential backoff`,
        Load: `Load (Lambda): one bounded unit of work, retried with exponential backoff`,
      }[step],
      functionArn: args.functionArns[step],
      payload:
        step === 'Extract'
          ? {}
          : step === 'Transform'
            ? { ...runIdAndStart, action: 'finish', 'transformRun.$': '$.transformPlan.Payload.transformRun' }
            : { ...runIdAndStart, step: true, ...(statements ? { 'statementId.$': '$.load.Payload.statementId', 'phase.$': '$.load.Payload.phase', 'unit.$': '$.load.Payload.unit' } : {}) },
      resultPath: `$.${step.toLowerCase()}`,
      timeoutSeconds: args.timeoutSeconds[step],
      failState: `${step}Failed`,
      next,
    });

  /**
   * A Choice that lets the execution on only when every listed field of a step's output is there
   * with its type, and a Pass that turns a missing one into the step's error (so its alert is sent).
   */
  const outputCheck = (step: string, outputPath: string, fields: Readonly<Record<string, 'string' | 'number' | 'boolean'>>, next: string, failState = `${step}Failed`): Record<string, State> => {
    const invalid = `${step}OutputInvalid`;
    const variable = (field: string) => `${outputPath}.${field}`;
    const names = Object.keys(fields);
    return {
      [`${step}OutputCheck`]: {
        Type: 'Choice',
        Comment: `Every field of ${step}'s output that a later state reads (${names.join(', ')}) is present, with its type`,
        // One rule per test, presence first: a type test on an absent field is itself States.Runtime.
        Choices: [
          ...names.map((f) => ({ Not: { Variable: variable(f), IsPresent: true }, Next: invalid })),
          ...names.map((f) => ({ Not: { Variable: variable(f), ...{ string: { IsString: true }, number: { IsNumeric: true }, boolean: { IsBoolean: true } }[fields[f]] }, Next: invalid })),
        ],
        Default: next,
      },
      [invalid]: {
        Type: 'Pass',
        Comment: `${step} succeeded but its output lacks a field the next states read`,
        Result: {
          Error: 'Tributary.StepOutputInvalid',
          Cause: `${step} returned an output without ${names.map((f) => `${f} (${fields[f]})`).join(', ')}; see its log`,
        },
        ResultPath: '$.error',
        Next: failState,
      },
    };
  };

  const maxUnits = args.units?.maxPerStep ?? DEFAULT_MAX_UNITS_PER_STEP;
  /**
   * `<Step>` → `<Step>OutputCheck` (`more` is a boolean) → `<Step>More`: with more to do, count
   * the unit and invoke again while under the bound; otherwise go on to `next`.
   */
  const unitLoop = (step: 'Transform' | 'Load', next: string): Record<string, State> => {
    const counter = step.toLowerCase();
    const other = step === 'Transform' ? 'load' : 'transform';
    // Transform counts the units its plan fanned out; Load one unit per invocation.
    const taken = step === 'Transform' ? `States.MathAdd($.units.${counter}, $.transformPlan.Payload.unitCount)` : `States.MathAdd($.units.${counter}, 1)`;
    return {
      [step]: lambdaTask(step, `${step}OutputCheck`),
      ...outputCheck(step, `$.${counter}.Payload`, step === 'Load' && statements ? { more: 'boolean', statementId: 'string', phase: 'string', unit: 'string' } : { more: 'boolean' }, `${step}More`),
      [`${step}More`]: {
        Type: 'Choice',
        Comment: `${step} answered whether work remains${step === 'Load' && statements ? ' (and whether it submitted a statement to wait on)' : ''}`,
        Choices: [
          ...(step === 'Load' && statements ? [{ Not: { Variable: '$.load.Payload.statementId', StringEquals: '' }, Next: 'LoadPollStart' }] : []),
          { Variable: `$.${counter}.Payload.more`, BooleanEquals: true, Next: `${step}CountUnit` },
        ],
        Default: next,
      },
      [`${step}CountUnit`]: {
        Type: 'Pass',
        Parameters: { [`${counter}.$`]: taken, [`${other}.$`]: `$.units.${other}` },
        ResultPath: '$.units',
        Next: `${step}UnitBound`,
      },
      [`${step}UnitBound`]: {
        Type: 'Choice',
        Comment: `At most ${maxUnits} units of ${step} per execution`,
        Choices: [{ Variable: `$.units.${counter}`, NumericGreaterThanEquals: maxUnits, Next: 'UnitsLeftForNextRun' }],
        Default: step === 'Transform' ? 'TransformPlan' : step,
      },
    };
  };

  /**
   * The transform of one pending run, fanned out: `TransformPlan` names the run and its units not
   * done yet (at most what is left of maxPerStep), an inline Map invokes the function once per
   * unit, `Transform` finishes the run; then `TransformMore` loops while runs are pending.
   */
  const transformFanOut = (next: string): Record<string, State> => ({
    TransformPlan: invoke({
      comment: 'Transform plan (Lambda): the oldest pending run\'s units (planned once and kept in the lake), the ids of those not done yet',
      functionArn: args.functionArns.Transform,
      payload: { ...runIdAndStart, action: 'plan', 'spent.$': '$.units.transform', maxUnits },
      resultPath: '$.transformPlan',
      timeoutSeconds: args.timeoutSeconds.Transform,
      failState: 'TransformPlanFailed',
      next: 'TransformPlanOutputCheck',
    }),
    ...outputCheck('TransformPlan', '$.transformPlan.Payload', { more: 'boolean' }, 'TransformPending'),
    TransformPending: {
      Type: 'Choice',
      Comment: 'A run is pending: fan its units out; none: go on to the load',
      Choices: [{ Variable: '$.transformPlan.Payload.more', BooleanEquals: true, Next: 'TransformPlanUnitsOutputCheck' }],
      Default: next,
    },
    ...outputCheck('TransformPlanUnits', '$.transformPlan.Payload', { transformRun: 'string', unitCount: 'number' }, 'TransformAnyUnits', 'TransformPlanFailed'),
    TransformAnyUnits: {
      Type: 'Choice',
      Comment: 'No unit left (all done before a crash): straight to the finish; otherwise units must be a list',
      Choices: [
        { Variable: '$.transformPlan.Payload.unitCount', NumericEquals: 0, Next: 'Transform' },
        { Not: { Variable: '$.transformPlan.Payload.units[0]', IsPresent: true }, Next: 'TransformPlanUnitsOutputInvalid' },
      ],
      Default: 'TransformUnits',
    },
    TransformUnits: {
      Type: 'Map',
      Comment: 'The run\'s units at once (independent: each reads only the pointer of the run before); one invocation each',
      ItemsPath: '$.transformPlan.Payload.units',
      ItemSelector: { action: 'unit', ...runIdAndStart, 'transformRun.$': '$.transformPlan.Payload.transformRun', 'unit.$': '$$.Map.Item.Value' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'TransformUnit',
        States: {
          TransformUnit: {
            ...invoke({
              comment: 'One transform unit (Lambda): its objects into the processed zone, its result kept in the lake; a unit done already is skipped',
              functionArn: args.functionArns.Transform,
              payload: { path: '$' },
              timeoutSeconds: args.timeoutSeconds.Transform,
            }),
            // The iteration's output is its unit id (always in its input): the Map's result list stays tiny.
            ResultPath: null,
            OutputPath: '$.unit',
          },
        },
      },
      MaxConcurrency: args.units?.transformConcurrency ?? DEFAULT_TRANSFORM_CONCURRENCY,
      ResultPath: null,
      Catch: catchTo('TransformUnitsFailed'),
      Next: 'Transform',
    },
    TransformPlanFailed: alert('TransformPlan', true),
    TransformUnitsFailed: alert('TransformUnits', true),
  });

  const alert = (step: string, withRunId: boolean): State => ({
    Type: 'Pass',
    Comment: `Describe the failure of ${step} for the alert`,
    Parameters: {
      kind: 'step-failure',
      pipeline: args.pipeline,
      environment: args.environment,
      step,
      'executionArn.$': '$$.Execution.Id',
      ...(withRunId ? { 'runId.$': '$.extract.Payload.runId' } : {}),
      'error.$': '$.error.Error',
      'cause.$': '$.error.Cause',
    },
    ResultPath: '$.alert',
    Next: 'NotifyFailure',
  });

  const maxPolls = statements?.maxPolls ?? DEFAULT_STATEMENT_MAX_POLLS;
  const statementFailed = (cause: string): State => ({
    Type: 'Pass',
    Parameters: { Error: 'Tributary.WarehouseStatementFailed', 'Cause.$': `States.Format('${cause}', $.load.Payload.statementId)` },
    ResultPath: '$.error',
    Next: 'LoadFailed',
  });
  const statementStates: Record<string, State> = statements
    ? {
        LoadPollStart: { Type: 'Pass', Comment: 'Polls of this statement so far', Result: { n: 0 }, ResultPath: '$.poll', Next: 'LoadStatementWait' },
        LoadStatementWait: { Type: 'Wait', Comment: 'The warehouse runs the statement on its own engine; no function waits on it', Seconds: statements.pollSeconds ?? DEFAULT_STATEMENT_POLL_SECONDS, Next: 'LoadStatementPoll' },
        LoadStatementPoll: invoke({
          comment: 'The status of the submitted statement (the load function describes it: its role ran it)',
          functionArn: args.functionArns.Load,
          payload: { 'runId.$': '$.extract.Payload.runId', poll: true, 'statementId.$': '$.load.Payload.statementId' },
          resultPath: '$.statement',
          timeoutSeconds: 60,
          failState: 'LoadFailed',
          next: 'LoadStatementPollOutputCheck',
        }),
        ...outputCheck('LoadStatementPoll', '$.statement.Payload', { status: 'string' }, 'LoadStatementEnded'),
        LoadStatementEnded: {
          Type: 'Choice',
          Comment: 'Ended: Load again, which goes on after a FINISHED statement and fails with the error of a FAILED or ABORTED one (its Catch sends the alert)',
          Choices: ['FINISHED', 'FAILED', 'ABORTED'].map((status) => ({ Variable: '$.statement.Payload.status', StringEquals: status, Next: 'Load' })),
          Default: 'LoadPollCount',
        },
        LoadPollCount: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.poll.n, 1)' }, ResultPath: '$.poll', Next: 'LoadPollBound' },
        LoadPollBound: {
          Type: 'Choice',
          Comment: `At most ${maxPolls} polls per statement`,
          Choices: [{ Variable: '$.poll.n', NumericGreaterThanEquals: maxPolls, Next: 'LoadStatementTimedOut' }],
          Default: 'LoadStatementWait',
        },
        // The poll's output check reports as Load: the alert names the step whose statement it was.
        LoadStatementPollFailed: alert('Load', true),
        LoadStatementTimedOut: statementFailed(`warehouse statement {} did not end within ${maxPolls} polls`),
      }
    : {};


  const isReconcile = { And: [{ Variable: '$.mode', IsPresent: true }, { Variable: '$.mode', StringEquals: RECONCILE_INPUT.mode }] };
  const anotherRun = { Variable: '$.guard.running', NumericGreaterThan: 1 };
  const firstRunState = args.backfill ? 'BackfillPlan' : 'Extract';
  const guardChoices: State[] = args.reconcile
    ? [
        { And: [isReconcile, anotherRun], Next: 'WaitForActiveRun' },
        { ...anotherRun, Next: 'SkipOverlappingRun' },
        { ...isReconcile, Next: 'Reconcile' },
      ]
    : [{ ...anotherRun, Next: 'SkipOverlappingRun' }];

  const reconcileStates: Record<string, State> = args.reconcile
    ? {
        WaitForActiveRun: {
          Type: 'Wait',
          Comment: 'A reconciliation waits for the active run (it writes the same lake and warehouse), then checks again',
          Seconds: args.reconcile.waitSeconds ?? 120,
          Next: 'SingleFlightGuard',
        },
        Reconcile: invoke({
          comment: 'Reconcile (Lambda): compare source and warehouse, repair and report the differences',
          functionArn: args.reconcile.functionArn,
          payload: {},
          resultPath: '$.reconcile',
          timeoutSeconds: args.reconcile.timeoutSeconds,
          failState: 'ReconcileFailed',
          next: 'Done',
        }),
        ReconcileFailed: alert('Reconcile', false),
      }
    : {};

  const backfill = args.backfill;
  const backfillStates: Record<string, State> = backfill
    ? {
        BackfillPlan: invoke({
          comment: 'Backfill plan (Lambda): the chunks of every table that needs a backfill, listed in the raw bucket',
          functionArn: backfill.functionArn,
          payload: { action: 'plan' },
          resultPath: '$.backfill',
          timeoutSeconds: backfill.timeoutSeconds,
          failState: 'BackfillPlanFailed',
          next: 'BackfillPlanOutputCheck',
        }),
        ...outputCheck('BackfillPlan', '$.backfill.Payload', { chunkCount: 'number' }, 'BackfillNeeded'),
        BackfillNeeded: {
          Type: 'Choice',
          Choices: [{ Variable: '$.backfill.Payload.chunkCount', NumericGreaterThan: 0, Next: 'BackfillChunksOutputCheck' }],
          Default: 'Extract',
        },
        // With chunks, the plan must also name them (chunksKey is null when there are none).
        ...outputCheck('BackfillChunks', '$.backfill.Payload', { backfillId: 'string', chunksKey: 'string' }, 'BackfillChunks'),
        BackfillChunks: {
          Type: 'Map',
          Comment: 'One child execution per chunk; the chunk list is read from the raw bucket (too large for the state payload)',
          ItemReader: {
            Resource: 'arn:aws:states:::s3:getObject',
            ReaderConfig: { InputType: 'JSON' },
            Parameters: { Bucket: backfill.rawBucketName, 'Key.$': '$.backfill.Payload.chunksKey' },
          },
          ItemSelector: { action: 'chunk', 'backfillId.$': '$.backfill.Payload.backfillId', 'chunk.$': '$$.Map.Item.Value' },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'BackfillChunk',
            States: {
              BackfillChunk: invoke({
                comment: 'One chunk (Lambda): a primary-key range of one table into the raw zone; a finished chunk is skipped',
                functionArn: backfill.functionArn,
                payload: { path: '$' },
                timeoutSeconds: backfill.timeoutSeconds,
              }),
            },
          },
          MaxConcurrency: backfill.maxConcurrency ?? DEFAULT_BACKFILL_MAX_CONCURRENCY,
          ToleratedFailurePercentage: 0,
          Label: 'BackfillChunks',
          ResultPath: null,
          Catch: catchTo('BackfillChunksFailed'),
          Next: 'BackfillFinish',
        },
        BackfillFinish: invoke({
          comment: 'Backfill finish (Lambda): the manifest of the backfilled rows, then the watermarks',
          functionArn: backfill.functionArn,
          payload: { action: 'finish', 'backfillId.$': '$.backfill.Payload.backfillId' },
          resultPath: '$.backfillFinish',
          timeoutSeconds: backfill.timeoutSeconds,
          failState: 'BackfillFinishFailed',
          next: 'Extract',
        }),
        BackfillPlanFailed: alert('BackfillPlan', false),
        BackfillChunksFailed: alert('BackfillChunks', false),
        BackfillFinishFailed: alert('BackfillFinish', false),
      }
    : {};

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
    AnotherRunActive: { Type: 'Choice', Choices: guardChoices, Default: firstRunState },
    SkipOverlappingRun: { Type: 'Succeed', Comment: 'Another execution is running: this one does nothing' },
    ...reconcileStates,
    ...backfillStates,
    Extract: lambdaTask('Extract', 'ExtractOutputCheck'),
    ...outputCheck('Extract', '$.extract.Payload', { runId: 'string', runStartedAt: 'string' }, 'UnitsStart'),
    UnitsStart: {
      Type: 'Pass',
      Comment: 'Units of work taken by this execution, per step (bounded by maxPerStep)',
      Result: { transform: 0, load: 0 },
      ResultPath: '$.units',
      Next: 'TransformPlan',
    },
    ...transformFanOut(statements ? 'LoadStart' : 'Load'),
    ...unitLoop('Transform', statements ? 'LoadStart' : 'Load'),
    ...(statements
      ? {
          LoadStart: {
            Type: 'Pass',
            Comment: 'No warehouse statement submitted yet: the first Load call reads an empty one',
            Result: { Payload: { statementId: '', phase: '', unit: '' } },
            ResultPath: '$.load',
            Next: 'Load',
          },
        }
      : {}),
    ...unitLoop('Load', 'Done'),
    ...statementStates,
    UnitsLeftForNextRun: {
      Type: 'Succeed',
      Comment: 'This execution took its share of units; the next scheduled run resumes at the first unit not done',
    },
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

  // Worst case of each path, retries included; the longest path bounds the execution.
  const attempts = retry.maxAttempts + 1;
  const stepBudget = (seconds: number) => (seconds + 60) * attempts;
  const runPath = steps.reduce((sum, s) => sum + stepBudget(args.timeoutSeconds[s]), 0);
  const backfillPath = backfill
    ? 2 * stepBudget(backfill.timeoutSeconds) + (backfill.mapTimeoutSeconds ?? DEFAULT_BACKFILL_MAP_TIMEOUT_SECONDS)
    : 0;
  const reconcilePath = args.reconcile ? stepBudget(args.reconcile.timeoutSeconds) : 0;
  const unitLoops = args.units?.loopTimeoutSeconds ?? DEFAULT_UNIT_LOOP_TIMEOUT_SECONDS;
  const totalTimeout = 600 + Math.max(runPath + unitLoops + backfillPath, reconcilePath);
  const branches = [args.backfill ? 'backfill' : '', args.reconcile ? 'reconcile' : ''].filter(Boolean);
  return {
    Comment: `Tributary ${args.pipeline} (${args.environment}): extract → transform → load${branches.length ? ` (+ ${branches.join(', ')})` : ''}`,
    StartAt: 'SingleFlightGuard',
    TimeoutSeconds: totalTimeout,
    States: states,
  };
}
