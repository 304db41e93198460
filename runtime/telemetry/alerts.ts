import {
  alarmConsoleUrl,
  executionConsoleUrl,
  logGroupConsoleUrl,
  logGroupsConsoleUrl,
  regionOfArn,
} from './links';
import { redact } from './redact';

/** A Step Functions step that failed (published by the state machine's Catch). */
export interface StepFailureAlert {
  kind: 'step-failure';
  pipeline: string;
  environment: string;
  step: string;
  runId?: string;
  executionArn: string;
  error: string;
  cause: string;
}

/** A CloudWatch alarm state change (the standard alarm SNS message). */
export interface AlarmAlert {
  kind: 'alarm';
  alarmName: string;
  state: string;
  previousState?: string;
  reason: string;
  description?: string;
  region?: string;
}

export interface DataQualityCheck {
  name: string;
  table?: string;
  passed: boolean;
  detail?: string;
}

/** Data-quality checks of a run, at least one failed. */
export interface DataQualityAlert {
  kind: 'data-quality';
  pipeline: string;
  environment: string;
  runId: string;
  checks: DataQualityCheck[];
}

/** `tributary alert test`. */
export interface TestAlert {
  kind: 'test';
  environment: string;
  pipeline?: string;
  message: string;
}

/** Anything else published to the topic, shown as is. */
export interface PlainAlert {
  kind: 'message';
  subject?: string;
  text: string;
}

export type Alert = StepFailureAlert | AlarmAlert | DataQualityAlert | TestAlert | PlainAlert;

function str(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function parseCheck(raw: unknown): DataQualityCheck {
  if (typeof raw !== 'object' || raw === null) return { name: String(raw), passed: false };
  const c = raw as Record<string, unknown>;
  const status = (str(c, 'status') ?? '').toLowerCase();
  const passed =
    c.passed === true || c.ok === true || status === 'pass' || status === 'passed' || status === 'ok';
  const parts = [str(c, 'detail') ?? str(c, 'message')];
  const actual = str(c, 'actual') ?? str(c, 'observed');
  const expected = str(c, 'expected');
  if (actual !== undefined || expected !== undefined)
    parts.push(`actual ${actual ?? '?'}, expected ${expected ?? '?'}`);
  const detail = parts.filter((p): p is string => !!p).join('; ');
  return {
    name: str(c, 'name') ?? str(c, 'check') ?? 'check',
    table: str(c, 'table'),
    passed,
    ...(detail ? { detail } : {}),
  };
}

/** Classifies one SNS message (its `Message` string, plus `Subject`). */
export function parseAlert(message: string, subject?: string | null): Alert {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return { kind: 'message', text: message, ...(subject ? { subject } : {}) };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'message', text: message, ...(subject ? { subject } : {}) };
  }
  const m = parsed as Record<string, unknown>;
  if (m.kind === 'data-quality' && Array.isArray(m.checks)) {
    return {
      kind: 'data-quality',
      pipeline: str(m, 'pipeline') ?? 'unknown',
      environment: str(m, 'environment') ?? 'unknown',
      runId: str(m, 'runId') ?? 'unknown',
      checks: m.checks.map(parseCheck),
    };
  }
  if (m.kind === 'test') {
    return {
      kind: 'test',
      environment: str(m, 'environment') ?? 'unknown',
      ...(str(m, 'pipeline') ? { pipeline: str(m, 'pipeline') } : {}),
      message: str(m, 'message') ?? 'test alert',
    };
  }
  if (typeof m.AlarmName === 'string' && typeof m.NewStateValue === 'string') {
    const region = typeof m.AlarmArn === 'string' ? regionOfArn(m.AlarmArn) : undefined;
    return {
      kind: 'alarm',
      alarmName: m.AlarmName,
      state: m.NewStateValue,
      previousState: str(m, 'OldStateValue'),
      reason: str(m, 'NewStateReason') ?? '',
      description: str(m, 'AlarmDescription') ?? undefined,
      region,
    };
  }
  if (typeof m.executionArn === 'string') {
    return {
      kind: 'step-failure',
      pipeline: str(m, 'pipeline') ?? 'unknown',
      environment: str(m, 'environment') ?? 'unknown',
      step: str(m, 'step') ?? 'unknown',
      ...(str(m, 'runId') ? { runId: str(m, 'runId') } : {}),
      executionArn: m.executionArn,
      error: str(m, 'error') ?? 'Error',
      cause: str(m, 'cause') ?? '',
    };
  }
  return { kind: 'message', text: message, ...(subject ? { subject } : {}) };
}

/**
 * The readable part of a Step Functions `Cause`: for a Lambda error it is JSON
 * `{errorType, errorMessage, stackTrace}` and only the message matters in Slack.
 */
export function causeSummary(cause: string): string {
  try {
    const c = JSON.parse(cause) as unknown;
    if (typeof c === 'object' && c !== null) {
      const o = c as Record<string, unknown>;
      const msg = str(o, 'errorMessage') ?? str(o, 'message');
      const type = str(o, 'errorType');
      if (msg) return type ? `${type}: ${msg}` : msg;
    }
  } catch {
    // not JSON: a plain cause string
  }
  return cause;
}

export interface LinkContext {
  /** Region for links when the message carries no ARN. */
  region: string;
  /** Log group name prefix of a pipeline's functions; `{environment}` and `{pipeline}` are replaced. */
  logGroupPrefix: string;
  /** The deployed run-history site (a presigned URL, the run's page when the alert names one). */
  siteUrl?: string;
}

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

const MAX_DETAIL = 1500;

