/**
 * The dev and prod stacks under Pulumi mocks (tests/support/pulumiMocks.ts runs the real program
 * in a child process): resource graph per component, least-privilege roles, tags, guardrails,
 * and the exact differences between the two stacks.
 */
import aslValidator from 'asl-validator';
import { buildBundles } from '../../scripts/build';
import { REQUIRED_TAG_KEYS } from '../../infra/tags';
import { alertTopicPolicy, AWS_REQUIRES_WILDCARD, type PolicyDocument, type PolicyStatement } from '../../infra/iam';
import { captureStackRun, isTaggableType, loadStackConfig, type CapturedResource, type CapturedStack } from '../support/pulumiMocks';

let dev: CapturedStack;
let prod: CapturedStack;
/** dev with the Snowflake storage integration configured (its values come from Snowflake, so not committed). */
let devWithIntegration: CapturedStack;
const SNOWFLAKE_INTEGRATION = { iamUserArn: 'arn:aws:iam::111122223333:user/abc1-b-self1234', externalId: 'MYACCOUNT_SFCRole=2_abcdefg=' };

beforeAll(async () => {
  // The program deploys the bundles; build them first (also what `npm run build` does), unless
  // `npm test` just did (scripts/test-steps.ts): the rehearsal runs them meanwhile.
  if (!process.env.TRIBUTARY_BUNDLES_BUILT) await buildBundles();
  const pipelines = (JSON.parse(loadStackConfig('dev').config['tributary:pipelines']) as Array<Record<string, Record<string, unknown>>>).map((p) =>
    p.warehouse.kind === 'snowflake' ? { ...p, warehouse: { ...p.warehouse, snowflakeIntegration: SNOWFLAKE_INTEGRATION } } : p,
  );
  [dev, prod, devWithIntegration] = await Promise.all([
    captureStackRun('dev'),
    captureStackRun('prod'),
    captureStackRun('dev', { config: { 'tributary:pipelines': JSON.stringify(pipelines) } }),
  ]);
}, 300_000); // bundles are built first; a loaded machine needs minutes

const FUNCTIONS = ['extract', 'transform', 'load', 'backfill', 'reconcile'] as const;

const byType = (s: CapturedStack, type: string): CapturedResource[] => s.resources.filter((r) => r.type === type);
const one = (s: CapturedStack, type: string, name: string): CapturedResource => {
  const found = s.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name} in ${s.stack}`);
  return found;
};
const component = (s: CapturedStack, type: string, name: string) => one(s, type, name);
const childrenOf = (s: CapturedStack, parent: CapturedResource): CapturedResource[] => s.resources.filter((r) => r.parent === parent.urn);
function typeCounts(resources: CapturedResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.type.split(':').pop()!] = (counts[r.type.split(':').pop()!] ?? 0) + 1;
  return counts;
}
const arnOf = (r: CapturedResource): string => r.outputs.arn as string;
const doc = (json: unknown): PolicyDocument => JSON.parse(json as string) as PolicyDocument;
const list = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v]);
/** Every (action, resource) pair a policy allows, as `action resource` strings. */
function grants(policy: PolicyDocument): string[] {
  return policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${a} ${r}`))).sort();
}
const rolePolicy = (s: CapturedStack, name: string): PolicyDocument => doc(one(s, 'aws:iam/rolePolicy:RolePolicy', name).inputs.policy);

