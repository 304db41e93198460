/**
 * Shared constants of the policy pack. Only plain data lives here so the pack can be loaded by
 * the Pulumi engine without pulling in `@pulumi/pulumi` or `@pulumi/aws`.
 */

/**
 * Tag keys every taggable AWS resource must carry: the one definition lives in the contract
 * module (Pulumi-free), so the stacks apply exactly what the pack enforces.
 */
export { REQUIRED_TAG_KEYS } from '../runtime/contract/tags';

/** Lambda runtimes the platform allows by default (policy config `allowedRuntimes` overrides). */
export const DEFAULT_ALLOWED_RUNTIMES: readonly string[] = ['nodejs22.x'];

/**
 * The component types whose S3 buckets are lake buckets (versioning required). A bucket is a lake
 * bucket when one of its ancestors in the URN has a type ending with one of these suffixes.
 */
export const LAKE_COMPONENT_TYPE_SUFFIXES: readonly string[] = [':DataLake'];

/**
 * AWS-managed policies that grant administrative or service-wide access; attaching them to a role,
 * user or group is never least privilege.
 */
export const FORBIDDEN_MANAGED_POLICY_NAMES: readonly string[] = [
  'AdministratorAccess',
  'PowerUserAccess',
  'IAMFullAccess',
  'AmazonS3FullAccess',
  'AWSKeyManagementServicePowerUser',
  'SecretsManagerReadWrite',
  'AWSLambda_FullAccess',
  'AWSStepFunctionsFullAccess',
  'AmazonSNSFullAccess',
  'CloudWatchLogsFullAccess',
  'AWSCodePipeline_FullAccess',
  'AWSCodeBuildAdminAccess',
];

/**
 * Data-plane actions: reading or writing data, keys, secrets or invoking code. None of them may be
 * allowed on a `*` resource. Patterns in policy statements (e.g. `s3:Get*`) are matched against
 * this list.
 */
export const DATA_PLANE_ACTIONS: readonly string[] = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:PutObject',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:RestoreObject',
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParametersByPath',
  'sns:Publish',
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'lambda:InvokeFunction',
  'states:StartExecution',
  'iam:PassRole',
  'sts:AssumeRole',
];

/**
 * AWS resource types that accept `tags` (generated from `@pulumi/aws` v7 Args interfaces for the
 * services the platform uses). Any other `aws:` resource whose inputs carry a `tags` key is treated
 * as taggable too.
 */
export const TAGGABLE_TYPES: readonly string[] = [
  'aws:s3/accessPoint:AccessPoint',
  'aws:s3/bucket:Bucket',
  'aws:s3/bucketV2:BucketV2',
  'aws:s3/directoryBucket:DirectoryBucket',
  'aws:kms/externalKey:ExternalKey',
  'aws:kms/key:Key',
  'aws:kms/replicaExternalKey:ReplicaExternalKey',
  'aws:kms/replicaKey:ReplicaKey',
  'aws:lambda/codeSigningConfig:CodeSigningConfig',
  'aws:lambda/eventSourceMapping:EventSourceMapping',
  'aws:lambda/function:Function',
  'aws:iam/instanceProfile:InstanceProfile',
  'aws:iam/openIdConnectProvider:OpenIdConnectProvider',
  'aws:iam/policy:Policy',
  'aws:iam/role:Role',
  'aws:iam/samlProvider:SamlProvider',
  'aws:iam/serverCertificate:ServerCertificate',
  'aws:iam/user:User',
  'aws:sns/topic:Topic',
  'aws:sqs/queue:Queue',
  'aws:secretsmanager/secret:Secret',
  'aws:cloudwatch/compositeAlarm:CompositeAlarm',
  'aws:cloudwatch/eventBus:EventBus',
  'aws:cloudwatch/eventRule:EventRule',
  'aws:cloudwatch/logGroup:LogGroup',
  'aws:cloudwatch/metricAlarm:MetricAlarm',
  'aws:cloudwatch/metricStream:MetricStream',
  'aws:codebuild/fleet:Fleet',
  'aws:codebuild/project:Project',
  'aws:codebuild/reportGroup:ReportGroup',
  'aws:codepipeline/customActionType:CustomActionType',
  'aws:codepipeline/pipeline:Pipeline',
  'aws:codepipeline/webhook:Webhook',
  'aws:codestarconnections/connection:Connection',
  'aws:sfn/activity:Activity',
  'aws:sfn/stateMachine:StateMachine',
  'aws:scheduler/scheduleGroup:ScheduleGroup',
  'aws:ssm/document:Document',
  'aws:ssm/parameter:Parameter',
  'aws:glue/catalogDatabase:CatalogDatabase',
  'aws:glue/connection:Connection',
  'aws:glue/crawler:Crawler',
  'aws:glue/job:Job',
  'aws:athena/workgroup:Workgroup',
  'aws:dynamodb/table:Table',
  'aws:ecr/repository:Repository',
];
