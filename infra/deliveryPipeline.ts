/**
 * DeliveryPipeline: CodePipeline from the Git repository (CodeStar connection) through CodeBuild:
 *
 *   Source → Test (lint, unit tests, policy check) → Deploy <stack> … with a manual approval
 *   before each deployment marked `approval` (prod).
 *
 * Each deploy runs `pulumi up --stack <stack>` (buildspecs/deploy.yml); the stack's AWS provider
 * assumes the deploy role of the stack's account, so the CodeBuild role may only assume that one
 * role and reach the Pulumi state bucket and secrets key. Artifacts: a KMS-encrypted bucket.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { partitionOf, withName, type PlatformArgs } from './common';
import { accountAdminStatement, document, logStatements, logsKeyStatement, trustPolicy, type PolicyStatement } from './iam';
import { createSecureBucket } from './secureBucket';
import { deliveryBuildRoleName, stackBackendUrl, stackStateStatements } from './statePolicies';

export interface DeliveryDeploymentArgs {
  /** Stack to deploy (`dev`, `prod`). */
  readonly stack: string;
  /** Deploy role in that stack's account (assumed by the stack's AWS provider). */
  readonly roleArn: string;
  /** Insert a manual approval before this deployment. */
  readonly approval?: boolean;
  /** This stack's `awskms://` secrets-provider key (the bootstrap's `secretsKeyArns[stack]`). */
  readonly secretsKeyArn: string;
}

export interface DeliveryPipelineArgs extends PlatformArgs {
  /** `owner/name` of the repository. */
  readonly repository: string;
  readonly branch: string;
  /** Provider of the CodeStar connection. Default GitHub. */
  readonly connectionProvider?: 'GitHub' | 'GitHubEnterpriseServer' | 'Bitbucket' | 'GitLab';
  /** The Pulumi state bucket, `s3://bucket`; each stack's backend is `s3://bucket/<stack>`. */
  readonly stateBackendUrl: string;
  /** KMS key encrypting the state bucket (the bootstrap's `stateKeyArn`). */
  readonly stateKeyArn: string;
  /** Deployments in order. */
  readonly deployments: readonly DeliveryDeploymentArgs[];
  /** Topic notified when an approval waits (the alert topic) and its KMS key. */
  readonly approvalTopic?: { readonly arn: pulumi.Input<string>; readonly keyArn: pulumi.Input<string> };
  readonly logRetentionDays: number;
  /** CodeBuild image (Amazon Linux 2023 with Node.js 22). */
  readonly buildImage?: string;
  readonly namePrefix?: string;
}

export class DeliveryPipeline extends pulumi.ComponentResource {
  readonly connection: aws.codestarconnections.Connection;
  readonly artifactBucket: aws.s3.Bucket;
  readonly artifactKey: aws.kms.Key;
  readonly projects: Readonly<Record<string, aws.codebuild.Project>>;
  readonly pipeline: aws.codepipeline.Pipeline;
  readonly pipelineName: pulumi.Output<string>;
  readonly connectionArn: pulumi.Output<string>;