describe.each(['dev', 'prod'] as const)('%s stack', (stackName) => {
  const s = (): CapturedStack => (stackName === 'dev' ? dev : prod);
  const config = () => loadStackConfig(stackName).config;

  test('every custom resource uses the explicit assume-role provider of the stack account', () => {
    const providers = byType(s(), 'pulumi:providers:aws');
    expect(providers).toHaveLength(1);
    const provider = providers[0];
    expect(JSON.parse(provider.inputs.allowedAccountIds as string)).toEqual([config()['tributary:accountId']]);
    expect(provider.inputs.region).toBe('eu-west-2');
    expect(JSON.parse(provider.inputs.assumeRoles as string)).toEqual([
      expect.objectContaining({ roleArn: config()['tributary:deployRoleArn'] }),
    ]);
    const custom = s().resources.filter((r) => r.custom && !r.type.startsWith('pulumi:providers:'));
    expect(custom.length).toBeGreaterThan(40);
    for (const r of custom) expect(`${r.type}::${r.name} ${r.provider}`).toBe(`${r.type}::${r.name} ${provider.urn}::${provider.outputs.id}`);
    // Pulumi.yaml disables default providers for every stack.
    expect(JSON.parse(loadStackConfig(stackName).config['pulumi:disable-default-providers'])).toEqual(['*']);
  });

  test('every resource hangs under a tributary component; nothing at top level but the provider and components', () => {
    const components = s().resources.filter((r) => !r.custom);
    for (const c of components) expect(c.type).toMatch(/^tributary:[a-z]+:[A-Z]\w+$/);
    const componentUrns = new Set(components.map((c) => c.urn));
    for (const r of s().resources.filter((x) => x.custom && !x.type.startsWith('pulumi:providers:'))) {
      expect(componentUrns.has(r.parent ?? '')).toBe(true);
    }
  });

  test('DataLake: key with rotation, two guarded buckets, lifecycle from config', () => {
    const lake = component(s(), 'tributary:lake:DataLake', 'lake');
    expect(typeCounts(childrenOf(s(), lake))).toEqual({
      Key: 1,
      Alias: 1,
      Bucket: 2,
      BucketServerSideEncryptionConfiguration: 2,
      BucketVersioning: 2,
      BucketPublicAccessBlock: 2,
      BucketOwnershipControls: 2,
      BucketPolicy: 2,
      BucketLifecycleConfiguration: 2,
    });
    const key = one(s(), 'aws:kms/key:Key', 'lake-key');
    expect(key.inputs.enableKeyRotation).toBe(true);
    const lakeCfg = JSON.parse(config()['tributary:lake']) as Record<string, number | boolean>;
    for (const zone of ['raw', 'processed']) {
      const bucket = one(s(), 'aws:s3/bucket:Bucket', `lake-${zone}`);
      expect(bucket.inputs.forceDestroy).toBe(lakeCfg.forceDestroy);
      expect(one(s(), 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', `lake-${zone}-encryption`).inputs.rules).toEqual([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: arnOf(key) }, bucketKeyEnabled: true },
      ]);
      expect(one(s(), 'aws:s3/bucketVersioning:BucketVersioning', `lake-${zone}-versioning`).inputs.versioningConfiguration).toEqual({ status: 'Enabled' });
      expect(one(s(), 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', `lake-${zone}-public-access`).inputs).toEqual(
        expect.objectContaining({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
      );
      expect(one(s(), 'aws:s3/bucketOwnershipControls:BucketOwnershipControls', `lake-${zone}-ownership`).inputs.rule).toEqual({ objectOwnership: 'BucketOwnerEnforced' });
      const tls = doc(one(s(), 'aws:s3/bucketPolicy:BucketPolicy', `lake-${zone}-tls-only`).inputs.policy);
      expect(tls.Statement).toEqual([
        expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [arnOf(bucket), `${arnOf(bucket)}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]);
    }
    const rawRules = one(s(), 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', 'lake-raw-lifecycle').inputs.rules as Array<Record<string, unknown>>;
    expect(rawRules[0]).toEqual(
      expect.objectContaining({
        status: 'Enabled',
        filter: { prefix: 'raw/' },
        transitions: [
          { days: lakeCfg.rawInfrequentAccessAfterDays, storageClass: 'STANDARD_IA' },
          { days: lakeCfg.rawArchiveAfterDays, storageClass: 'GLACIER_IR' },
        ],
      }),
    );
    expect(rawRules[1].noncurrentVersionExpiration).toEqual({ noncurrentDays: lakeCfg.noncurrentVersionExpirationDays });
  });

  test('AlertingChannel: encrypted topic, Slack notifier with its token in Secrets Manager', () => {
    const alerts = component(s(), 'tributary:alerting:AlertingChannel', 'alerts');
    const alerting = JSON.parse(config()['tributary:alerting']) as { slackChannel: string; email?: string };
    expect(typeCounts(childrenOf(s(), alerts))).toEqual({
      Key: 1,
      Alias: 1,
      Topic: 1,
      TopicPolicy: 1,
      Secret: 1,
      SecretVersion: 1,
      Queue: 1,
      LogGroup: 1,
      Role: 1,
      RolePolicy: 1,
      Function: 1,
      Permission: 1,
      TopicSubscription: alerting.email ? 2 : 1,
    });
    const key = one(s(), 'aws:kms/key:Key', 'alerts-key');
    expect(key.inputs.enableKeyRotation).toBe(true);
    expect(one(s(), 'aws:sns/topic:Topic', 'alerts-topic').inputs.kmsMasterKeyId).toBe(arnOf(key));
    const secret = one(s(), 'aws:secretsmanager/secret:Secret', 'alerts-slack-token');
    expect(secret.inputs.kmsKeyId).toBe(arnOf(key));
    expect(one(s(), 'aws:secretsmanager/secretVersion:SecretVersion', 'alerts-slack-token-value').inputs.secretString).toBe('{"token":"xoxb-mock-slack-token"}');
    const notifier = one(s(), 'aws:lambda/function:Function', 'alerts-notifier');
    const notifierVars = (notifier.inputs.environment as { variables: Record<string, string> }).variables;
    expect(notifierVars).toEqual(expect.objectContaining({ TRIBUTARY_SLACK_SECRET_ARN: arnOf(secret), TRIBUTARY_SLACK_CHANNEL: alerting.slackChannel }));
    // Only what the notifier reads (the rehearsal fails on an unread variable): alerts name their
    // environment, and it emits no metrics.
    expect(notifierVars).not.toHaveProperty('TRIBUTARY_ENVIRONMENT');
    expect(notifierVars).not.toHaveProperty('POWERTOOLS_METRICS_NAMESPACE');
    // Console links: the prefix, with the alert's pipeline filled in, names every pipeline function's log group.
    expect(notifierVars.TRIBUTARY_LOG_GROUP_PREFIX).toBe(`/aws/lambda/tributary-${stackName}-{pipeline}-`);
    for (const fn of byType(s(), 'aws:lambda/function:Function').filter((f) => f.name.startsWith('totesys-'))) {
      expect((fn.inputs.loggingConfig as { logGroup: string }).logGroup.startsWith(notifierVars.TRIBUTARY_LOG_GROUP_PREFIX.replace('{pipeline}', 'totesys'))).toBe(true);
    }
    const sub = one(s(), 'aws:sns/topicSubscription:TopicSubscription', 'alerts-notifier-subscription');
    expect(sub.inputs).toEqual(expect.objectContaining({ protocol: 'lambda', endpoint: arnOf(notifier), topic: arnOf(one(s(), 'aws:sns/topic:Topic', 'alerts-topic')) }));
    const email = s().resources.find((r) => r.name === 'alerts-email');
    if (alerting.email) expect(email?.inputs).toEqual(expect.objectContaining({ protocol: 'email', endpoint: alerting.email }));
    else expect(email).toBeUndefined();
    expect(grants(rolePolicy(s(), 'alerts-notifier-policy'))).toEqual(
      [
        `secretsmanager:GetSecretValue ${arnOf(secret)}`,
        `kms:Decrypt ${arnOf(key)}`,
        `kms:GenerateDataKey ${arnOf(key)}`,
        `sqs:SendMessage ${arnOf(one(s(), 'aws:sqs/queue:Queue', 'alerts-notifier-dlq'))}`,
        // The alerts' link to the deployed site: presigned with the notifier's role, which reads site/* only.
        `s3:GetObject ${arnOf(one(s(), 'aws:s3/bucket:Bucket', 'lake-processed'))}/site/*`,
        `kms:Decrypt ${arnOf(one(s(), 'aws:kms/key:Key', 'lake-key'))}`,
        `logs:CreateLogStream ${arnOf(one(s(), 'aws:cloudwatch/logGroup:LogGroup', 'alerts-notifier-logs'))}:*`,
        `logs:PutLogEvents ${arnOf(one(s(), 'aws:cloudwatch/logGroup:LogGroup', 'alerts-notifier-logs'))}:*`,
        'xray:PutTraceSegments *',
        'xray:PutTelemetryRecords *',
      ].sort(),
    );
  });

  test('DocsSite: rebuilt after every execution and hourly; reads run history, writes site/* (and closes runs/*) only', () => {
    const raw = arnOf(one(s(), 'aws:s3/bucket:Bucket', 'lake-raw'));
    const processed = one(s(), 'aws:s3/bucket:Bucket', 'lake-processed');
    const lakeKey = arnOf(one(s(), 'aws:kms/key:Key', 'lake-key'));
    const logs = `${arnOf(one(s(), 'aws:cloudwatch/logGroup:LogGroup', 'site-function-logs'))}:*`;
    expect(grants(rolePolicy(s(), 'site-function-policy'))).toEqual(
      [
        ...['manifests/extract/', 'runs/', 'state/'].map((p) => `s3:GetObject ${raw}/${p}*`),
        `s3:ListBucket ${raw}`,
        `s3:PutObject ${raw}/runs/*`,
        `s3:GetObject ${arnOf(processed)}/manifests/transform/*`,
        `s3:ListBucket ${arnOf(processed)}`,
        `s3:PutObject ${arnOf(processed)}/site/*`,
        `kms:Decrypt ${lakeKey}`,
        `kms:GenerateDataKey ${lakeKey}`,
        `sns:Publish ${arnOf(one(s(), 'aws:sns/topic:Topic', 'alerts-topic'))}`,
        `kms:GenerateDataKey ${arnOf(one(s(), 'aws:kms/key:Key', 'alerts-key'))}`,
        `kms:Decrypt ${arnOf(one(s(), 'aws:kms/key:Key', 'alerts-key'))}`,
        `logs:CreateLogStream ${logs}`,
        `logs:PutLogEvents ${logs}`,
        'xray:PutTraceSegments *',
        'xray:PutTelemetryRecords *',
      ].sort(),
    );
    const machines = byType(s(), 'aws:sfn/stateMachine:StateMachine').map(arnOf).sort();
    const pattern = JSON.parse(one(s(), 'aws:cloudwatch/eventRule:EventRule', 'site-after-runs').inputs.eventPattern as string) as { source: string[]; detail: { status: string[]; stateMachineArn: string[] } };
    expect(pattern.source).toEqual(['aws.states']);
    expect(pattern.detail.status).toEqual(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
    expect([...pattern.detail.stateMachineArn].sort()).toEqual(machines);
    expect(one(s(), 'aws:cloudwatch/eventRule:EventRule', 'site-schedule').inputs.scheduleExpression).toBe('rate(1 hour)');
    const vars = (one(s(), 'aws:lambda/function:Function', 'site-function').inputs.environment as { variables: Record<string, string> }).variables;
    const location = `s3://${processed.outputs.bucket as string}/site/index.html`;
    expect(vars.TRIBUTARY_SITE_LOCATION).toBe(location);
    expect(Object.keys(JSON.parse(vars.TRIBUTARY_SITE_SOURCES) as Record<string, string>).sort()).toEqual(machines);
    // No secret reaches the site function: it renders from the lake alone.
    expect(Object.keys(vars).filter((k) => k.includes('SECRET'))).toEqual([]);
    expect((one(s(), 'aws:lambda/function:Function', 'alerts-notifier').inputs.environment as { variables: Record<string, string> }).variables.TRIBUTARY_SITE_LOCATION).toBe(location);
    expect(s().outputs.siteLocation).toBe(location);
    for (const id of ['after-runs', 'schedule']) {
      expect(one(s(), 'aws:lambda/permission:Permission', `site-${id}-invoke`).inputs).toEqual(
        expect.objectContaining({ principal: 'events.amazonaws.com', sourceArn: arnOf(one(s(), 'aws:cloudwatch/eventRule:EventRule', `site-${id}`)) }),
      );
    }
  });

  test('IngestionPipeline: functions, roles, logs, state machine, schedule, alarms', () => {
    const pipeline = component(s(), 'tributary:pipeline:IngestionPipeline', 'totesys');
    const counts = typeCounts(childrenOf(s(), pipeline));
    // prod uses an existing warehouse secret (config), dev has the component create both.
    const ownSecrets = stackName === 'dev' ? 2 : 1;
    expect(counts).toEqual({
      ...(ownSecrets ? { Secret: ownSecrets } : {}),
      LayerVersion: 1,
      Function: 5,
      Role: 7,
      // 7 least-privilege policies, and the ENI permissions of the 5 functions in the VPC (networks.test.ts).
      RolePolicy: 12,
      LogGroup: 6,
      StateMachine: 1,
      ScheduleGroup: 1,
      Schedule: 2,
      MetricAlarm: 7,
    });
    const retention = Number(config()['tributary:logRetentionDays']);
    for (const lg of childrenOf(s(), pipeline).filter((r) => r.type === 'aws:cloudwatch/logGroup:LogGroup')) expect(lg.inputs.retentionInDays).toBe(retention);
    for (const step of FUNCTIONS) {
      const fn = one(s(), 'aws:lambda/function:Function', `totesys-${step}`);
      expect(fn.inputs).toEqual(expect.objectContaining({ runtime: 'nodejs22.x', handler: 'index.handler', architectures: ['x86_64'] }));
      expect(fn.inputs.layers).toEqual([arnOf(one(s(), 'aws:lambda/layerVersion:LayerVersion', 'totesys-native-layer'))]);
      expect(fn.inputs.deadLetterConfig).toEqual({ targetArn: arnOf(one(s(), 'aws:sns/topic:Topic', 'alerts-topic')) });
      expect(fn.inputs.role).toBe(arnOf(one(s(), 'aws:iam/role:Role', `totesys-${step}-role`)));
      expect(fn.inputs.code).toEqual({ archive: { path: expect.stringMatching(new RegExp(`/dist/${step}$`)) } });
    }
    const schedule = one(s(), 'aws:scheduler/schedule:Schedule', 'totesys-schedule');
    const pipelineCfg = (JSON.parse(config()['tributary:pipelines']) as Array<{ schedule: string; freshnessSlaMinutes: number }>)[0];
    expect(schedule.inputs.scheduleExpression).toBe(pipelineCfg.schedule);
    const sm = one(s(), 'aws:sfn/stateMachine:StateMachine', 'totesys-state-machine');
    expect(schedule.inputs.target).toEqual(expect.objectContaining({ arn: arnOf(sm), roleArn: arnOf(one(s(), 'aws:iam/role:Role', 'totesys-scheduler-role')) }));
    expect(grants(rolePolicy(s(), 'totesys-scheduler-policy'))).toEqual([`states:StartExecution ${arnOf(sm)}`]);
    // Reconciliation: its own schedule, same state machine (so the single-flight guard applies), mode in the input.
    const reconcile = one(s(), 'aws:scheduler/schedule:Schedule', 'totesys-reconcile-schedule');
    expect(reconcile.inputs).toEqual(
      expect.objectContaining({ name: `tributary-${stackName}-totesys-reconcile`, scheduleExpression: 'rate(1 day)', state: 'ENABLED', groupName: schedule.inputs.groupName }),
    );
    expect(reconcile.inputs.target).toEqual(
      expect.objectContaining({ arn: arnOf(sm), roleArn: arnOf(one(s(), 'aws:iam/role:Role', 'totesys-scheduler-role')) }),
    );
    expect(JSON.parse((reconcile.inputs.target as { input: string }).input)).toEqual({ trigger: 'schedule', mode: 'reconcile' });
    expect(JSON.parse((schedule.inputs.target as { input: string }).input)).toEqual({ trigger: 'schedule' });

    const alarms = childrenOf(s(), pipeline).filter((r) => r.type === 'aws:cloudwatch/metricAlarm:MetricAlarm');
    const topic = arnOf(one(s(), 'aws:sns/topic:Topic', 'alerts-topic'));
    for (const a of alarms) expect(a.inputs.alarmActions).toEqual([topic]);
    expect(alarms.map((a) => a.name).sort()).toEqual(
      [...FUNCTIONS.map((f) => `totesys-${f}-errors`), 'totesys-failed-executions', 'totesys-data-freshness'].sort(),
    );
    const freshness = one(s(), 'aws:cloudwatch/metricAlarm:MetricAlarm', 'totesys-data-freshness');
    expect(freshness.inputs.treatMissingData).toBe('breaching');
    const queries = freshness.inputs.metricQueries as Array<{ metric?: { period: number; dimensions: Record<string, string> } }>;
    for (const q of queries.filter((x) => x.metric)) {
      expect(q.metric!.period).toBe(pipelineCfg.freshnessSlaMinutes * 60);
      expect(q.metric!.dimensions.FunctionName).toBe('tributary-' + stackName + '-totesys-load');
    }
    const failed = one(s(), 'aws:cloudwatch/metricAlarm:MetricAlarm', 'totesys-failed-executions');
    expect(JSON.stringify(failed.inputs.metricQueries)).toContain(arnOf(sm));
  });

  test('each function gets the runtime contract environment its bundle reads, no more', () => {
    const raw = one(s(), 'aws:s3/bucket:Bucket', 'lake-raw');
    const processed = one(s(), 'aws:s3/bucket:Bucket', 'lake-processed');
    const pipelineSecrets = (s().outputs.pipelineSecrets as Record<string, { source: string; warehouse: string }>).totesys;
    for (const step of FUNCTIONS) {
      const vars = (one(s(), 'aws:lambda/function:Function', `totesys-${step}`).inputs.environment as { variables: Record<string, string> }).variables;
      expect(vars).toEqual({
        ...(step === 'backfill' ? { TRIBUTARY_CHUNK_ROWS: '1000000' } : {}),
        TRIBUTARY_PIPELINE: 'totesys',
        TRIBUTARY_SOURCE_KIND: 'postgres',
        TRIBUTARY_SOURCE_NAME: 'totesys',
        TRIBUTARY_RAW_LAKE: `s3://${raw.outputs.bucket as string}`,
        TRIBUTARY_PROCESSED_LAKE: `s3://${processed.outputs.bucket as string}`,
        // The source's secret to the functions that read the source, the warehouse's to those that
        // write or compare it, the alert topic to those that publish data-quality alerts.
        ...(['extract', 'backfill', 'reconcile'].includes(step) ? { TRIBUTARY_SOURCE_SECRET_ARN: pipelineSecrets.source } : {}),
        TRIBUTARY_WAREHOUSE_KIND: 'postgres',
        ...(['load', 'reconcile'].includes(step) ? { TRIBUTARY_WAREHOUSE_SECRET_ARN: pipelineSecrets.warehouse } : {}),
        ...(['extract', 'load', 'reconcile'].includes(step) ? { TRIBUTARY_ALERT_TOPIC_ARN: arnOf(one(s(), 'aws:sns/topic:Topic', 'alerts-topic')) } : {}),
        TRIBUTARY_ENVIRONMENT: stackName,
        POWERTOOLS_SERVICE_NAME: `tributary-${step}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Tributary',
        POWERTOOLS_LOG_LEVEL: stackName === 'dev' ? 'DEBUG' : 'INFO',
      });
    }
  });

  test('each pipeline role allows exactly what its function needs', () => {
    const raw = arnOf(one(s(), 'aws:s3/bucket:Bucket', 'lake-raw'));
    const processed = arnOf(one(s(), 'aws:s3/bucket:Bucket', 'lake-processed'));
    const lakeKey = arnOf(one(s(), 'aws:kms/key:Key', 'lake-key'));
    const alertKey = arnOf(one(s(), 'aws:kms/key:Key', 'alerts-key'));
    const topic = arnOf(one(s(), 'aws:sns/topic:Topic', 'alerts-topic'));
    const secrets = (s().outputs.pipelineSecrets as Record<string, { source: string; warehouse: string }>).totesys;
    const logs = (step: string) => `${arnOf(one(s(), 'aws:cloudwatch/logGroup:LogGroup', `totesys-${step}-logs`))}:*`;
    // Only extract, load and reconcile publish alerts themselves (transform and backfill never do).
    const commonGrants = (step: string, kms: string[]) => [
      ...kms.map((a) => `${a} ${lakeKey}`),
      ...(['extract', 'load', 'reconcile'].includes(step) ? [`sns:Publish ${topic}`, `kms:GenerateDataKey ${alertKey}`, `kms:Decrypt ${alertKey}`] : []),
      `logs:CreateLogStream ${logs(step)}`,
      `logs:PutLogEvents ${logs(step)}`,
      'xray:PutTraceSegments *',
      'xray:PutTelemetryRecords *',
    ];
    const rw = (bucket: string, prefixes: string[]) => prefixes.flatMap((p) => ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'].map((a) => `${a} ${bucket}/${p}*`));
    const read = (bucket: string, prefixes: string[]) => prefixes.map((p) => `s3:GetObject ${bucket}/${p}*`);
    const write = (bucket: string, prefixes: string[]) => prefixes.flatMap((p) => ['s3:PutObject', 's3:AbortMultipartUpload'].map((a) => `${a} ${bucket}/${p}*`));

    // Extract and backfill write raw objects and never read them back; they read their state and
    // the extract manifests. Only a REST extract deletes a partial raw object (none here).
    expect(grants(rolePolicy(s(), 'totesys-extract-policy'))).toEqual(
      [
        ...write(raw, ['raw/totesys/', 'manifests/extract/', 'state/totesys/']),
        ...read(raw, ['manifests/extract/', 'state/totesys/']),
        `s3:ListBucket ${raw}`,
        `secretsmanager:GetSecretValue ${secrets.source}`,
        ...rw(raw, ['runs/totesys/']),
        `s3:ListBucket ${raw}`,
        ...commonGrants('extract', ['kms:Decrypt', 'kms:GenerateDataKey']),
      ].sort(),
    );
    expect(grants(rolePolicy(s(), 'totesys-transform-policy'))).toEqual(
      [
        ...read(raw, ['raw/totesys/', 'manifests/extract/']),
        ...rw(raw, ['state/totesys/']),
        `s3:ListBucket ${raw}`,
        ...write(processed, ['processed/', 'manifests/transform/']),
        // Reads back the current reference tables it wrote (the rehearsal's data-test-breach run found it missing).
        ...read(processed, ['processed/totesys_current/']),
        // Updates the run record extract made: no list grant (the rehearsal found it unused).
        ...rw(raw, ['runs/totesys/']),
        ...commonGrants('transform', ['kms:Decrypt', 'kms:GenerateDataKey']),
      ].sort(),
    );
    expect(grants(rolePolicy(s(), 'totesys-load-policy'))).toEqual(
      [
        ...read(processed, ['processed/', 'manifests/transform/']),
        `s3:ListBucket ${processed}`,
        `secretsmanager:GetSecretValue ${secrets.warehouse}`,
        ...rw(raw, ['runs/totesys/']),
        ...commonGrants('load', ['kms:Decrypt', 'kms:GenerateDataKey']),
      ].sort(),
    );
    expect(grants(rolePolicy(s(), 'totesys-backfill-policy'))).toEqual(
      [
        ...write(raw, ['raw/totesys/', 'manifests/extract/', 'state/totesys/']),
        ...read(raw, ['manifests/extract/', 'state/totesys/']),
        `s3:DeleteObject ${raw}/state/totesys/_backfill.json`,
        `s3:ListBucket ${raw}`,
        `secretsmanager:GetSecretValue ${secrets.source}`,
        ...commonGrants('backfill', ['kms:Decrypt', 'kms:GenerateDataKey']),
      ].sort(),
    );
    expect(grants(rolePolicy(s(), 'totesys-reconcile-policy'))).toEqual(
      [
        ...rw(raw, ['raw/totesys/', 'manifests/extract/', 'state/totesys/']),
        `s3:DeleteObject ${raw}/state/totesys/_lock.json`,
        `s3:ListBucket ${raw}`,
        ...rw(processed, ['processed/', 'manifests/transform/']),
        `s3:ListBucket ${processed}`,
        `secretsmanager:GetSecretValue ${secrets.source}`,
        `secretsmanager:GetSecretValue ${secrets.warehouse}`,
        ...commonGrants('reconcile', ['kms:Decrypt', 'kms:GenerateDataKey']),
      ].sort(),
    );
    // Listing is limited to the same prefixes.
    const listCondition = (name: string) =>
      (rolePolicy(s(), name).Statement.find((st) => st.Action === 's3:ListBucket') as PolicyStatement).Condition;
    expect(listCondition('totesys-extract-policy')).toEqual({ StringLike: { 's3:prefix': ['manifests/extract/*', 'state/totesys/*'] } });
    expect(listCondition('totesys-load-policy')).toEqual({ StringLike: { 's3:prefix': ['processed/*', 'manifests/transform/*'] } });
    expect(listCondition('totesys-backfill-policy')).toEqual({ StringLike: { 's3:prefix': ['manifests/extract/*', 'state/totesys/*'] } });
    const reconcileLists = rolePolicy(s(), 'totesys-reconcile-policy').Statement.filter((st) => st.Action === 's3:ListBucket');
    expect(reconcileLists.map((st) => [st.Resource, st.Condition])).toEqual([
      [raw, { StringLike: { 's3:prefix': ['raw/totesys/*', 'manifests/extract/*', 'state/totesys/*'] } }],
      [processed, { StringLike: { 's3:prefix': ['processed/*', 'manifests/transform/*'] } }],
    ]);

    const sm = arnOf(one(s(), 'aws:sfn/stateMachine:StateMachine', 'totesys-state-machine'));
    const fnArn = (step: string) => arnOf(one(s(), 'aws:lambda/function:Function', `totesys-${step}`));
    const executions = sm.replace(':stateMachine:', ':execution:');
    expect(executions).toBe(`arn:aws:states:eu-west-2:${config()['tributary:accountId']}:execution:tributary-${stackName}-totesys`);
    expect(grants(rolePolicy(s(), 'totesys-state-machine-policy'))).toEqual(
      [
        ...FUNCTIONS.map((st) => `lambda:InvokeFunction ${fnArn(st)}`),
        `states:ListExecutions ${sm}`,
        // Distributed Map (backfill): child executions of its own machine, the chunk list, the lake key.
        `states:StartExecution ${sm}`,
        `states:DescribeExecution ${executions}/*`,
        `states:StopExecution ${executions}/*`,
        `s3:GetObject ${raw}/state/totesys/_backfill/*`,
        `kms:Decrypt ${lakeKey}`,
        `sns:Publish ${topic}`,
        `kms:GenerateDataKey ${alertKey}`,
        `kms:Decrypt ${alertKey}`,
        ...AWS_REQUIRES_WILDCARD.filter((a) => a.startsWith('logs:') || a.startsWith('xray:')).map((a) => `${a} *`),
      ].sort(),
    );
  });

  test('no role policy has a wildcard action, or a * resource outside what AWS requires; no managed policies', () => {
    const policies = byType(s(), 'aws:iam/rolePolicy:RolePolicy');
    // dev: notifier + site + 3 pipelines (totesys 7, recurly 5, totesys-redshift 7); prod: notifier + site + totesys 7 + delivery 4;
    // and one network policy per function in a VPC (dev: totesys 5, totesys-redshift 4; prod: totesys 5).
    expect(policies.length).toBe(stackName === 'dev' ? 30 : 18);
    for (const p of policies) {
      for (const st of doc(p.inputs.policy).Statement) {
        for (const action of list(st.Action)) expect(`${p.name}: ${action}`).not.toMatch(/\*/);
        if (list(st.Resource).includes('*')) {
          for (const action of list(st.Action)) expect(AWS_REQUIRES_WILDCARD).toContain(action);
        }
        for (const resource of list(st.Resource)) expect(resource === '*' || resource.startsWith('arn:aws:')).toBe(true);
      }
    }
    expect(byType(s(), 'aws:iam/rolePolicyAttachment:RolePolicyAttachment')).toHaveLength(0);
    for (const role of byType(s(), 'aws:iam/role:Role')) {
      expect(role.inputs.managedPolicyArns).toBeUndefined();
      const trust = doc(role.inputs.assumeRolePolicy);
      expect(trust.Statement).toHaveLength(1);
      expect(trust.Statement[0].Action).toBe('sts:AssumeRole');
    }
  });

  test("the alert topic's policy is the stack's publishers only, and service roles trust only their own resource", () => {
    const topic = one(s(), 'aws:sns/topic:Topic', 'alerts-topic');
    const topicPolicy = one(s(), 'aws:sns/topicPolicy:TopicPolicy', 'alerts-topic-policy');
    const account = config()['tributary:accountId'] ?? arnOf(topic).split(':')[4];
    expect(topicPolicy.inputs.arn).toBe(arnOf(topic));
    expect(doc(topicPolicy.inputs.policy)).toEqual(
      alertTopicPolicy({ topicArn: arnOf(topic), accountId: account, region: arnOf(topic).split(':')[3], partition: 'aws', namePrefix: `tributary-${stackName}` }),
    );
    // Every role a service assumes names the resource that may assume it (aws:SourceArn).
    const sourceArn: Record<string, RegExp> = {
      'states.amazonaws.com': new RegExp(`^arn:aws:states:[a-z0-9-]+:${account}:stateMachine:tributary-${stackName}-[a-z][a-z0-9-]*$`),
      'scheduler.amazonaws.com': new RegExp(`^arn:aws:scheduler:[a-z0-9-]+:${account}:schedule-group/tributary-${stackName}-[a-z][a-z0-9-]*$`),
      'codebuild.amazonaws.com': new RegExp(`^arn:aws:codebuild:[a-z0-9-]+:${account}:project/tributary-${stackName}-[a-z-]+$`),
      'codepipeline.amazonaws.com': new RegExp(`^arn:aws:codepipeline:[a-z0-9-]+:${account}:tributary-${stackName}-delivery$`),
    };
    let checked = 0;
    for (const role of byType(s(), 'aws:iam/role:Role')) {
      const [st] = doc(role.inputs.assumeRolePolicy).Statement;
      const service = st.Principal && st.Principal !== '*' && 'Service' in st.Principal ? String(st.Principal.Service) : '';
      if (!sourceArn[service]) continue;
      checked++;
      expect(st.Condition?.StringEquals?.['aws:SourceAccount']).toBe(account);
      expect(String(st.Condition?.ArnLike?.['aws:SourceArn'])).toMatch(sourceArn[service]);
    }
    expect(checked).toBeGreaterThanOrEqual(stackName === 'prod' ? 5 : 4);
  });

  test('every log group has retention and is encrypted with a key whose policy admits CloudWatch Logs for it', () => {
    const retention = Number(config()['tributary:logRetentionDays']);
    const keys = new Map(byType(s(), 'aws:kms/key:Key').map((k) => [arnOf(k), k]));
    const groups = byType(s(), 'aws:cloudwatch/logGroup:LogGroup');
    // dev: notifier + site + totesys 6 + recurly 4 + totesys-redshift 5; prod: notifier + site + totesys 6 + delivery 3.
    expect(groups.length).toBe(stackName === 'dev' ? 17 : 11);
    const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    for (const g of groups) {
      expect(g.inputs.retentionInDays).toBe(retention);
      const key = keys.get(g.inputs.kmsKeyId as string);
      expect(`${g.name} key ${key ? 'found' : 'missing'}`).toBe(`${g.name} key found`);
      const statement = doc(key!.inputs.policy).Statement.find((st) => st.Sid === 'CloudWatchLogsEncrypt')!;
      expect(statement.Principal).toEqual({ Service: 'logs.eu-west-2.amazonaws.com' });
      const patterns = list(statement.Condition!.ArnLike['kms:EncryptionContext:aws:logs:arn'] as string[]);
      expect(patterns.some((pattern) => glob(pattern).test(arnOf(g)))).toBe(true);
    }
    // Pipeline logs use the lake key, the notifier's the alert key.
    expect(one(s(), 'aws:cloudwatch/logGroup:LogGroup', 'totesys-extract-logs').inputs.kmsKeyId).toBe(arnOf(one(s(), 'aws:kms/key:Key', 'lake-key')));
    expect(one(s(), 'aws:cloudwatch/logGroup:LogGroup', 'alerts-notifier-logs').inputs.kmsKeyId).toBe(arnOf(one(s(), 'aws:kms/key:Key', 'alerts-key')));
    // Every key keeps IAM delegation in its own account, and rotates.
    for (const key of keys.values()) {
      expect(key.inputs.enableKeyRotation).toBe(true);
      expect(doc(key.inputs.policy).Statement[0]).toEqual(
        expect.objectContaining({ Principal: { AWS: `arn:aws:iam::${config()['tributary:accountId']}:root` }, Action: 'kms:*' }),
      );
    }
  });

  test('the state machine definition is valid ASL, wires the functions and alerts on failure', () => {
    const sm = one(s(), 'aws:sfn/stateMachine:StateMachine', 'totesys-state-machine');
    const definition = JSON.parse(sm.inputs.definition as string) as { StartAt: string; States: Record<string, Record<string, unknown>> };
    expect(aslValidator(definition)).toMatchObject({ isValid: true, errors: [] });
    expect(definition.StartAt).toBe('SingleFlightGuard');
    for (const [state, step] of [['Extract', 'extract'], ['Transform', 'transform'], ['Load', 'load']]) {
      expect((definition.States[state].Parameters as { FunctionName: string }).FunctionName).toBe(arnOf(one(s(), 'aws:lambda/function:Function', `totesys-${step}`)));
    }
    expect((definition.States.NotifyFailure.Parameters as { TopicArn: string }).TopicArn).toBe(arnOf(one(s(), 'aws:sns/topic:Topic', 'alerts-topic')));
    const backfillArn = arnOf(one(s(), 'aws:lambda/function:Function', 'totesys-backfill'));
    expect(definition.States.BackfillPlan.Parameters).toEqual({ FunctionName: backfillArn, Payload: { action: 'plan' } });
    expect(definition.States.BackfillChunks).toMatchObject({
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: one(s(), 'aws:s3/bucket:Bucket', 'lake-raw').outputs.bucket, 'Key.$': '$.backfill.Payload.chunksKey' } },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, States: { BackfillChunk: { Parameters: { FunctionName: backfillArn, 'Payload.$': '$' } } } },
      MaxConcurrency: 10,
    });
    expect((definition.States.Reconcile.Parameters as { FunctionName: string }).FunctionName).toBe(arnOf(one(s(), 'aws:lambda/function:Function', 'totesys-reconcile')));
    expect(sm.inputs.roleArn).toBe(arnOf(one(s(), 'aws:iam/role:Role', 'totesys-state-machine-role')));
    expect(sm.inputs.loggingConfiguration).toEqual(expect.objectContaining({ level: 'ERROR' }));
  });

  test('every taggable resource carries the five required tags from the stack config', () => {
    const expected = JSON.parse(config()['tributary:tags']) as Record<string, string>;
    const taggable = s().resources.filter((r) => r.custom && isTaggableType(r.type));
    expect(taggable.length).toBeGreaterThan(30);
    for (const r of taggable) {
      const tags = (r.inputs.tags ?? {}) as Record<string, string>;
      for (const key of REQUIRED_TAG_KEYS) expect(`${r.type}::${r.name} ${key}=${tags[key]}`).toBe(`${r.type}::${r.name} ${key}=${expected[key]}`);
    }
    expect(expected.environment).toBe(stackName);
  });
});

describe('dev: the Recurly (REST) → Snowflake pipeline, from configuration alone', () => {
  const recurlyVars = (step: string) => (one(dev, 'aws:lambda/function:Function', `recurly-${step}`).inputs.environment as { variables: Record<string, string> }).variables;

  test('two IngestionPipelines from the same component; recurly has no backfill or reconcile branch', () => {
    expect(byType(dev, 'tributary:pipeline:IngestionPipeline').map((p) => p.name)).toEqual(['totesys', 'recurly', 'totesys-redshift']);
    expect(byType(prod, 'tributary:pipeline:IngestionPipeline').map((p) => p.name)).toEqual(['totesys']);
    expect(typeCounts(childrenOf(dev, component(dev, 'tributary:pipeline:IngestionPipeline', 'recurly')))).toEqual({
      Secret: 2,
      LayerVersion: 1,
      Function: 3,
      Role: 5,
      RolePolicy: 5,
      LogGroup: 4,
      StateMachine: 1,
      ScheduleGroup: 1,
      Schedule: 1,
      MetricAlarm: 5,
    });
    expect(one(dev, 'aws:scheduler/schedule:Schedule', 'recurly-schedule').inputs.scheduleExpression).toBe('rate(1 hour)');
    const sm = one(dev, 'aws:sfn/stateMachine:StateMachine', 'recurly-state-machine');
    expect(sm.inputs.name).toBe('tributary-dev-recurly');
    const definition = JSON.parse(sm.inputs.definition as string) as { States: Record<string, Record<string, unknown>> };
    expect(aslValidator(definition)).toMatchObject({ isValid: true, errors: [] });
    expect(Object.keys(definition.States).filter((k) => /Backfill|Reconcile|WaitFor/.test(k))).toEqual([]);
    expect(definition.States.AnotherRunActive.Default).toBe('Extract');
    // Snowflake runs each unit's load as a detached statement: the machine polls it through the load function.
    expect(Object.keys(definition.States).filter((k) => /Statement|Poll/.test(k)).sort()).toEqual(
      ['LoadPollBound', 'LoadPollCount', 'LoadPollStart', 'LoadStatementEnded', 'LoadStatementPoll', 'LoadStatementPollFailed', 'LoadStatementPollOutputCheck', 'LoadStatementPollOutputInvalid', 'LoadStatementTimedOut', 'LoadStatementWait'].sort(),
    );
    expect(definition.States.LoadStatementPoll).toMatchObject({ Parameters: { Payload: { poll: true, 'statementId.$': '$.load.Payload.statementId' } } });
    const freshness = one(dev, 'aws:cloudwatch/metricAlarm:MetricAlarm', 'recurly-data-freshness');
    expect((freshness.inputs.metricQueries as Array<{ metric?: { period: number } }>).filter((q) => q.metric).map((q) => q.metric!.period)).toEqual([5400, 5400]);
  });

  test('the handlers get the REST source and Snowflake warehouse environment', () => {
    const secrets = (dev.outputs.pipelineSecrets as Record<string, { source: string; warehouse: string }>).recurly;
    expect(secrets.source).toContain(':secret:tributary/dev/recurly/source');
    expect(secrets.warehouse).toContain(':secret:tributary/dev/recurly/warehouse');
    const topic = arnOf(one(dev, 'aws:sns/topic:Topic', 'alerts-topic'));
    for (const step of ['extract', 'transform', 'load']) {
      expect(recurlyVars(step)).toEqual(
        expect.objectContaining({ TRIBUTARY_PIPELINE: 'recurly', TRIBUTARY_SOURCE_KIND: 'rest', TRIBUTARY_SOURCE_NAME: 'recurly', TRIBUTARY_WAREHOUSE_KIND: 'snowflake', POWERTOOLS_LOG_LEVEL: 'INFO' }),
      );
      expect(recurlyVars(step)).not.toHaveProperty('TRIBUTARY_CHUNK_ROWS');
    }
    // Each function only what it reads: extract calls the API with the source's key and works on
    // the endpoints' tables, as transform does; load writes Snowflake through its stage.
    const only = (step: string, vars: Record<string, string>) =>
      expect(Object.fromEntries(Object.entries(recurlyVars(step)).filter(([k]) => /API_URL|ENDPOINTS|SECRET_ARN|SNOWFLAKE|ALERT/.test(k)))).toEqual(vars);
    const endpoints = 'accounts,subscriptions,invoices,transactions';
    only('extract', { TRIBUTARY_API_URL: 'https://v3.recurly.com', TRIBUTARY_ENDPOINTS: endpoints, TRIBUTARY_SOURCE_SECRET_ARN: secrets.source, TRIBUTARY_ALERT_TOPIC_ARN: topic });
    only('transform', { TRIBUTARY_ENDPOINTS: endpoints });
    // Snowflake runs no data tests after a load, so its load never publishes: no topic, no grant.
    only('load', { TRIBUTARY_SNOWFLAKE_STAGE: 'TRIBUTARY_PROCESSED_STAGE', TRIBUTARY_WAREHOUSE_SECRET_ARN: secrets.warehouse });
    const loadGrants = grants(rolePolicy(dev, 'recurly-load-policy'));
    expect(loadGrants.filter((g) => g.startsWith('sns:'))).toEqual([]);
    expect(grants(rolePolicy(dev, 'totesys-load-policy')).filter((g) => g.startsWith('sns:'))).toEqual([`sns:Publish ${topic}`]);
    // The totesys functions keep the PostgreSQL contract (no REST variables).
    expect(Object.keys(recurlyVars('extract')).length).toBe(14);
    const totesysVars = (one(dev, 'aws:lambda/function:Function', 'totesys-extract').inputs.environment as { variables: Record<string, string> }).variables;
    expect(totesysVars).not.toHaveProperty('TRIBUTARY_API_URL');
    expect(totesysVars).not.toHaveProperty('TRIBUTARY_SNOWFLAKE_STAGE');
  });

  test('recurly roles are scoped to its own source prefix and secrets; its state machine starts no child executions', () => {
    const raw = arnOf(one(dev, 'aws:s3/bucket:Bucket', 'lake-raw'));
    const secrets = (dev.outputs.pipelineSecrets as Record<string, { source: string; warehouse: string }>).recurly;
    const extract = grants(rolePolicy(dev, 'recurly-extract-policy'));
    expect(extract).toEqual(expect.arrayContaining([`s3:PutObject ${raw}/raw/recurly/*`, `s3:DeleteObject ${raw}/raw/recurly/*`, `secretsmanager:GetSecretValue ${secrets.source}`]));
    expect(extract.filter((g) => g.includes('totesys'))).toEqual([]);
    expect(grants(rolePolicy(dev, 'recurly-load-policy'))).toContain(`secretsmanager:GetSecretValue ${secrets.warehouse}`);
    // Polling asks Snowflake (through the load function), not an AWS API: no Data API grant.
    expect(grants(rolePolicy(dev, 'recurly-load-policy')).filter((g) => g.startsWith('redshift'))).toEqual([]);
    const sfn = grants(rolePolicy(dev, 'recurly-state-machine-policy'));
    expect(sfn.filter((g) => g.startsWith('states:'))).toEqual([`states:ListExecutions ${arnOf(one(dev, 'aws:sfn/stateMachine:StateMachine', 'recurly-state-machine'))}`]);
    expect(sfn.filter((g) => g.startsWith('lambda:'))).toHaveLength(3);
    expect(sfn.filter((g) => g.startsWith('s3:'))).toEqual([]);
    // Without the integration's identity in config, no Snowflake role.
    expect(dev.resources.find((r) => r.name === 'recurly-snowflake-role')).toBeUndefined();
    expect(dev.outputs.snowflakeSetup).toEqual({
      recurly: { stage: 'TRIBUTARY_PROCESSED_STAGE', stageUrl: `s3://${one(dev, 'aws:s3/bucket:Bucket', 'lake-processed').outputs.bucket as string}/`, storageRoleArn: null },
    });
  });

  test('with warehouse.snowflakeIntegration: a role only that integration assumes, reading processed/* only', () => {
    const s = devWithIntegration;
    const role = one(s, 'aws:iam/role:Role', 'recurly-snowflake-role');
    expect(role.inputs.name).toBe('tributary-dev-recurly-snowflake');
    expect(doc(role.inputs.assumeRolePolicy).Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: SNOWFLAKE_INTEGRATION.iamUserArn },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': SNOWFLAKE_INTEGRATION.externalId } },
      },
    ]);
    const processed = arnOf(one(s, 'aws:s3/bucket:Bucket', 'lake-processed'));
    const policy = rolePolicy(s, 'recurly-snowflake-policy');
    expect(grants(policy)).toEqual(
      [
        `s3:GetObject ${processed}/processed/*`,
        `s3:GetObjectVersion ${processed}/processed/*`,
        `s3:ListBucket ${processed}`,
        `s3:GetBucketLocation ${processed}`,
        `kms:Decrypt ${arnOf(one(s, 'aws:kms/key:Key', 'lake-key'))}`,
      ].sort(),
    );
    expect(policy.Statement.find((st) => st.Action === 's3:ListBucket')?.Condition).toEqual({ StringLike: { 's3:prefix': ['processed/*'] } });
    for (const r of [role]) expect(Object.keys(r.inputs.tags as object)).toEqual(expect.arrayContaining([...REQUIRED_TAG_KEYS]));
    expect((s.outputs.snowflakeSetup as Record<string, { storageRoleArn: string }>).recurly.storageRoleArn).toBe(arnOf(role));
    // The totesys pipeline (PostgreSQL warehouse) gets none.
    expect(s.resources.filter((r) => r.name.endsWith('-snowflake-role')).map((r) => r.name)).toEqual(['recurly-snowflake-role']);
  });
});

