import { ENV } from '../contract';
import { siteLink } from '../docs/site-link';
import { formatAlert, parseAlert, type LinkContext } from '../telemetry/alerts';
import { createLogger, type Logger } from '../telemetry/logger';
import { errorMessage } from '../telemetry/redact';
import {
  DEFAULT_SLACK_RETRY,
  SlackDeliveryError,
  createSlackClient,
  postSlackMessage,
  type RetryOptions,
} from '../telemetry/slack';
import { clearSecretCache, getSlackToken } from '../config/secrets';

/** The parts of an SNS-to-Lambda event the notifier reads. */
export interface SnsEvent {
  Records: Array<{
    Sns: { Message: string; Subject?: string | null; MessageId?: string; TopicArn?: string };
  }>;
}

export interface NotifierConfig {
  channel: string;
  /** Returns the bot token; called per invocation (the secrets module caches it). */
  getToken: () => Promise<string>;
  /** Called when Slack says the token is bad, so a rotated token is fetched on the retry. */
  onAuthFailure?: () => void;
  slackApiUrl?: string;
  retryConfig?: RetryOptions;
  timeoutMs?: number;
  links: LinkContext;
  /**
   * The deployed site's presigned URL for an alert (the run's page when it names a run); a link
   * that cannot be made leaves the alert without it, never undelivered.
   */
  siteLink?: (runId: string | undefined) => Promise<string>;
  logger?: Logger;
}

/**
 * Builds the notifier: each SNS record becomes one Slack message. A failure is logged and
 * thrown, so Lambda's async retry (and then its on-failure destination) takes over; the
 * notifier runs outside the state machine, so this never fails a pipeline run.
 */
export function createNotifier(config: NotifierConfig): (event: SnsEvent) => Promise<void> {
  const logger = config.logger ?? createLogger({ keys: { stage: 'notify' } });
  return async (event: SnsEvent): Promise<void> => {
    logger.resetKeys();
    for (const record of event.Records ?? []) {
      const alert = parseAlert(record.Sns.Message, record.Sns.Subject);
      const runId = 'runId' in alert ? alert.runId : undefined;
      if (runId) logger.setCorrelationId(runId);
      const siteUrl = config.siteLink
        ? await config.siteLink(runId).catch((err: unknown) => {
            logger.warn('site link not made', { error_message: errorMessage(err) });
            return undefined;
          })
        : undefined;
      const message = formatAlert(alert, siteUrl ? { ...config.links, siteUrl } : config.links);
      try {
        const token = await config.getToken();
        const client = createSlackClient({
          token,
          slackApiUrl: config.slackApiUrl,
          retryConfig: config.retryConfig ?? DEFAULT_SLACK_RETRY,
          timeoutMs: config.timeoutMs,
          logger,
        });
        const ts = await postSlackMessage(client, config.channel, message);
        logger.info('alert posted', {
          alert_kind: alert.kind,
          sns_message_id: record.Sns.MessageId,
          slack_ts: ts,
        });
      } catch (err) {
        if (err instanceof SlackDeliveryError && err.reason === 'auth') config.onAuthFailure?.();
        logger.error('alert not delivered', {
          alert_kind: alert.kind,
          sns_message_id: record.Sns.MessageId,
          reason: err instanceof SlackDeliveryError ? err.reason : 'error',
          error_message: errorMessage(err),
        });
        throw new Error(`alert not delivered: ${errorMessage(err)}`);
      }
    }
  };
}

/** Function names are `tributary-<environment>-<pipeline>-<step>` (infra/ingestionPipeline.ts). */
export const DEFAULT_LOG_GROUP_PREFIX = '/aws/lambda/tributary-{environment}-{pipeline}-';

function requiredEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`notifier: environment variable ${name} is not set`);
  return v;
}

/** Reads the notifier's configuration from its Lambda environment. */
export function notifierConfigFromEnv(env: NodeJS.ProcessEnv = process.env): NotifierConfig {
  const secretArn = requiredEnv('TRIBUTARY_SLACK_SECRET_ARN');
  const channel = requiredEnv('TRIBUTARY_SLACK_CHANNEL');
  const site = env[ENV.siteLocation] || undefined;
  return {
    channel,
    getToken: () => getSlackToken(secretArn),
    onAuthFailure: () => clearSecretCache(secretArn),
    slackApiUrl: env.TRIBUTARY_SLACK_API_URL || undefined,
    ...(site ? { siteLink: (runId: string | undefined) => siteLink(site, { runId, endpoint: env[ENV.s3Endpoint], region: env.AWS_REGION }) } : {}),
    links: {
      region: env.AWS_REGION ?? 'eu-west-2',
      logGroupPrefix: env.TRIBUTARY_LOG_GROUP_PREFIX || DEFAULT_LOG_GROUP_PREFIX,
    },
  };
}

let notifier: ((event: SnsEvent) => Promise<void>) | undefined;

/** Lambda entry point (SNS subscription). */
export async function handler(event: SnsEvent): Promise<void> {
  notifier ??= createNotifier(notifierConfigFromEnv());
  return notifier(event);
}
