/**
 * IAM policy documents as plain data, built by pure functions so tests can read them without
 * Pulumi. Every statement names exact actions and exact resources; `*` resources appear only for
 * actions AWS does not scope to a resource (see AWS_REQUIRES_WILDCARD).
 */

import { WAREHOUSE_CAPABILITIES, type SourceKind, type WarehouseKind } from '../runtime/contract';

export type Principal = { readonly Service: string | readonly string[] } | { readonly AWS: string | readonly string[] } | '*';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Principal?: Principal;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[] | boolean>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** Actions that only accept `Resource: "*"` (AWS defines no resource type for them). */
export const AWS_REQUIRES_WILDCARD: readonly string[] = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // CloudWatch Logs delivery for Step Functions logging (vended logs):
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  // Redshift Data API: a statement's status and rows are read by its id; the caller sees only its own statements.
  'redshift-data:DescribeStatement',
  'redshift-data:GetStatementResult',
  // EC2 Describe calls (functions in a VPC: Lambda looks up the function's interfaces and subnets).
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
];

/** Key policy statement keeping the key manageable through IAM in its account. */
export function accountAdminStatement(accountId: string, partition = 'aws'): PolicyStatement {
  // Key policies apply to their own key: `Resource: "*"` means this key.
  return { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' };
}

/** Key policy statement letting CloudWatch Logs encrypt the named log groups (ARN patterns). */
export function logsKeyStatement(region: string, logGroupArnPatterns: readonly string[]): PolicyStatement {
  return {
    Sid: 'CloudWatchLogsEncrypt',
    Effect: 'Allow',
    Principal: { Service: `logs.${region}.amazonaws.com` },
    Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
    Resource: '*',
    Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroupArnPatterns } },
  };
}