/** Replace what legitimately names the environment or account, then compare. */
function normalise(s: CapturedStack, env: string, account: string): Map<string, unknown> {
  const envWord = new RegExp(`(?<![a-z])${env}(?![a-z])`, 'g');
  const map = new Map<string, unknown>();
  for (const r of s.resources) {
    const text = JSON.stringify(r.inputs).split(account).join('ACCOUNT').replace(envWord, 'ENV');
    map.set(`${r.type}::${r.name.replace(envWord, 'ENV')}`, JSON.parse(text));
  }
  return map;
}

function diffPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) === !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
    return;
  }
  out.push(path);
}

test('prod differs from dev exactly where Pulumi.prod.yaml says', () => {
  const d = normalise(dev, 'dev', loadStackConfig('dev').config['tributary:accountId']);
  const p = normalise(prod, 'prod', loadStackConfig('prod').config['tributary:accountId']);
  const onlyDev = [...d.keys()].filter((k) => !p.has(k)).sort();
  const onlyProd = [...p.keys()].filter((k) => !d.has(k));
  const changed: string[] = [];
  for (const [key, value] of d) if (p.has(key)) diffPaths(value, p.get(key), key, changed);

  // pipelines[1] (recurly) and [2] (totesys-redshift) → their whole IngestionPipelines; warehouse.secretArn (prod uses an existing secret) → dev alone creates it.
  expect(onlyDev.filter((k) => !/::(recurly|totesys-redshift)/.test(k))).toEqual(['aws:secretsmanager/secret:Secret::totesys-warehouse-secret']);
  for (const name of ['recurly', 'totesys-redshift']) {
    const pipeline = component(dev, 'tributary:pipeline:IngestionPipeline', name);
    expect(onlyDev.filter((k) => k.includes(`::${name}`))).toEqual(
      [pipeline, ...childrenOf(dev, pipeline)].map((r) => `${r.type}::${r.name}`).sort(),
    );
  }
  // alerting.email → an e-mail subscription; delivery → the whole DeliveryPipeline.
  expect(onlyProd.filter((k) => !/::delivery/.test(k))).toEqual(['aws:sns/topicSubscription:TopicSubscription::alerts-email']);
  expect(typeCounts(childrenOf(prod, component(prod, 'tributary:delivery:DeliveryPipeline', 'delivery')))).toEqual({
    Connection: 1,
    Key: 1,
    Bucket: 1,
    BucketServerSideEncryptionConfiguration: 1,
    BucketVersioning: 1,
    BucketPublicAccessBlock: 1,
    BucketOwnershipControls: 1,
    BucketPolicy: 1,
    BucketLifecycleConfiguration: 1,
    LogGroup: 3,
    Role: 4,
    RolePolicy: 4,
    Project: 3,
    Pipeline: 1,
  });

  const expected = [
    // logRetentionDays: 14 → 90, every log group
    ...['alerts-notifier-logs', 'site-function-logs', ...FUNCTIONS.map((f) => `totesys-${f}-logs`), 'totesys-state-machine-logs'].map(
      (n) => `aws:cloudwatch/logGroup:LogGroup::${n}.retentionInDays`,
    ),
    // lake: lifecycle days and forceDestroy
    'aws:s3/bucket:Bucket::lake-raw.forceDestroy',
    'aws:s3/bucket:Bucket::lake-processed.forceDestroy',
    'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::lake-raw-lifecycle.rules',
    'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::lake-processed-lifecycle.rules',
    // alerting.slackChannel
    'aws:lambda/function:Function::alerts-notifier.environment.variables.TRIBUTARY_SLACK_CHANNEL',
    // pipelines[0].warehouse.secretArn: env var and the load role's secret
    ...['load', 'reconcile'].map((st) => `aws:lambda/function:Function::totesys-${st}.environment.variables.TRIBUTARY_WAREHOUSE_SECRET_ARN`),
    'aws:iam/rolePolicy:RolePolicy::totesys-load-policy.policy',
    'aws:iam/rolePolicy:RolePolicy::totesys-reconcile-policy.policy',
    // pipelines[0].logLevel
    ...FUNCTIONS.flatMap((st) => [
      `aws:lambda/function:Function::totesys-${st}.environment.variables.POWERTOOLS_LOG_LEVEL`,
      `aws:lambda/function:Function::totesys-${st}.loggingConfig.applicationLogLevel`,
    ]),
    // the pipelines (dev has three): the state machines the site is rebuilt after
    'aws:cloudwatch/eventRule:EventRule::site-after-runs.eventPattern',
    'aws:lambda/function:Function::site-function.environment.variables.TRIBUTARY_SITE_SOURCES',
    // pipelines[0].memoryMb.transform
    'aws:lambda/function:Function::totesys-transform.memorySize',
    // network: each account's own subnets (dev 2, prod 3) and security group, in vpcConfig and the ENI permissions
    ...FUNCTIONS.flatMap((st) => [
      ...['securityGroupIds.0', 'subnetIds.0', 'subnetIds.1', 'subnetIds.2'].map((k) => `aws:lambda/function:Function::totesys-${st}.vpcConfig.${k}`),
      `aws:iam/rolePolicy:RolePolicy::totesys-${st}-network-policy.policy`,
    ]),
  ].sort();
  expect(changed.map((c) => c.replace(/(\.rules)\..*$/, '$1').replace(/(\.policy)\..*$/, '$1')).filter((c, i, all) => all.indexOf(c) === i).sort()).toEqual(expected);
});

