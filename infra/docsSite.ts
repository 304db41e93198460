/**
 * DocsSite: the deployed run-history and data-docs site. One function per environment renders
 * the site from the lake (manifests, run records, state: never a raw or processed row, never a
 * secret) into the processed bucket as `site/index.html`, after every execution of a pipeline's
 * state machine ends (an EventBridge rule on its status changes) and on a schedule (freshness
 * moves when nothing runs). The alert notifier links to it with a presigned URL (siteReadAccess).
 *
 * Its role reads what the site shows and writes `site/*`; the one other write is `runs/*`: an
 * execution that timed out or was aborted never reached its step's own error handling, and the
 * site function marks that run failed so `tributary status` and the site agree.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { join } from 'node:path';
import { DEFAULTS, ENV } from '../runtime/contract';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, type PlatformArgs } from './common';
import { document, logStatements, publishStatements, xrayStatement, type PolicyStatement } from './iam';
import type { AlertsRef } from './ingestionPipeline';
import { createPlatformFunction } from './lambdaFunction';

/** The site's object in the processed bucket. */
export const SITE_KEY = 'site/index.html';

/** What the site needs of the lake (a DataLake satisfies it). */
export interface SiteLakeRef {
  readonly keyArn: pulumi.Input<string>;
  readonly rawBucketArn: pulumi.Input<string>;
  readonly processedBucketName: pulumi.Input<string>;
  readonly processedBucketArn: pulumi.Input<string>;
  readonly rawLakeUrl: pulumi.Input<string>;
  readonly processedLakeUrl: pulumi.Input<string>;
}

/** What a reader of the site (the notifier) is given: where it is, and GetObject on it only. */
export interface SiteReadAccess {
  /** `s3://<processed bucket>/site/index.html` (TRIBUTARY_SITE_LOCATION). */
  readonly location: pulumi.Output<string>;
  readonly statements: pulumi.Output<PolicyStatement[]>;
}

export function siteReadAccess(lake: Pick<SiteLakeRef, 'keyArn' | 'processedBucketName' | 'processedBucketArn'>): SiteReadAccess {
  return {
    location: pulumi.interpolate`s3://${lake.processedBucketName}/${SITE_KEY}`,
    statements: pulumi.all([lake.processedBucketArn, lake.keyArn]).apply(([bucket, key]) => [
      { Sid: 'ReadSite', Effect: 'Allow' as const, Action: 's3:GetObject', Resource: `${bucket}/site/*` },
      { Sid: 'SiteKey', Effect: 'Allow' as const, Action: 'kms:Decrypt', Resource: key },
    ]),
  };
}

export interface DocsSiteArgs extends PlatformArgs {
  readonly lake: SiteLakeRef;
  /** Failed builds (asynchronous invocations) go to the alert topic. */
  readonly alerts: AlertsRef;
  /** Each pipeline's state machine and its lake `<source>` name. */
  readonly pipelines: ReadonlyArray<{ readonly stateMachineArn: pulumi.Input<string>; readonly source: string }>;
  /** Folder of the build output (`dist`): `<bundleDir>/site` and `<bundleDir>/layer` (DuckDB parses the model SQL). */
  readonly bundleDir: string;
  readonly logRetentionDays: number;
  /** Rebuild schedule beside the after-each-run trigger. Default `rate(1 hour)`. */
  readonly schedule?: string;
  /** Newest runs the site shows. Default DEFAULTS.siteMaxRuns. */
  readonly maxRuns?: number;
  readonly logLevel?: string;
  readonly namePrefix?: string;
}