export function document(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * Trust policy for a service principal, limited to this account when `sourceAccount` is set and
 * to the resource assuming it when `sourceArn` is (the services that set `aws:SourceArn` on
 * AssumeRole: Step Functions the state machine, Scheduler the schedule group, CodeBuild the
 * project, CodePipeline the pipeline), so no other resource of the account can borrow the role.
 */
export function trustPolicy(service: string, sourceAccount?: string, sourceArn?: string): PolicyDocument {
  const condition = {
    ...(sourceAccount ? { StringEquals: { 'aws:SourceAccount': sourceAccount } } : {}),
    ...(sourceArn ? { ArnLike: { 'aws:SourceArn': sourceArn } } : {}),
  };
  return document({
    Effect: 'Allow',
    Principal: { Service: service },
    Action: 'sts:AssumeRole',
    ...(Object.keys(condition).length ? { Condition: condition } : {}),
  });
}

/** Writing to the function's own log group (created by Pulumi, so no logs:CreateLogGroup). */
export function logStatements(logGroupArn: string): PolicyStatement[] {
  return [
    { Sid: 'OwnLogGroup', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroupArn}:*` },
  ];
}

export function xrayStatement(): PolicyStatement {
  return { Sid: 'XRayTracing', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' };
}

/** Publishing to a KMS-encrypted SNS topic (alerts, dead letters). */
export function publishStatements(topicArn: string, topicKeyArn: string): PolicyStatement[] {
  return [
    { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn },
    { Sid: 'AlertTopicKey', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: topicKeyArn },
  ];
}

/** The ARNs a pipeline function's policy is built from. */
export interface PipelineFunctionResources {
  /** Only a REST source (streamed into one JSONL object) deletes its partial raw object. */
  readonly sourceKind: SourceKind;
  readonly sourceName: string;
  readonly rawBucketArn: string;
  readonly processedBucketArn: string;
  readonly lakeKeyArn: string;
  readonly logGroupArn: string;
  readonly alertTopicArn: string;
  readonly alertKeyArn: string;
  readonly sourceSecretArn: string;
  readonly warehouseSecretArn: string;
  /** Snowflake reads the processed objects through its stage: its load reads only the manifests. */
  readonly warehouseKind?: WarehouseKind;
}

const READ = ['s3:GetObject'];
const WRITE = ['s3:PutObject', 's3:AbortMultipartUpload'];
const READ_WRITE = [...READ, ...WRITE];

function objects(bucketArn: string, prefixes: readonly string[]): string[] {
  return prefixes.map((p) => `${bucketArn}/${p}*`);
}

function listWithin(sid: string, bucketArn: string, prefixes: readonly string[]): PolicyStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: bucketArn,
    Condition: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
  };
}

/** The lake key, the function's logs and traces, and for the functions that publish alerts, the topic. */
function common(r: PipelineFunctionResources, kms: readonly string[], publishes: boolean): PolicyStatement[] {
  return [
    { Sid: 'LakeKey', Effect: 'Allow', Action: [...kms], Resource: r.lakeKeyArn },
    ...(publishes ? publishStatements(r.alertTopicArn, r.alertKeyArn) : []),
    ...logStatements(r.logGroupArn),
    xrayStatement(),
  ];
}

/**
 * Each step keeps its run's record (runs/<source>/<runId>.json, raw bucket) for the docs site and
 * `tributary status`. Extract creates it: its first read finds nothing, so it may list the prefix
 * (S3 answers 403, not 404, for a missing key to a caller that may not list). Transform and load
 * only update the record extract made; without the list grant a missing one is a 403, which the
 * recorder logs as a warning (the rehearsal proved the grant unused for them).
 */
function runRecordStatements(r: PipelineFunctionResources, createsRecord = false): PolicyStatement[] {
  const prefixes = [`runs/${r.sourceName}/`];
  return [
    { Sid: 'RunRecords', Effect: 'Allow', Action: READ_WRITE, Resource: objects(r.rawBucketArn, prefixes) },
    ...(createsRecord ? [listWithin('ListRunRecords', r.rawBucketArn, prefixes)] : []),
  ];
}

/**
 * Extract: reads the source, writes raw objects, the extract manifest and the watermarks. It
 * reads back only its state and the extract manifests (a run that crashed between its manifest
 * and its watermarks is rolled forward from the manifest; after a backfill, the tables it did not
 * cover have no state yet, so the next extract reads the backfill's manifest), never raw objects.
 */
export function extractPolicy(r: PipelineFunctionResources): PolicyDocument {
  const readPrefixes = ['manifests/extract/', `state/${r.sourceName}/`];
  return document(
    { Sid: 'RawZone', Effect: 'Allow', Action: WRITE, Resource: objects(r.rawBucketArn, [`raw/${r.sourceName}/`, ...readPrefixes]) },
    { Sid: 'ReadState', Effect: 'Allow', Action: READ, Resource: objects(r.rawBucketArn, readPrefixes) },
    // A source that streams into one object (REST → JSONL) deletes its own partial object on failure.
    ...(r.sourceKind === 'rest' ? [{ Sid: 'DiscardPartialRawObjects', Effect: 'Allow' as const, Action: 's3:DeleteObject', Resource: objects(r.rawBucketArn, [`raw/${r.sourceName}/`]) }] : []),
    listWithin('ListRawZone', r.rawBucketArn, readPrefixes),
    { Sid: 'SourceSecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: r.sourceSecretArn },
    ...runRecordStatements(r, true),
    ...common(r, ['kms:Decrypt', 'kms:GenerateDataKey'], true),
  );
}

/** Transform: reads raw objects and extract manifests, keeps its state, writes the processed zone. */
export function transformPolicy(r: PipelineFunctionResources): PolicyDocument {
  const readPrefixes = [`raw/${r.sourceName}/`, 'manifests/extract/'];
  const statePrefixes = [`state/${r.sourceName}/`];
  const writePrefixes = ['processed/', 'manifests/transform/'];
  return document(
    { Sid: 'ReadRawZone', Effect: 'Allow', Action: READ, Resource: objects(r.rawBucketArn, readPrefixes) },
    { Sid: 'State', Effect: 'Allow', Action: READ_WRITE, Resource: objects(r.rawBucketArn, statePrefixes) },
    listWithin('ListRawZone', r.rawBucketArn, [...readPrefixes, ...statePrefixes]),
    { Sid: 'WriteProcessedZone', Effect: 'Allow', Action: WRITE, Resource: objects(r.processedBucketArn, writePrefixes) },
    // The totesys model (PostgreSQL sources) merges each run's reference rows into the current
    // reference tables it wrote before (processed/<source>_current/), read back by the keys its
    // state holds: without this every run after the first with a change failed AccessDenied
    // (found by the rehearsal's data-test-breach run).
    ...(r.sourceKind === 'postgres' ? [{ Sid: 'ReadCurrentReferenceTables', Effect: 'Allow' as const, Action: READ, Resource: objects(r.processedBucketArn, [`processed/${r.sourceName}_current/`]) }] : []),
    ...runRecordStatements(r),
    ...common(r, ['kms:Decrypt', 'kms:GenerateDataKey'], false),
  );
}

/** Load: reads the processed zone and writes the warehouse (credentials from its secret). */
export function loadPolicy(r: PipelineFunctionResources): PolicyDocument {
  // A Snowflake COPY reads processed/ with the storage integration's role (snowflakeStagePolicy), not the load's.
  const prefixes = r.warehouseKind === 'snowflake' ? ['manifests/transform/'] : ['processed/', 'manifests/transform/'];
  return document(
    { Sid: 'ReadProcessedZone', Effect: 'Allow', Action: READ, Resource: objects(r.processedBucketArn, prefixes) },
    listWithin('ListProcessedZone', r.processedBucketArn, prefixes),
    // A Redshift warehouse with IAM authentication has no secret.
    ...(r.warehouseSecretArn ? [{ Sid: 'WarehouseSecret', Effect: 'Allow' as const, Action: 'secretsmanager:GetSecretValue', Resource: r.warehouseSecretArn }] : []),
    // Load reads the lake and writes only its run's record.
    ...runRecordStatements(r),
    // Publishes a data-quality alert when a data test fails after the load (warehouses with data tests).
    ...common(r, ['kms:Decrypt', 'kms:GenerateDataKey'], r.warehouseKind === undefined || WAREHOUSE_CAPABILITIES[r.warehouseKind].dataTests),
  );
}

/**
 * Backfill: reads the source by primary-key ranges into the raw zone, keeps the plan, the chunk
 * list and the chunk markers under `state/<source>/_backfill/`, and on finish writes the extract
 * manifest and the watermarks, then deletes the active-backfill pointer (its one delete). It
 * writes raw objects but never reads them back; it reads its state and, rolling the watermarks
 * forward on finish, the extract manifests.
 */
export function backfillPolicy(r: PipelineFunctionResources): PolicyDocument {
  const readPrefixes = ['manifests/extract/', `state/${r.sourceName}/`];
  return document(
    { Sid: 'RawZone', Effect: 'Allow', Action: WRITE, Resource: objects(r.rawBucketArn, [`raw/${r.sourceName}/`, ...readPrefixes]) },
    { Sid: 'ReadState', Effect: 'Allow', Action: READ, Resource: objects(r.rawBucketArn, readPrefixes) },
    { Sid: 'EndBackfill', Effect: 'Allow', Action: 's3:DeleteObject', Resource: `${r.rawBucketArn}/state/${r.sourceName}/_backfill.json` },
    listWithin('ListRawZone', r.rawBucketArn, readPrefixes),
    { Sid: 'SourceSecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: r.sourceSecretArn },
    ...common(r, ['kms:Decrypt', 'kms:GenerateDataKey'], false),
  );
}

/**
 * Reconcile: compares source and warehouse, then repairs through a reconcile run that extracts,
 * transforms and loads (so both zones, both secrets), under the source's run lock, which it
 * releases by deleting it.
 */
export function reconcilePolicy(r: PipelineFunctionResources): PolicyDocument {
  const rawPrefixes = [`raw/${r.sourceName}/`, 'manifests/extract/', `state/${r.sourceName}/`];
  const processedPrefixes = ['processed/', 'manifests/transform/'];
  return document(
    { Sid: 'RawZone', Effect: 'Allow', Action: READ_WRITE, Resource: objects(r.rawBucketArn, rawPrefixes) },
    { Sid: 'ReleaseRunLock', Effect: 'Allow', Action: 's3:DeleteObject', Resource: `${r.rawBucketArn}/state/${r.sourceName}/_lock.json` },
    listWithin('ListRawZone', r.rawBucketArn, rawPrefixes),
    { Sid: 'ProcessedZone', Effect: 'Allow', Action: READ_WRITE, Resource: objects(r.processedBucketArn, processedPrefixes) },
    listWithin('ListProcessedZone', r.processedBucketArn, processedPrefixes),
    { Sid: 'SourceSecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: r.sourceSecretArn },
    { Sid: 'WarehouseSecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: r.warehouseSecretArn },
    // Publishes the differences it found.
    ...common(r, ['kms:Decrypt', 'kms:GenerateDataKey'], true),
  );
}

/** What the state machine's Distributed Map (backfill) needs beyond invoking the function. */
export interface DistributedMapResources {
  readonly stateMachineArn: string;
  /** `arn:<partition>:states:<region>:<account>:execution:<stateMachineName>`: its child executions are under it. */
  readonly executionArnPrefix: string;
  readonly rawBucketArn: string;
  readonly sourceName: string;
  readonly lakeKeyArn: string;
}

/** Child executions of its own machine (Distributed Map) and the chunk list the ItemReader reads. */
export function distributedMapStatements(r: DistributedMapResources): PolicyStatement[] {
  return [
    { Sid: 'MapRunChildExecutions', Effect: 'Allow', Action: 'states:StartExecution', Resource: r.stateMachineArn },
    { Sid: 'MapRunChildExecutionStatus', Effect: 'Allow', Action: ['states:DescribeExecution', 'states:StopExecution'], Resource: `${r.executionArnPrefix}/*` },
    { Sid: 'ReadBackfillChunkList', Effect: 'Allow', Action: 's3:GetObject', Resource: `${r.rawBucketArn}/state/${r.sourceName}/_backfill/*` },
    { Sid: 'LakeKeyDecrypt', Effect: 'Allow', Action: 'kms:Decrypt', Resource: r.lakeKeyArn },
  ];
}

/** Trust of the role a Snowflake storage integration assumes (its IAM user, its external id). */
export function snowflakeTrustPolicy(iamUserArn: string, externalId: string): PolicyDocument {
  return document({
    Effect: 'Allow',
    Principal: { AWS: iamUserArn },
    Action: 'sts:AssumeRole',
    Condition: { StringEquals: { 'sts:ExternalId': externalId } },
  });
}

/** Snowflake's external stage reads the processed zone (Parquet), and nothing else. */
export function snowflakeStagePolicy(processedBucketArn: string, lakeKeyArn: string): PolicyDocument {
  return document(
    { Sid: 'ReadProcessedZone', Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: `${processedBucketArn}/processed/*` },
    listWithin('ListProcessedZone', processedBucketArn, ['processed/']),
    { Sid: 'BucketLocation', Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: processedBucketArn },
    { Sid: 'LakeKeyDecrypt', Effect: 'Allow', Action: 'kms:Decrypt', Resource: lakeKeyArn },
  );
}

/** Where a Redshift load runs: a Serverless workgroup (by id, as its ARN has it) or a cluster, one database. */
export interface RedshiftAccessTarget {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly workgroupId?: string;
  readonly clusterIdentifier?: string;
  readonly dbUser?: string;
  readonly database: string;
  /** With a secret, the Data API authenticates with it; without, with temporary IAM credentials. */
  readonly usesSecret: boolean;
}

/**
 * What the load function needs for a Redshift warehouse beyond reading the lake: the Data API
 * on that workgroup or cluster only, temporary credentials for that database (user), and writing
 * the run's COPY-ready objects under `processed/_redshift/<source>/`.
 */
export function redshiftLoadStatements(t: RedshiftAccessTarget, processedBucketArn: string, sourceName: string, lakeKeyArn?: string): PolicyStatement[] {
  const base = `arn:${t.partition}:redshift`;
  const target = t.workgroupId
    ? `arn:${t.partition}:redshift-serverless:${t.region}:${t.accountId}:workgroup/${t.workgroupId}`
    : `${base}:${t.region}:${t.accountId}:cluster:${t.clusterIdentifier}`;
  const credentials: PolicyStatement[] = t.usesSecret
    ? []
    : t.workgroupId
      ? [{ Sid: 'RedshiftCredentials', Effect: 'Allow', Action: 'redshift-serverless:GetCredentials', Resource: target }]
      : [
          {
            Sid: 'RedshiftCredentials',
            Effect: 'Allow',
            Action: 'redshift:GetClusterCredentials',
            Resource: [`${base}:${t.region}:${t.accountId}:dbuser:${t.clusterIdentifier}/${t.dbUser}`, `${base}:${t.region}:${t.accountId}:dbname:${t.clusterIdentifier}/${t.database}`],
          },
        ];
  return [
    { Sid: 'RedshiftDataApi', Effect: 'Allow', Action: ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'], Resource: target },
    { Sid: 'RedshiftStatements', Effect: 'Allow', Action: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult'], Resource: '*' },
    ...credentials,
    { Sid: 'WriteRedshiftStage', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: `${processedBucketArn}/processed/_redshift/${sourceName}/*` },
    // The bucket encrypts with the lake key (SSE-KMS): S3 asks KMS for a data key as the writer (found by the rehearsal).
    ...(lakeKeyArn ? [{ Sid: 'RedshiftStageKey', Effect: 'Allow' as const, Action: 'kms:GenerateDataKey', Resource: lakeKeyArn }] : []),
  ];
}

/** Trust of the role Redshift assumes for COPY (the workgroup's namespace or the cluster has it attached). */
export function redshiftCopyTrustPolicy(accountId: string): PolicyDocument {
  return document({
    Effect: 'Allow',
    Principal: { Service: ['redshift.amazonaws.com', 'redshift-serverless.amazonaws.com'] },
    Action: 'sts:AssumeRole',
    Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
  });
}

/** COPY reads the processed zone (Parquet) and decrypts with the lake key, nothing else. */
export function redshiftCopyPolicy(processedBucketArn: string, lakeKeyArn: string): PolicyDocument {
  return document(
    { Sid: 'ReadProcessedZone', Effect: 'Allow', Action: 's3:GetObject', Resource: `${processedBucketArn}/processed/*` },
    listWithin('ListProcessedZone', processedBucketArn, ['processed/']),
    { Sid: 'LakeKeyDecrypt', Effect: 'Allow', Action: 'kms:Decrypt', Resource: lakeKeyArn },
  );
}

/** Deny any request to a bucket that does not use TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return document({
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  });
}

/** What an alert topic policy is built from: the stack's naming prefix scopes its publishers. */
export interface AlertTopicPublishers {
  readonly topicArn: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /** The stack's resource name prefix (`tributary-<env>`): its alarms and roles are named under it. */
  readonly namePrefix: string;
}

/**
 * The alert topic's resource policy. Text published here reaches Slack, so only the stack's own
 * publishers may post: its CloudWatch alarms (the service, for alarms named under the stack's
 * prefix in this account) and its roles (functions, state machines, the delivery pipeline's
 * approval). In the same account an identity policy alone would grant `sns:Publish`, so everyone
 * else is denied explicitly, and so is any publish without TLS.
 */
export function alertTopicPolicy(p: AlertTopicPublishers): PolicyDocument {
  const alarms = `arn:${p.partition}:cloudwatch:${p.region}:${p.accountId}:alarm:${p.namePrefix}-*`;
  const roles = `arn:${p.partition}:iam::${p.accountId}:role/${p.namePrefix}-*`;
  return document(
    {
      Sid: 'StackAlarmsPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: p.topicArn,
      Condition: { ArnLike: { 'aws:SourceArn': alarms }, StringEquals: { 'aws:SourceAccount': p.accountId } },
    },
    {
      Sid: 'StackRolesPublish',
      Effect: 'Allow',
      Principal: { AWS: `arn:${p.partition}:iam::${p.accountId}:root` },
      Action: 'sns:Publish',
      Resource: p.topicArn,
      Condition: { ArnLike: { 'aws:PrincipalArn': roles } },
    },
    {
      Sid: 'DenyOtherPublishers',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: p.topicArn,
      // Both must hold to deny: not one of the stack's roles, and not CloudWatch (a service
      // principal has no aws:PrincipalArn; its alarms are limited by the Allow above).
      Condition: { ArnNotLike: { 'aws:PrincipalArn': roles }, StringNotEquals: { 'aws:PrincipalServiceName': 'cloudwatch.amazonaws.com' } },
    },
    { Sid: 'DenyWithoutTLS', Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: p.topicArn, Condition: { Bool: { 'aws:SecureTransport': false } } },
  );
}
