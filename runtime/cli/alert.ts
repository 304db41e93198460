import { hostname, userInfo } from 'node:os';
import { PublishCommand, SNSClient, paginateListTopics } from '@aws-sdk/client-sns';
import { getSlackToken } from '../config/secrets';
import { formatAlert, type TestAlert } from '../telemetry/alerts';
import { errorMessage } from '../telemetry/redact';
import { createSlackClient, postSlackMessage } from '../telemetry/slack';
import type { CommandIo } from './logs';
import { explainAwsError } from '../config/aws-credentials';
import { optionalString, parseCommand } from './options';
import { ALERT } from './specs';

const USAGE = '`tributary alert --help` lists the options';

/** The ARN of the topic called `name` (ListTopics is paginated and returns ARNs only). */
export async function findTopicArn(client: SNSClient, name: string): Promise<string | undefined> {
  for await (const page of paginateListTopics({ client }, {})) {
    for (const t of page.Topics ?? []) if (t.TopicArn?.endsWith(`:${name}`)) return t.TopicArn;
  }
  return undefined;
}

function testAlert(stack: string, pipeline: string | undefined, message: string | undefined): TestAlert {
  let who = 'unknown';
  try {
    who = `${userInfo().username}@${hostname()}`;
  } catch {
    // no user entry (some containers): keep "unknown"
  }
  return {
    kind: 'test',
    environment: stack,
    ...(pipeline ? { pipeline } : {}),
    message: message ?? `test alert sent by ${who} at ${new Date().toISOString()}`,
  };
}

/** `tributary alert test`: proves the alert path reaches Slack. */
export async function runAlertCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseCommand(ALERT, argv);
  } catch (err) {
    io.err(`tributary alert: ${errorMessage(err)}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const opts = {
    stack: optionalString(values.stack),
    'topic-arn': optionalString(values['topic-arn']),
    'topic-name': optionalString(values['topic-name']),
    pipeline: optionalString(values.pipeline),
    message: optionalString(values.message),
    region: optionalString(values.region),
    'endpoint-url': optionalString(values['endpoint-url']),
    direct: values.direct === true,
    'slack-secret-arn': optionalString(values['slack-secret-arn']),
    channel: optionalString(values.channel),
    'slack-api-url': optionalString(values['slack-api-url']),
  };
  if (positionals.length !== 1 || positionals[0] !== 'test') {
    io.err(
      `tributary alert: expected the subcommand "test"${positionals.length ? `, got ${JSON.stringify(positionals.join(' '))}` : ''}; ${USAGE}`,
    );
    return 2;
  }
  if (!opts.stack) {
    io.err(`tributary alert: --stack is required; ${USAGE}`);
    return 2;
  }
  if (opts['topic-arn'] && opts['topic-name']) {
    io.err(`tributary alert: give --topic-arn or --topic-name, not both`);
    return 2;
  }
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'eu-west-2';
  const endpoint = opts['endpoint-url'] ?? process.env.AWS_ENDPOINT_URL;
  const alert = testAlert(opts.stack, opts.pipeline, opts.message);

  if (opts.direct) {
    for (const required of ['slack-secret-arn', 'channel'] as const) {
      if (!opts[required]) {
        io.err(`tributary alert: --direct needs --${required}`);
        return 2;
      }
    }
    try {
      const token = await getSlackToken(opts['slack-secret-arn'] as string, {
        region,
        ...(endpoint ? { endpoint } : {}),
      });
      const client = createSlackClient({ token, slackApiUrl: opts['slack-api-url'] });
      const message = formatAlert(alert, { region, logGroupPrefix: `/aws/lambda/tributary-${opts.stack}-` });
      const ts = await postSlackMessage(client, opts.channel as string, message);
      io.out(`test alert posted to ${opts.channel} (ts ${ts ?? '?'})`);
      return 0;
    } catch (err) {
      io.err(`tributary alert: ${errorMessage(explainAwsError(err))}`);
      return 1;
    }
  }

  const client = new SNSClient({ region, ...(endpoint ? { endpoint } : {}) });
  try {
    const name = opts['topic-name'] ?? `tributary-${opts.stack}-alerts`;
    const topicArn = opts['topic-arn'] ?? (await findTopicArn(client, name));
    if (!topicArn) {
      io.err(`tributary alert: no SNS topic named ${name} in ${region} (use --topic-arn or --topic-name)`);
      return 1;
    }
    const out = await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: `Tributary test alert (${opts.stack})`,
        Message: JSON.stringify(alert),
      }),
    );
    io.out(
      `test alert published to ${topicArn} (message ${out.MessageId ?? '?'}); the notifier posts it to Slack`,
    );
    return 0;
  } catch (err) {
    io.err(`tributary alert: ${errorMessage(explainAwsError(err))}`);
    return 1;
  } finally {
    client.destroy();
  }
}