/** The site function's policy: read manifests, run records and state; write `site/*` and `runs/*`. */
export function docsSitePolicy(r: { rawBucketArn: string; processedBucketArn: string; lakeKeyArn: string; logGroupArn: string; alertTopicArn: string; alertKeyArn: string }) {
  const rawRead = ['manifests/extract/', 'runs/', 'state/'];
  return document(
    { Sid: 'ReadRunHistory', Effect: 'Allow', Action: 's3:GetObject', Resource: rawRead.map((p) => `${r.rawBucketArn}/${p}*`) },
    { Sid: 'ListRunHistory', Effect: 'Allow', Action: 's3:ListBucket', Resource: r.rawBucketArn, Condition: { StringLike: { 's3:prefix': rawRead.map((p) => `${p}*`) } } },
    { Sid: 'CloseFailedRuns', Effect: 'Allow', Action: 's3:PutObject', Resource: `${r.rawBucketArn}/runs/*` },
    { Sid: 'ReadTransformManifests', Effect: 'Allow', Action: 's3:GetObject', Resource: `${r.processedBucketArn}/manifests/transform/*` },
    { Sid: 'ListTransformManifests', Effect: 'Allow', Action: 's3:ListBucket', Resource: r.processedBucketArn, Condition: { StringLike: { 's3:prefix': ['manifests/transform/*'] } } },
    { Sid: 'WriteSite', Effect: 'Allow', Action: 's3:PutObject', Resource: `${r.processedBucketArn}/site/*` },
    { Sid: 'LakeKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: r.lakeKeyArn },
    ...publishStatements(r.alertTopicArn, r.alertKeyArn),
    ...logStatements(r.logGroupArn),
    xrayStatement(),
  );
}

export class DocsSite extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly layer: aws.lambda.LayerVersion;
  readonly afterRuns: aws.cloudwatch.EventRule;
  readonly scheduled: aws.cloudwatch.EventRule;
  /** `s3://<processed bucket>/site/index.html`. */
  readonly location: pulumi.Output<string>;

  constructor(name: string, args: DocsSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tributary:docs:DocsSite', name, {}, opts);
    const prefix = args.namePrefix ?? `tributary-${args.environment}`;
    const parent = { parent: this };
    this.location = pulumi.interpolate`s3://${args.lake.processedBucketName}/${SITE_KEY}`;
    this.layer = new aws.lambda.LayerVersion(
      `${name}-native-layer`,
      {
        layerName: `${prefix}-site-native`,
        description: 'Native dependencies of the docs site function (@duckdb/node-api parses the model SQL for lineage)',
        code: new pulumi.asset.FileArchive(join(args.bundleDir, 'layer')),
        compatibleRuntimes: [LAMBDA_RUNTIME],
        compatibleArchitectures: [LAMBDA_ARCHITECTURE],
      },
      parent,
    );
    const sources = pulumi
      .all(args.pipelines.map((p) => pulumi.output(p.stateMachineArn).apply((arn) => [arn, p.source] as const)))
      .apply((pairs) => JSON.stringify(Object.fromEntries(pairs)));
    const fn = createPlatformFunction(
      `${name}-function`,
      {
        functionName: `${prefix}-site`,
        codeDir: join(args.bundleDir, 'site'),
        memoryMb: 1024,
        timeoutSeconds: 300,
        environment: {
          [ENV.rawLake]: args.lake.rawLakeUrl,
          [ENV.processedLake]: args.lake.processedLakeUrl,
          [ENV.siteLocation]: this.location,
          [ENV.siteSources]: sources,
          [ENV.siteMaxRuns]: String(args.maxRuns ?? DEFAULTS.siteMaxRuns),
          [ENV.environment]: args.environment,
          [ENV.powertoolsServiceName]: 'tributary-site',
          [ENV.powertoolsMetricsNamespace]: DEFAULTS.metricsNamespace,
          [ENV.powertoolsLogLevel]: args.logLevel ?? DEFAULTS.logLevel,
        },
        policy: (logGroupArn) =>
          pulumi
            .all([logGroupArn, args.lake.rawBucketArn, args.lake.processedBucketArn, args.lake.keyArn, args.alerts.topicArn, args.alerts.keyArn])
            .apply(([logs, raw, processed, key, topic, topicKey]) =>
              docsSitePolicy({ rawBucketArn: raw, processedBucketArn: processed, lakeKeyArn: key, logGroupArn: logs, alertTopicArn: topic, alertKeyArn: topicKey }),
            ),
        deadLetterTargetArn: args.alerts.topicArn,
        layers: [this.layer.arn],
        logRetentionDays: args.logRetentionDays,
        logKmsKeyArn: args.lake.keyArn,
        logLevel: args.logLevel ?? DEFAULTS.logLevel,
        tags: args.tags,
      },
      this,
    );
    this.function = fn.function;
    this.role = fn.role;

    this.afterRuns = new aws.cloudwatch.EventRule(
      `${name}-after-runs`,
      {
        name: `${prefix}-site-after-runs`,
        description: 'Rebuilds the docs site when a pipeline execution ends',
        eventPattern: pulumi.all(args.pipelines.map((p) => p.stateMachineArn)).apply((arns) =>
          JSON.stringify({
            source: ['aws.states'],
            'detail-type': ['Step Functions Execution Status Change'],
            detail: { status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: arns },
          }),
        ),
        tags: args.tags,
      },
      parent,
    );
    this.scheduled = new aws.cloudwatch.EventRule(
      `${name}-schedule`,
      { name: `${prefix}-site-schedule`, description: 'Rebuilds the docs site (freshness moves when nothing runs)', scheduleExpression: args.schedule ?? 'rate(1 hour)', tags: args.tags },
      parent,
    );
    for (const [id, rule] of [['after-runs', this.afterRuns], ['schedule', this.scheduled]] as const) {
      const permission = new aws.lambda.Permission(
        `${name}-${id}-invoke`,
        { action: 'lambda:InvokeFunction', function: fn.function.name, principal: 'events.amazonaws.com', sourceArn: rule.arn },
        parent,
      );
      new aws.cloudwatch.EventTarget(`${name}-${id}-target`, { rule: rule.name, arn: fn.function.arn }, { parent: this, dependsOn: [permission] });
    }
    this.registerOutputs({ functionName: fn.function.name, location: this.location });
  }
}
