/**
 * What a stack's deploy role may do, as pure data: manage exactly the kinds of resources the
 * stacks create, each scoped to the stack's physical names (`tributary-<env>-*`,
 * `tributary/<env>/*`), with no whole-service wildcard and no data-plane action on `*`.
 * KMS keys have random ids, so key management is on `key/*` (no data-plane there) and the
 * data-plane use the deploy needs (writing secret values) is allowed through Secrets Manager only.
 */
import { document, type PolicyDocument, type PolicyStatement } from './iam';

export interface DeployRoleScope {
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition?: string;
  /** The stack also deploys the delivery pipeline (CodePipeline, CodeBuild, CodeStar connection). */
  readonly delivery?: boolean;
}

/** Lambda checks a function's VPC configuration as the caller; the rest is PrivateNetwork's reads. */
const NETWORK_DESCRIBE = [
  'ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute', 'ec2:DescribeVpcEndpoints',
  'ec2:DescribeRouteTables', 'ec2:DescribeNatGateways', 'ec2:DescribeAddresses', 'ec2:DescribeInternetGateways', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribePrefixLists',
];
const NETWORK_CREATE = [
  'ec2:CreateVpc', 'ec2:CreateSubnet', 'ec2:CreateSecurityGroup', 'ec2:CreateVpcEndpoint', 'ec2:CreateRouteTable', 'ec2:CreateNatGateway', 'ec2:AllocateAddress', 'ec2:CreateInternetGateway',
  'ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress',
];
const NETWORK_MANAGE = [
  'ec2:DeleteVpc', 'ec2:ModifyVpcAttribute', 'ec2:DeleteSubnet', 'ec2:ModifySubnetAttribute', 'ec2:DeleteSecurityGroup', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress',
  'ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress', 'ec2:ModifySecurityGroupRules', 'ec2:DeleteVpcEndpoints', 'ec2:ModifyVpcEndpoint', 'ec2:DeleteRouteTable',
  'ec2:AssociateRouteTable', 'ec2:DisassociateRouteTable', 'ec2:CreateRoute', 'ec2:DeleteRoute', 'ec2:DeleteNatGateway', 'ec2:ReleaseAddress', 'ec2:AttachInternetGateway',
  'ec2:DetachInternetGateway', 'ec2:DeleteInternetGateway', 'ec2:CreateTags', 'ec2:DeleteTags',
];

