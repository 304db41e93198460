/**
 * One Lambda function with its own role, inline least-privilege policy and log group (with
 * retention), children of the calling component. The policy is attached before the function is
 * created so Lambda can validate its dead-letter target.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, partitionOf, type AwsEnvironment } from './common';
import { document, trustPolicy, type PolicyDocument } from './iam';
import { networkInterfaceStatements, type FunctionNetwork } from './vpcAccess';

export interface PlatformFunctionArgs {
  /** Physical function name (also the log group's `/aws/lambda/<name>`). */
  readonly functionName: string;
  /** Folder holding the bundle's `index.js` (from `npm run build`). */
  readonly codeDir: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Builds the role's policy from the log group ARN. */
  readonly policy: (logGroupArn: pulumi.Output<string>) => pulumi.Output<PolicyDocument>;
  /** Dead-letter target (SNS topic or SQS queue ARN) for failed asynchronous invocations. */
  readonly deadLetterTargetArn: pulumi.Input<string>;
  readonly layers?: pulumi.Input<string>[];
  readonly logRetentionDays: number;
  /** KMS key encrypting the log group (its policy must allow CloudWatch Logs). */
  readonly logKmsKeyArn: pulumi.Input<string>;
  readonly logLevel: string;
  readonly tags: Record<string, string>;
  /** Runs the function in these subnets with these security groups (and grants the ENI permissions). */
  readonly network?: FunctionNetwork & { readonly aws: AwsEnvironment };
}

export interface PlatformFunction {
  readonly role: aws.iam.Role;
  readonly rolePolicy: aws.iam.RolePolicy;
  /** In a VPC: the network-interface permissions, a policy of their own. */
  readonly networkPolicy?: aws.iam.RolePolicy;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly function: aws.lambda.Function;
}

export function createPlatformFunction(name: string, args: PlatformFunctionArgs, parent: pulumi.Resource): PlatformFunction {
  const opts = { parent };
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    { name: `/aws/lambda/${args.functionName}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.logKmsKeyArn, tags: args.tags },
    opts,
  );
  const role = new aws.iam.Role(
    `${name}-role`,
    { name: `${args.functionName}`.slice(0, 64), assumeRolePolicy: JSON.stringify(trustPolicy('lambda.amazonaws.com')), tags: args.tags },
    opts,
  );
  const rolePolicy = new aws.iam.RolePolicy(
    `${name}-policy`,
    { role: role.name, name: 'least-privilege', policy: args.policy(logGroup.arn).apply((doc) => JSON.stringify(doc)) },
    opts,
  );
  const network = args.network;
  // Lambda checks the role's ENI permissions when it creates the function: attached before it.
  const networkPolicy = network
    ? new aws.iam.RolePolicy(
        `${name}-network-policy`,
        {
          role: role.name,
          name: 'vpc-network-interfaces',
          policy: pulumi.all([network.subnetIds, network.securityGroupIds]).apply(([subnetIds, securityGroupIds]) =>
            JSON.stringify(
              document(...networkInterfaceStatements({ partition: partitionOf(network.aws), region: network.aws.region, accountId: network.aws.accountId, subnetIds, securityGroupIds })),
            ),
          ),
        },
        opts,
      )
    : undefined;
  const fn = new aws.lambda.Function(
    name,
    {
      name: args.functionName,
      role: role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: [LAMBDA_ARCHITECTURE],
      handler: 'index.handler',
      code: new pulumi.asset.FileArchive(args.codeDir),
      memorySize: args.memoryMb,
      timeout: args.timeoutSeconds,
      layers: args.layers,
      environment: { variables: args.environment },
      deadLetterConfig: { targetArn: args.deadLetterTargetArn },
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name, applicationLogLevel: args.logLevel, systemLogLevel: 'WARN' },
      ...(network ? { vpcConfig: { subnetIds: network.subnetIds, securityGroupIds: network.securityGroupIds } } : {}),
      tags: args.tags,
    },
    { parent, dependsOn: [rolePolicy, logGroup, ...(networkPolicy ? [networkPolicy] : [])] },
  );
  return { role, rolePolicy, ...(networkPolicy ? { networkPolicy } : {}), logGroup, function: fn };
}
