import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from './alerts';
import { redact } from './redact';

let client: SNSClient | undefined;

/**
 * Publishes an alert to the pipeline's SNS topic (the notifier turns it into a Slack message).
 * Without a topic (a laptop run) nothing is sent: the CLI prints the same facts.
 */
export async function publishAlert(alert: Alert, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const topicArn = env.TRIBUTARY_ALERT_TOPIC_ARN;
  if (!topicArn) return false;
  client ??= new SNSClient({ ...(env.TRIBUTARY_SNS_ENDPOINT ? { endpoint: env.TRIBUTARY_SNS_ENDPOINT } : {}) });
  await client.send(new PublishCommand({ TopicArn: topicArn, Subject: `Tributary ${alert.kind}`.slice(0, 99), Message: redact(JSON.stringify(alert)) }));
  return true;
}
