import {
  ErrorCode,
  LogLevel,
  WebClient,
  type Logger as SlackLogger,
  type RetryOptions,
} from '@slack/web-api';
import type { Logger } from './logger';
import type { SlackMessage } from './alerts';
import { redact } from './redact';

export type { RetryOptions } from '@slack/web-api';

/**
 * Retries for one notifier invocation: short enough to finish inside a Lambda timeout, long
 * enough to ride out a blip. A 429 waits its Retry-After on top of these.
 */
export const DEFAULT_SLACK_RETRY: RetryOptions = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 4000 };

export interface SlackClientOptions {
  token: string;
  /** WebClient `slackApiUrl` (tests point it at a local server). */
  slackApiUrl?: string;
  retryConfig?: RetryOptions;
  /** Per-request timeout. */
  timeoutMs?: number;
  logger?: Logger;
}

/** Slack errors that mean the token is no good: refetching the secret may fix them. */
const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
]);

export type SlackFailure = 'auth' | 'rejected' | 'unavailable';

/** A message Slack did not take; `reason` says whether a new token, a fix, or waiting helps. */
export class SlackDeliveryError extends Error {
  constructor(
    readonly reason: SlackFailure,
    message: string,
    readonly slackError?: string,
  ) {
    super(message);
    this.name = 'SlackDeliveryError';
  }
}

/** Routes the WebClient's own diagnostics into our structured, redacted logger. */
function slackLogger(logger: Logger | undefined): SlackLogger {
  let level = LogLevel.WARN;
  const line = (...msg: unknown[]): string =>
    redact(msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' '));
  return {
    debug: () => undefined,
    info: (...msg: unknown[]) => logger?.info(line(...msg), { component: 'slack' }),
    warn: (...msg: unknown[]) => logger?.warn(line(...msg), { component: 'slack' }),
    error: (...msg: unknown[]) => logger?.error(line(...msg), { component: 'slack' }),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

export function createSlackClient(options: SlackClientOptions): WebClient {
  return new WebClient(options.token, {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    retryConfig: options.retryConfig ?? DEFAULT_SLACK_RETRY,
    timeout: options.timeoutMs ?? 10000,
    // Wait out a 429's Retry-After and retry, rather than fail the alert.
    rejectRateLimitedCalls: false,
    logger: slackLogger(options.logger),
    logLevel: LogLevel.INFO,
  });
}

function classify(err: unknown): SlackDeliveryError {
  const code = (err as { code?: unknown }).code;
  if (code === ErrorCode.PlatformError) {
    const slackError = String((err as { data?: { error?: unknown } }).data?.error ?? 'unknown_error');
    return new SlackDeliveryError(
      AUTH_ERRORS.has(slackError) ? 'auth' : 'rejected',
      `Slack rejected the message: ${slackError}`,
      slackError,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SlackDeliveryError('unavailable', `Slack unreachable: ${redact(message)}`);
}

/** Posts a message; failures become a SlackDeliveryError whose message carries no token. */
export async function postSlackMessage(
  client: WebClient,
  channel: string,
  message: SlackMessage,
): Promise<string | undefined> {
  try {
    // Block Kit elements are typed as a wide union; ours are built by formatAlert.
    const res = await client.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks as never,
      unfurl_links: false,
    });
    return res.ts;
  } catch (err) {
    throw classify(err);
  }
}