describe('dev: the totesys → Redshift pipeline, from configuration alone', () => {
  const vars = (step: string) => (one(dev, 'aws:lambda/function:Function', `totesys-redshift-${step}`).inputs.environment as { variables: Record<string, string> }).variables;
  const account = () => loadStackConfig('dev').config['tributary:accountId'];
  const workgroupArn = () => `arn:aws:redshift-serverless:eu-west-2:${account()}:workgroup/6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f`;

  test('the same component: backfill (PostgreSQL source), no reconcile (Redshift), no warehouse secret (IAM authentication)', () => {
    const pipeline = component(dev, 'tributary:pipeline:IngestionPipeline', 'totesys-redshift');
    const fns = childrenOf(dev, pipeline).filter((r) => r.type === 'aws:lambda/function:Function').map((r) => r.name);
    expect(fns.sort()).toEqual(['totesys-redshift-backfill', 'totesys-redshift-extract', 'totesys-redshift-load', 'totesys-redshift-transform']);
    expect(childrenOf(dev, pipeline).filter((r) => r.type === 'aws:secretsmanager/secret:Secret').map((r) => r.name)).toEqual(['totesys-redshift-source-secret']);
    expect(childrenOf(dev, pipeline).filter((r) => r.type === 'aws:scheduler/schedule:Schedule').map((r) => r.name)).toEqual(['totesys-redshift-schedule']);
  });

  test('the functions get the Redshift warehouse environment', () => {
    const copyRole = arnOf(one(dev, 'aws:iam/role:Role', 'totesys-redshift-redshift-copy-role'));
    expect((dev.outputs.redshiftSetup as Record<string, { copyRoleArn: string }>)['totesys-redshift']).toEqual({ copyRoleArn: copyRole });
    for (const step of ['extract', 'transform', 'load', 'backfill']) {
      expect(vars(step)).toEqual(
        expect.objectContaining({ TRIBUTARY_PIPELINE: 'totesys-redshift', TRIBUTARY_SOURCE_KIND: 'postgres', TRIBUTARY_SOURCE_NAME: 'totesys-rs', TRIBUTARY_WAREHOUSE_KIND: 'redshift' }),
      );
      expect(vars(step)).not.toHaveProperty('TRIBUTARY_WAREHOUSE_SECRET_ARN');
      expect(vars(step)).not.toHaveProperty('TRIBUTARY_REDSHIFT_SECRET_ARN');
      // Only load reaches the warehouse: the others get no Redshift target.
      const redshiftVars = Object.keys(vars(step)).filter((k) => k.startsWith('TRIBUTARY_REDSHIFT_')).sort();
      expect(redshiftVars).toEqual(step === 'load' ? ['TRIBUTARY_REDSHIFT_COPY_ROLE_ARN', 'TRIBUTARY_REDSHIFT_DATABASE', 'TRIBUTARY_REDSHIFT_WORKGROUP'] : []);
    }
    expect(vars('load')).toEqual(expect.objectContaining({ TRIBUTARY_REDSHIFT_WORKGROUP: 'tributary-dev', TRIBUTARY_REDSHIFT_DATABASE: 'dev', TRIBUTARY_REDSHIFT_COPY_ROLE_ARN: copyRole }));
  });

  test('load may use the Data API on that workgroup only; COPY reads the processed zone and nothing else', () => {
    const processed = arnOf(one(dev, 'aws:s3/bucket:Bucket', 'lake-processed'));
    const lakeKey = arnOf(one(dev, 'aws:kms/key:Key', 'lake-key'));
    const load = grants(rolePolicy(dev, 'totesys-redshift-load-policy'));
    expect(load).toEqual(
      expect.arrayContaining([
        `redshift-data:ExecuteStatement ${workgroupArn()}`,
        `redshift-data:BatchExecuteStatement ${workgroupArn()}`,
        `redshift-serverless:GetCredentials ${workgroupArn()}`,
        'redshift-data:DescribeStatement *',
        'redshift-data:GetStatementResult *',
        `s3:PutObject ${processed}/processed/_redshift/totesys-rs/*`,
        // SSE-KMS on the stage objects (the rehearsal found it missing).
        `kms:GenerateDataKey ${lakeKey}`,
      ]),
    );
    expect(load.filter((g) => g.startsWith('secretsmanager:'))).toEqual([]);
    expect(load.filter((g) => g.startsWith('redshift')).every((g) => g.endsWith(workgroupArn()) || g.endsWith(' *'))).toBe(true);
    const copy = rolePolicy(dev, 'totesys-redshift-redshift-copy-policy');
    expect(grants(copy)).toEqual([`kms:Decrypt ${lakeKey}`, `s3:GetObject ${processed}/processed/*`, `s3:ListBucket ${processed}`].sort());
    const trust = doc(one(dev, 'aws:iam/role:Role', 'totesys-redshift-redshift-copy-role').inputs.assumeRolePolicy).Statement[0];
    expect(trust.Principal).toEqual({ Service: ['redshift.amazonaws.com', 'redshift-serverless.amazonaws.com'] });
    expect(trust.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': account() } });
  });
});