export function deployRolePolicy(scope: DeployRoleScope): PolicyDocument {
  const p = scope.partition ?? 'aws';
  const { accountId: a, region: r, environment: e } = scope;
  const name = `tributary-${e}-*`;
  const arn = (service: string, resource: string, region = r): string => `arn:${p}:${service}:${region}:${a}:${resource}`;
  const logGroups = [`/aws/lambda/${name}`, `/aws/codebuild/${name}`, `/aws/vendedlogs/states/${name}`].flatMap((g) => [
    arn('logs', `log-group:${g}`),
    arn('logs', `log-group:${g}:*`),
  ]);
  const statements: PolicyStatement[] = [
    { Sid: 'Buckets', Effect: 'Allow', Action: ['s3:CreateBucket', 's3:DeleteBucket', 's3:Get*', 's3:Put*', 's3:List*', 's3:DeleteBucketPolicy', 's3:DeleteObject', 's3:DeleteObjectVersion'], Resource: [`arn:${p}:s3:::${name}`, `arn:${p}:s3:::${name}/*`] },
    { Sid: 'CreateKeys', Effect: 'Allow', Action: ['kms:CreateKey', 'kms:ListAliases', 'kms:ListKeys'], Resource: '*' },
    {
      Sid: 'ManageKeys',
      Effect: 'Allow',
      Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:PutKeyPolicy', 'kms:EnableKeyRotation', 'kms:DisableKeyRotation', 'kms:ScheduleKeyDeletion', 'kms:TagResource', 'kms:UntagResource', 'kms:UpdateKeyDescription', 'kms:CreateAlias', 'kms:DeleteAlias', 'kms:UpdateAlias'],
      Resource: [arn('kms', 'key/*'), arn('kms', `alias/${name}`)],
    },
    {
      Sid: 'SecretValuesThroughSecretsManager',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: arn('kms', 'key/*'),
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${r}.amazonaws.com`, 'aws:ResourceTag/project': 'tributary' } },
    },
    {
      Sid: 'Roles',
      Effect: 'Allow',
      Action: ['iam:CreateRole', 'iam:DeleteRole', 'iam:GetRole', 'iam:UpdateRole', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole', 'iam:UntagRole', 'iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:ListInstanceProfilesForRole', 'iam:PassRole'],
      Resource: `arn:${p}:iam::${a}:role/${name}`,
    },
    {
      Sid: 'Functions',
      Effect: 'Allow',
      Action: ['lambda:CreateFunction', 'lambda:DeleteFunction', 'lambda:GetFunction*', 'lambda:UpdateFunction*', 'lambda:ListVersionsByFunction', 'lambda:PublishVersion', 'lambda:TagResource', 'lambda:UntagResource', 'lambda:ListTags', 'lambda:AddPermission', 'lambda:RemovePermission', 'lambda:GetPolicy', 'lambda:PutFunctionEventInvokeConfig', 'lambda:DeleteFunctionEventInvokeConfig', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency', 'lambda:GetRuntimeManagementConfig'],
      Resource: arn('lambda', `function:${name}`),
    },
    { Sid: 'Layers', Effect: 'Allow', Action: ['lambda:PublishLayerVersion', 'lambda:GetLayerVersion', 'lambda:DeleteLayerVersion'], Resource: [arn('lambda', `layer:${name}`), arn('lambda', `layer:${name}:*`)] },
    // Lambda checks the subnets and security groups of a function's VPC configuration as the caller.
    { Sid: 'DescribeNetworks', Effect: 'Allow', Action: NETWORK_DESCRIBE, Resource: '*' },
    // A created network (PrivateNetwork): EC2 ids are random, so the stack's resources are told
    // apart by the environment tag they are created with (aws:RequestTag) and carry (aws:ResourceTag).
    { Sid: 'CreateNetworks', Effect: 'Allow', Action: NETWORK_CREATE, Resource: '*', Condition: { StringEquals: { 'aws:RequestTag/environment': e } } },
    { Sid: 'TagNetworksOnCreate', Effect: 'Allow', Action: 'ec2:CreateTags', Resource: '*', Condition: { StringEquals: { 'ec2:CreateAction': NETWORK_CREATE } } },
    { Sid: 'ManageNetworks', Effect: 'Allow', Action: NETWORK_MANAGE, Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/environment': e } } },
    { Sid: 'LogGroups', Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:AssociateKmsKey', 'logs:DisassociateKmsKey', 'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource', 'logs:TagLogGroup', 'logs:ListTagsLogGroup'], Resource: logGroups },
    { Sid: 'LogDeliveries', Effect: 'Allow', Action: ['logs:DescribeLogGroups', 'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies'], Resource: '*' },
    { Sid: 'Alarms', Effect: 'Allow', Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms', 'cloudwatch:TagResource', 'cloudwatch:UntagResource', 'cloudwatch:ListTagsForResource'], Resource: arn('cloudwatch', `alarm:${name}`) },
    { Sid: 'Topics', Effect: 'Allow', Action: ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:Subscribe', 'sns:Unsubscribe', 'sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes', 'sns:ListSubscriptionsByTopic', 'sns:TagResource', 'sns:UntagResource', 'sns:ListTagsForResource'], Resource: [arn('sns', name), arn('sns', `${name}:*`)] },
    { Sid: 'Queues', Effect: 'Allow', Action: ['sqs:CreateQueue', 'sqs:DeleteQueue', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:TagQueue', 'sqs:UntagQueue', 'sqs:ListQueueTags'], Resource: arn('sqs', name) },
    { Sid: 'Secrets', Effect: 'Allow', Action: ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:GetResourcePolicy', 'secretsmanager:TagResource', 'secretsmanager:UntagResource', 'secretsmanager:RestoreSecret'], Resource: arn('secretsmanager', `secret:tributary/${e}/*`) },
    { Sid: 'StateMachines', Effect: 'Allow', Action: ['states:CreateStateMachine', 'states:DeleteStateMachine', 'states:DescribeStateMachine', 'states:UpdateStateMachine', 'states:ListStateMachineVersions', 'states:TagResource', 'states:UntagResource', 'states:ListTagsForResource'], Resource: arn('states', `stateMachine:${name}`) },
    { Sid: 'Schedules', Effect: 'Allow', Action: ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:CreateScheduleGroup', 'scheduler:GetScheduleGroup', 'scheduler:DeleteScheduleGroup', 'scheduler:TagResource', 'scheduler:UntagResource', 'scheduler:ListTagsForResource'], Resource: [arn('scheduler', `schedule/*/${name}`), arn('scheduler', `schedule-group/${name}`), arn('scheduler', 'schedule-group/default')] },
  ];
  if (scope.delivery) {
    statements.push(
      { Sid: 'BuildProjects', Effect: 'Allow', Action: ['codebuild:CreateProject', 'codebuild:DeleteProject', 'codebuild:UpdateProject', 'codebuild:BatchGetProjects'], Resource: arn('codebuild', `project/${name}`) },
      { Sid: 'Pipelines', Effect: 'Allow', Action: ['codepipeline:CreatePipeline', 'codepipeline:DeletePipeline', 'codepipeline:GetPipeline', 'codepipeline:UpdatePipeline', 'codepipeline:TagResource', 'codepipeline:UntagResource', 'codepipeline:ListTagsForResource'], Resource: arn('codepipeline', name) },
      {
        Sid: 'GitConnection',
        Effect: 'Allow',
        Action: ['codestar-connections:CreateConnection', 'codestar-connections:DeleteConnection', 'codestar-connections:GetConnection', 'codestar-connections:PassConnection', 'codestar-connections:TagResource', 'codestar-connections:UntagResource', 'codestar-connections:ListTagsForResource'],
        Resource: arn('codestar-connections', 'connection/*'),
      },
    );
  }
  return document(...statements);
}
