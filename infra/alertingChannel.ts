/**
 * AlertingChannel: where failures go. A KMS-encrypted SNS topic (its key lets CloudWatch alarms
 * publish), the Slack notifier function subscribed to it (bot token in Secrets Manager, value from
 * the stack's secret config; failed deliveries to an encrypted SQS dead-letter queue), and an
 * optional e-mail subscription.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { partitionOf, withName, type PlatformArgs } from './common';
import { accountAdminStatement, alertTopicPolicy, document, logStatements, logsKeyStatement, xrayStatement, type PolicyDocument } from './iam';
import { createPlatformFunction } from './lambdaFunction';
import type { SiteReadAccess } from './docsSite';

export interface AlertingChannelArgs extends PlatformArgs {
  /** Slack channel the notifier posts to, e.g. `#tributary-alerts`. */
  readonly slackChannel: string;
  /** Slack bot token (a secret Output from the stack config). */
  readonly slackBotToken: pulumi.Input<string>;
  /** Optional e-mail address subscribed to the topic (confirmed by the recipient). */
  readonly email?: string;
  /** Folder of the notifier bundle (`dist/notify`). */
  readonly notifierCodeDir: string;
  readonly logRetentionDays: number;
  /** Notifier log level. Default INFO. */
  readonly logLevel?: string;
  /** Prefix of the physical names; default `tributary-<environment>`. */
  readonly namePrefix?: string;
  /** The deployed docs site (docsSite.ts siteReadAccess): alerts link to it, presigned. */
  readonly site?: SiteReadAccess;
}

export class AlertingChannel extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly topic: aws.sns.Topic;
  readonly slackSecret: aws.secretsmanager.Secret;
  readonly notifier: aws.lambda.Function;
  readonly notifierRole: aws.iam.Role;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly emailSubscription?: aws.sns.TopicSubscription;
  readonly topicArn: pulumi.Output<string>;
  readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: AlertingChannelArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tributary:alerting:AlertingChannel', name, {}, opts);
    const prefix = args.namePrefix ?? `tributary-${args.environment}`;
    const partition = partitionOf(args.aws);
    const functionName = `${prefix}-notify`;

    const keyPolicy: PolicyDocument = document(
      accountAdminStatement(args.aws.accountId, partition),
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': args.aws.accountId } },
      },
      logsKeyStatement(args.aws.region, [`arn:${partition}:logs:${args.aws.region}:${args.aws.accountId}:log-group:/aws/lambda/${functionName}`]),
    );
    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Tributary ${args.environment} alerts: SNS topic, Slack token, dead letters, notifier logs`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: JSON.stringify(keyPolicy),
        tags: withName(args.tags, `${prefix}-alerts`),
      },
      { parent: this },
    );
    new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${prefix}-alerts`, targetKeyId: this.key.keyId }, { parent: this });

    this.topic = new aws.sns.Topic(
      `${name}-topic`,
      { name: `${prefix}-alerts`, kmsMasterKeyId: this.key.arn, tags: withName(args.tags, `${prefix}-alerts`) },
      { parent: this },
    );
    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: this.topic.arn,
        policy: this.topic.arn.apply((topicArn) =>
          JSON.stringify(alertTopicPolicy({ topicArn, accountId: args.aws.accountId, region: args.aws.region, partition, namePrefix: prefix })),
        ),
      },
      { parent: this },
    );

    this.slackSecret = new aws.secretsmanager.Secret(
      `${name}-slack-token`,
      {
        name: `tributary/${args.environment}/slack-bot-token`,
        description: 'Slack bot token of the Tributary alert notifier',
        kmsKeyId: this.key.arn,
        recoveryWindowInDays: 7,
        tags: args.tags,
      },
      { parent: this },
    );
    // Stored as `{"token": "xoxb-…"}`, the format docs/operations.md gives an operator rotating it
    // by hand and the one the notifier reads (runtime/config/secrets.ts parseSlackSecret).
    new aws.secretsmanager.SecretVersion(
      `${name}-slack-token-value`,
      { secretId: this.slackSecret.id, secretString: pulumi.secret(pulumi.output(args.slackBotToken).apply((token) => JSON.stringify({ token }))) },
      { parent: this },
    );

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-notifier-dlq`,
      { name: `${prefix}-notifier-dlq`, kmsMasterKeyId: this.key.arn, messageRetentionSeconds: 14 * 24 * 3600, tags: args.tags },
      { parent: this },
    );

    const fn = createPlatformFunction(
      `${name}-notifier`,
      {
        functionName,
        codeDir: args.notifierCodeDir,
        memoryMb: 256,
        timeoutSeconds: 30,
        // What the notifier reads, no more: each alert names its environment, and it emits no metrics.
        environment: {
          TRIBUTARY_SLACK_SECRET_ARN: this.slackSecret.arn,
          TRIBUTARY_SLACK_CHANNEL: args.slackChannel,
          // Pipeline functions are `<prefix>-<pipeline>-<step>`; the notifier fills in the alert's pipeline.
          TRIBUTARY_LOG_GROUP_PREFIX: `/aws/lambda/${prefix}-{pipeline}-`,
          POWERTOOLS_SERVICE_NAME: 'tributary-notify',
          POWERTOOLS_LOG_LEVEL: args.logLevel ?? 'INFO',
          ...(args.site ? { TRIBUTARY_SITE_LOCATION: args.site.location } : {}),
        },
        policy: (logGroupArn) =>
          pulumi.all([logGroupArn, this.slackSecret.arn, this.key.arn, this.deadLetterQueue.arn, args.site?.statements ?? []]).apply(([logs, secret, key, dlq, site]) =>
            document(
              { Sid: 'SlackToken', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secret },
              { Sid: 'AlertKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: key },
              { Sid: 'DeadLetters', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: dlq },
              ...site,
              ...logStatements(logs),
              xrayStatement(),
            ),
          ),
        deadLetterTargetArn: this.deadLetterQueue.arn,
        logRetentionDays: args.logRetentionDays,
        logKmsKeyArn: this.key.arn,
        logLevel: args.logLevel ?? 'INFO',
        tags: args.tags,
      },
      this,
    );
    this.notifier = fn.function;
    this.notifierRole = fn.role;

    const permission = new aws.lambda.Permission(
      `${name}-notifier-invoke`,
      { action: 'lambda:InvokeFunction', function: fn.function.name, principal: 'sns.amazonaws.com', sourceArn: this.topic.arn },
      { parent: this },
    );
    new aws.sns.TopicSubscription(
      `${name}-notifier-subscription`,
      { topic: this.topic.arn, protocol: 'lambda', endpoint: fn.function.arn },
      { parent: this, dependsOn: [permission] },
    );
    if (args.email) {
      this.emailSubscription = new aws.sns.TopicSubscription(
        `${name}-email`,
        { topic: this.topic.arn, protocol: 'email', endpoint: args.email },
        { parent: this },
      );
    }

    this.topicArn = this.topic.arn;
    this.keyArn = this.key.arn;
    this.registerOutputs({
      topicArn: this.topicArn,
      keyArn: this.keyArn,
      slackSecretArn: this.slackSecret.arn,
      notifierName: this.notifier.name,
      deadLetterQueueArn: this.deadLetterQueue.arn,
    });
  }
}