/** Slack mrkdwn needs only these three escaped. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(s: string, max = MAX_DETAIL): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function fieldsBlock(fields: Array<[string, string | undefined]>): Record<string, unknown> {
  return {
    type: 'section',
    fields: fields
      .filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '')
      .map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${esc(v)}` })),
  };
}

function textBlock(text: string): Record<string, unknown> {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function linksBlock(links: Array<[string, string]>): Record<string, unknown> {
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: links.map(([label, url]) => `<${url}|${label}>`).join('  ·  ') }],
  };
}

function siteLink(ctx: LinkContext): Array<[string, string]> {
  return ctx.siteUrl ? [['Run history', ctx.siteUrl]] : [];
}

function prefixFor(ctx: LinkContext, environment: string, pipeline?: string): string {
  return ctx.logGroupPrefix.replace('{environment}', environment).replace('{pipeline}', pipeline ?? '');
}

/** Steps that run as Lambda functions of their own (others, e.g. the single-flight guard, have no log group). */
/** State-machine step (lower-cased) → the function whose log group holds its logs. */
const STEP_FUNCTIONS: Readonly<Record<string, string>> = {
  extract: 'extract',
  transform: 'transform',
  load: 'load',
  reconcile: 'reconcile',
  backfillplan: 'backfill',
  backfillchunks: 'backfill',
  backfillfinish: 'backfill',
};

/**
 * The Slack message for an alert: a plain `text` (notifications, clients without blocks) and
 * blocks with the fields and console links. Every string is redacted.
 */
export function formatAlert(original: Alert, ctx: LinkContext): SlackMessage {
  const alert = redactDeep(original);
  let text: string;
  const blocks: Array<Record<string, unknown>> = [];
  switch (alert.kind) {
    case 'step-failure': {
      const region = regionOfArn(alert.executionArn) ?? ctx.region;
      const summary = clip(`${alert.error}: ${causeSummary(alert.cause)}`);
      text = `:rotating_light: ${alert.pipeline} (${alert.environment}) failed at ${alert.step}${alert.runId ? `, run ${alert.runId}` : ''}: ${summary}`;
      blocks.push(textBlock(`:rotating_light: *Pipeline step failed*`));
      blocks.push(
        fieldsBlock([
          ['Pipeline', alert.pipeline],
          ['Environment', alert.environment],
          ['Step', alert.step],
          ['Run', alert.runId ?? 'unknown'],
        ]),
      );
      blocks.push(textBlock(`\`\`\`${esc(summary)}\`\`\``));
      const fn = STEP_FUNCTIONS[alert.step.toLowerCase()];
      const prefix = prefixFor(ctx, alert.environment, alert.pipeline);
      const logs = fn
        ? logGroupConsoleUrl(region, `${prefix}${fn}`, alert.runId)
        : logGroupsConsoleUrl(region, prefix);
      blocks.push(
        linksBlock([
          ['Execution', executionConsoleUrl(alert.executionArn, ctx.region)],
          ['Logs', logs],
          ...siteLink(ctx),
        ]),
      );
      break;
    }
    case 'alarm': {
      const region = alert.region ?? ctx.region;
      const icon = alert.state === 'OK' ? ':white_check_mark:' : ':warning:';
      text = `${icon} Alarm ${alert.alarmName} is ${alert.state}: ${clip(alert.reason, 300)}`;
      blocks.push(textBlock(`${icon} *Alarm ${esc(alert.alarmName)}* is *${esc(alert.state)}*`));
      blocks.push(
        fieldsBlock([
          ['State', `${alert.previousState ?? '?'} → ${alert.state}`],
          ['Description', alert.description],
        ]),
      );
      if (alert.reason) blocks.push(textBlock(esc(clip(alert.reason))));
      blocks.push(linksBlock([['Alarm', alarmConsoleUrl(region, alert.alarmName)], ...siteLink(ctx)]));
      break;
    }
    case 'data-quality': {
      const failed = alert.checks.filter((c) => !c.passed);
      text = `:warning: ${alert.pipeline} (${alert.environment}) run ${alert.runId}: ${failed.length} of ${alert.checks.length} data-quality checks failed`;
      blocks.push(textBlock(`:warning: *Data-quality checks failed*`));
      blocks.push(
        fieldsBlock([
          ['Pipeline', alert.pipeline],
          ['Environment', alert.environment],
          ['Run', alert.runId],
          ['Failed', `${failed.length} of ${alert.checks.length}`],
        ]),
      );
      const lines = failed.map(
        (c) =>
          `• *${esc(c.name)}*${c.table ? ` on \`${esc(c.table)}\`` : ''}${c.detail ? `: ${esc(c.detail)}` : ''}`,
      );
      if (lines.length) blocks.push(textBlock(clip(lines.join('\n'), 2900)));
      blocks.push(
        linksBlock([
          ['Logs', logGroupsConsoleUrl(ctx.region, prefixFor(ctx, alert.environment, alert.pipeline))],
          ...siteLink(ctx),
        ]),
      );
      break;
    }
    case 'test': {
      text = `:bell: Test alert from Tributary (${alert.environment}${alert.pipeline ? `, ${alert.pipeline}` : ''}): ${alert.message}`;
      blocks.push(textBlock(esc(text)));
      break;
    }
    case 'message': {
      text = `${alert.subject ? `${alert.subject}: ` : ''}${clip(alert.text)}`;
      blocks.push(textBlock(esc(text)));
      break;
    }
  }
  return { text, blocks };
}

/** Every string of a value redacted, so the message is built from masked parts only. */
function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}