  constructor(name: string, args: DeliveryPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tributary:delivery:DeliveryPipeline', name, {}, opts);
    const prefix = args.namePrefix ?? `tributary-${args.environment}`;
    const partition = partitionOf(args.aws);
    const { accountId, region } = args.aws;
    const parent = { parent: this };
    const stateBucket = /^s3:\/\/([^/]+)\/?$/.exec(args.stateBackendUrl)?.[1];
    if (!stateBucket) throw new Error(`DeliveryPipeline ${name}: stateBackendUrl must be s3://bucket (each stack under its own prefix), got ${args.stateBackendUrl}`);
    const stateBucketArn = `arn:${partition}:s3:::${stateBucket}`;

    this.connection = new aws.codestarconnections.Connection(
      `${name}-connection`,
      { name: `${prefix}-git`.slice(0, 32), providerType: args.connectionProvider ?? 'GitHub', tags: args.tags },
      parent,
    );
    this.artifactKey = new aws.kms.Key(
      `${name}-artifact-key`,
      {
        description: `Tributary ${args.environment} delivery pipeline: artifacts and build logs`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: JSON.stringify(
          document(
            accountAdminStatement(accountId, partition),
            logsKeyStatement(region, [`arn:${partition}:logs:${region}:${accountId}:log-group:/aws/codebuild/${prefix}-*`]),
          ),
        ),
        tags: withName(args.tags, `${prefix}-artifacts`),
      },
      parent,
    );
    const artifacts = createSecureBucket(
      `${name}-artifacts`,
      {
        bucketName: `${prefix}-delivery-artifacts-${accountId}-${region}`,
        kmsKeyArn: this.artifactKey.arn,
        forceDestroy: true,
        tags: withName(args.tags, `${prefix}-delivery-artifacts`),
        lifecycleRules: [
          { id: 'expire-artifacts', status: 'Enabled', filter: {}, expiration: { days: 30 }, noncurrentVersionExpiration: { noncurrentDays: 7 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
        ],
      },
      this,
    );
    this.artifactBucket = artifacts.bucket;

    const image = args.buildImage ?? 'aws/codebuild/amazonlinux-x86_64-standard:5.0';
    const projects: Record<string, aws.codebuild.Project> = {};
    const project = (key: string, buildspec: string, env: Record<string, string>, statements: PolicyStatement[], roleName = `${prefix}-${key}-build`): aws.codebuild.Project => {
      const projectName = `${prefix}-${key}`;
      const logGroup = new aws.cloudwatch.LogGroup(`${name}-${key}-logs`, { name: `/aws/codebuild/${projectName}`, retentionInDays: args.logRetentionDays, kmsKeyId: this.artifactKey.arn, tags: args.tags }, parent);
      const role = new aws.iam.Role(`${name}-${key}-role`, { name: roleName, assumeRolePolicy: JSON.stringify(trustPolicy('codebuild.amazonaws.com', accountId, `arn:${partition}:codebuild:${region}:${accountId}:project/${projectName}`)), tags: args.tags }, parent);
      const policy = new aws.iam.RolePolicy(
        `${name}-${key}-policy`,
        {
          role: role.name,
          name: 'least-privilege',
          policy: pulumi.all([logGroup.arn, artifacts.bucket.arn, this.artifactKey.arn]).apply(([logs, bucket, key]) =>
            JSON.stringify(
              document(
                ...logStatements(logs),
                { Sid: 'PipelineArtifacts', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `${bucket}/*` },
                { Sid: 'ArtifactKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: key },
                ...statements,
              ),
            ),
          ),
        },
        parent,
      );
      const p = new aws.codebuild.Project(
        `${name}-${key}`,
        {
          name: projectName,
          description: `Tributary delivery: ${key}`,
          serviceRole: role.arn,
          encryptionKey: this.artifactKey.arn,
          source: { type: 'CODEPIPELINE', buildspec },
          artifacts: { type: 'CODEPIPELINE' },
          environment: {
            type: 'LINUX_CONTAINER',
            computeType: 'BUILD_GENERAL1_MEDIUM',
            image,
            environmentVariables: Object.entries(env).map(([envName, value]) => ({ name: envName, value, type: 'PLAINTEXT' })),
          },
          logsConfig: { cloudwatchLogs: { groupName: logGroup.name, status: 'ENABLED' } },
          buildTimeout: 60,
          tags: args.tags,
        },
        { parent: this, dependsOn: [policy] },
      );
      projects[key] = p;
      return p;
    };

    const test = project('test', 'buildspecs/test.yml', {}, []);
    // Each stage reaches its own stack's state prefix and secrets key only: the dev stage runs
    // before the approval, so it must not be able to read or rewrite prod (issue 18).
    const deploys = args.deployments.map((d) =>
      project(
        `deploy-${d.stack}`,
        'buildspecs/deploy.yml',
        { STACK: d.stack, PULUMI_BACKEND_URL: stackBackendUrl(stateBucket, d.stack), DEPLOY_ROLE_ARN: d.roleArn },
        [
          { Sid: 'AssumeStackDeployRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: d.roleArn },
          ...stackStateStatements(stateBucketArn, d.stack, args.stateKeyArn, d.secretsKeyArn, region),
        ],
        deliveryBuildRoleName(args.environment, d.stack),
      ),
    );
    this.projects = projects;

    const pipelineName = `${prefix}-delivery`;
    const pipelineRole = new aws.iam.Role(
      `${name}-pipeline-role`,
      { name: `${prefix}-delivery-pipeline`, assumeRolePolicy: JSON.stringify(trustPolicy('codepipeline.amazonaws.com', accountId, `arn:${partition}:codepipeline:${region}:${accountId}:${pipelineName}`)), tags: args.tags },
      parent,
    );
    const pipelinePolicy = new aws.iam.RolePolicy(
      `${name}-pipeline-policy`,
      {
        role: pipelineRole.name,
        name: 'least-privilege',
        policy: pulumi
          .all([
            artifacts.bucket.arn,
            this.artifactKey.arn,
            this.connection.arn,
            pulumi.all(Object.values(projects).map((p) => p.arn)),
            args.approvalTopic ? pulumi.output(args.approvalTopic.arn) : pulumi.output(''),
            args.approvalTopic ? pulumi.output(args.approvalTopic.keyArn) : pulumi.output(''),
          ])
          .apply(([bucket, key, connection, projectArns, topic, topicKey]) =>
            JSON.stringify(
              document(
                { Sid: 'Artifacts', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:GetBucketVersioning'], Resource: [bucket, `${bucket}/*`] },
                { Sid: 'ArtifactKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: key },
                { Sid: 'SourceConnection', Effect: 'Allow', Action: 'codestar-connections:UseConnection', Resource: connection },
                { Sid: 'RunBuilds', Effect: 'Allow', Action: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'], Resource: projectArns },
                ...(topic
                  ? [
                      { Sid: 'ApprovalNotice', Effect: 'Allow' as const, Action: 'sns:Publish', Resource: topic },
                      { Sid: 'ApprovalNoticeKey', Effect: 'Allow' as const, Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: topicKey },
                    ]
                  : []),
              ),
            ),
          ),
      },
      parent,
    );

    const build = (actionName: string, p: aws.codebuild.Project, runOrder = 1) => ({
      name: actionName,
      category: 'Build',
      owner: 'AWS',
      provider: 'CodeBuild',
      version: '1',
      inputArtifacts: ['source'],
      runOrder,
      configuration: { ProjectName: p.name },
    });
    const stages: aws.types.input.codepipeline.PipelineStage[] = [
      {
        name: 'Source',
        actions: [
          {
            name: 'Source',
            category: 'Source',
            owner: 'AWS',
            provider: 'CodeStarSourceConnection',
            version: '1',
            outputArtifacts: ['source'],
            configuration: {
              ConnectionArn: this.connection.arn,
              FullRepositoryId: args.repository,
              BranchName: args.branch,
              OutputArtifactFormat: 'CODE_ZIP',
            },
          },
        ],
      },
      { name: 'Test', actions: [build('LintUnitPolicy', test)] },
    ];
    args.deployments.forEach((d, i) => {
      if (d.approval) {
        stages.push({
          name: `Approve-${d.stack}`,
          actions: [
            {
              name: 'ManualApproval',
              category: 'Approval',
              owner: 'AWS',
              provider: 'Manual',
              version: '1',
              configuration: {
                CustomData: `Promote ${args.repository}@${args.branch} to ${d.stack}`,
                ...(args.approvalTopic ? { NotificationArn: args.approvalTopic.arn } : {}),
              },
            },
          ],
        });
      }
      stages.push({ name: `Deploy-${d.stack}`, actions: [build(`PulumiUp-${d.stack}`, deploys[i])] });
    });

    this.pipeline = new aws.codepipeline.Pipeline(
      `${name}-pipeline`,
      {
        name: pipelineName,
        pipelineType: 'V2',
        executionMode: 'QUEUED',
        roleArn: pipelineRole.arn,
        artifactStores: [{ location: artifacts.bucket.bucket, type: 'S3', encryptionKey: { id: this.artifactKey.arn, type: 'KMS' } }],
        stages,
        tags: args.tags,
      },
      { parent: this, dependsOn: [pipelinePolicy] },
    );
    this.pipelineName = this.pipeline.name;
    this.connectionArn = this.connection.arn;
    this.registerOutputs({ pipelineName: this.pipelineName, connectionArn: this.connectionArn, artifactBucket: artifacts.bucket.bucket });
  }
}
