import { causeSummary, formatAlert, parseAlert } from '../../runtime/telemetry/alerts';
import { executionConsoleUrl, logGroupConsoleUrl } from '../../runtime/telemetry/links';
import { clearRegisteredSecrets, registerSecret } from '../../runtime/telemetry/redact';

const EXEC = 'arn:aws:states:eu-west-1:123456789012:execution:tributary-dev-totesys:run-42';
const ctx = { region: 'eu-west-2', logGroupPrefix: '/aws/lambda/tributary-{environment}-{pipeline}-' };

afterEach(() => clearRegisteredSecrets());

function stepFailure(cause: string): string {
  return JSON.stringify({
    pipeline: 'totesys',
    environment: 'dev',
    step: 'Transform',
    runId: 'run-42',
    executionArn: EXEC,
    error: 'States.TaskFailed',
    cause,
  });
}

describe('parseAlert', () => {
  it('classifies the four message kinds and plain text', () => {
    expect(parseAlert(stepFailure('boom')).kind).toBe('step-failure');
    expect(
      parseAlert(
        JSON.stringify({
          AlarmName: 'a',
          NewStateValue: 'ALARM',
          NewStateReason: 'r',
          AlarmArn: 'arn:aws:cloudwatch:us-east-1:1:alarm:a',
        }),
      ),
    ).toMatchObject({
      kind: 'alarm',
      region: 'us-east-1',
    });
    expect(
      parseAlert(
        JSON.stringify({
          kind: 'data-quality',
          pipeline: 'p',
          environment: 'e',
          runId: 'r',
          checks: [{ name: 'c', passed: false }],
        }),
      ).kind,
    ).toBe('data-quality');
    expect(parseAlert(JSON.stringify({ kind: 'test', environment: 'dev', message: 'hi' })).kind).toBe('test');
    expect(parseAlert('not json', 'Subj')).toEqual({ kind: 'message', text: 'not json', subject: 'Subj' });
  });
});

describe('causeSummary', () => {
  it('extracts a Lambda error from the Step Functions cause', () => {
    expect(
      causeSummary(
        JSON.stringify({ errorType: 'SchemaDrift', errorMessage: 'column x dropped', stackTrace: ['a'] }),
      ),
    ).toBe('SchemaDrift: column x dropped');
    expect(causeSummary('plain cause')).toBe('plain cause');
  });
});

describe('formatAlert', () => {
  it('a step failure names pipeline, environment, step, run, error and links execution and logs', () => {
    const msg = formatAlert(
      parseAlert(stepFailure(JSON.stringify({ errorType: 'Error', errorMessage: 'duckdb <oops> & more' }))),
      ctx,
    );
    expect(msg.text).toContain('totesys (dev) failed at Transform, run run-42');
    expect(msg.text).toContain('States.TaskFailed: Error: duckdb <oops> & more');
    const blocks = JSON.stringify(msg.blocks);
    for (const s of [
      '*Pipeline*\\ntotesys',
      '*Environment*\\ndev',
      '*Step*\\nTransform',
      '*Run*\\nrun-42',
      'duckdb &lt;oops&gt; &amp; more',
    ])
      expect(blocks).toContain(s);
    expect(blocks).toContain(executionConsoleUrl(EXEC));
    expect(blocks).toContain(
      logGroupConsoleUrl('eu-west-1', '/aws/lambda/tributary-dev-totesys-transform', 'run-42'),
    );
  });

  it('links backfill and reconcile steps to their function log groups', () => {
    for (const [step, fn] of [['BackfillChunks', 'backfill'], ['BackfillFinish', 'backfill'], ['Reconcile', 'reconcile']]) {
      const msg = formatAlert(parseAlert(stepFailure('boom').replace('"Transform"', JSON.stringify(step))), ctx);
      expect(JSON.stringify(msg.blocks)).toContain(logGroupConsoleUrl('eu-west-1', `/aws/lambda/tributary-dev-totesys-${fn}`, 'run-42'));
    }
  });

  it('never shows a registered secret or a URL password from the cause', () => {
    registerSecret('sekret-value-1');
    const msg = formatAlert(
      parseAlert(stepFailure('connect postgres://u:pw123456@h/db failed; token sekret-value-1')),
      ctx,
    );
    const all = msg.text + JSON.stringify(msg.blocks);
    expect(all).not.toContain('sekret-value-1');
    expect(all).not.toContain('pw123456');
    expect(all).toContain('postgres://u:***@h/db');
  });

  it("a step without a function of its own links to the stack's log groups", () => {
    const msg = formatAlert(
      parseAlert(
        JSON.stringify({
          pipeline: 'totesys',
          environment: 'dev',
          step: 'SingleFlightGuard',
          executionArn: EXEC,
          error: 'E',
          cause: 'c',
        }),
      ),
      ctx,
    );
    expect(JSON.stringify(msg.blocks)).toContain(
      '#logsV2:log-groups$3FlogGroupNameFilter$3D$252Faws$252Flambda$252Ftributary-dev-totesys-',
    );
  });

  it('a data-quality breach lists the failed checks only', () => {
    const msg = formatAlert(
      parseAlert(
        JSON.stringify({
          kind: 'data-quality',
          pipeline: 'totesys',
          environment: 'prod',
          runId: 'r7',
          checks: [
            { name: 'row_count_match', table: 'fact_sales_order', passed: false, actual: 10, expected: 12 },
            { name: 'no_null_keys', table: 'dim_staff', status: 'pass' },
          ],
        }),
      ),
      ctx,
    );
    expect(msg.text).toContain('1 of 2 data-quality checks failed');
    const blocks = JSON.stringify(msg.blocks);
    expect(blocks).toContain('row_count_match');
    expect(blocks).toContain('actual 10, expected 12');
    expect(blocks).not.toContain('no_null_keys');
  });

  it('an alarm links to its console page', () => {
    const msg = formatAlert(
      parseAlert(
        JSON.stringify({
          AlarmName: 'tributary-prod-freshness',
          NewStateValue: 'ALARM',
          OldStateValue: 'OK',
          NewStateReason: 'lag 2400 > 1800',
        }),
      ),
      ctx,
    );
    expect(msg.text).toBe(':warning: Alarm tributary-prod-freshness is ALARM: lag 2400 > 1800');
    expect(JSON.stringify(msg.blocks)).toContain(
      'https://eu-west-2.console.aws.amazon.com/cloudwatch/home?region=eu-west-2#alarmsV2:alarm/tributary-prod-freshness',
    );
  });
});

describe('console links', () => {
  it('uses the execution ARN region and the CloudWatch fragment escaping', () => {
    expect(executionConsoleUrl(EXEC)).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${encodeURIComponent(EXEC)}`,
    );
    expect(logGroupConsoleUrl('eu-west-2', '/aws/lambda/f', 'r1')).toBe(
      'https://eu-west-2.console.aws.amazon.com/cloudwatch/home?region=eu-west-2#logsV2:log-groups/log-group/$252Faws$252Flambda$252Ff/log-events$3FfilterPattern$3D$2522r1$2522',
    );
  });
});
