/**
 * What `cdk bootstrap` is to CDK, as components the `bootstrap/` program composes per account:
 * `DeployRole` (the role a stack's AWS provider assumes) and, in the account that holds them,
 * `StateStore` (the Pulumi state bucket, its key, one secrets-provider key per stack).
 * The documents are pure data in deployRolePolicy.ts and statePolicies.ts.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { partitionOf, withName, type PlatformArgs } from './common';
import { deployRolePolicy } from './deployRolePolicy';
import { createSecureBucket } from './secureBucket';
import { deployRoleTrustPolicy, secretsKeyAlias, secretsKeyPolicy, stateBucketPolicy, stateKeyPolicy, type StackDeployers } from './statePolicies';

export interface DeployRoleArgs extends PlatformArgs {
  /** Role name; the stacks' `tributary:deployRoleArn` points at it. Default `tributary-deploy`. */
  readonly roleName?: string;
  /** Principal ARNs (patterns allowed) that may assume it: people's roles, the delivery build role. */
  readonly trustedPrincipalArns: readonly string[];
  /** The stack deployed with it also holds the delivery pipeline. */
  readonly delivery?: boolean;
}

export class DeployRole extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: DeployRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tributary:bootstrap:DeployRole', name, {}, opts);
    if (args.trustedPrincipalArns.length === 0) throw new Error(`DeployRole ${name}: trustedPrincipalArns is empty`);
    const partition = partitionOf(args.aws);
    const roleName = args.roleName ?? 'tributary-deploy';
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        name: roleName,
        description: `Tributary ${args.environment}: assumed by the stack's AWS provider`,
        assumeRolePolicy: JSON.stringify(deployRoleTrustPolicy(args.trustedPrincipalArns, partition)),
        maxSessionDuration: 3600,
        tags: withName(args.tags, roleName),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.name,
        name: 'deploy-tributary-stack',
        policy: JSON.stringify(deployRolePolicy({ environment: args.environment, accountId: args.aws.accountId, region: args.aws.region, partition, delivery: args.delivery })),
      },
      { parent: this },
    );
    this.roleArn = this.role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}

export interface StateStoreArgs extends PlatformArgs {
  readonly bucketName: string;
  /** Pulumi project the keys' aliases are named after (`alias/<project>-<stack>-pulumi-secrets`). */
  readonly project: string;
  /** Each stack kept here, with who deploys it. */
  readonly stacks: readonly StackDeployers[];
  /** Keep the bucket when destroyed with objects in it (never force-destroy state). */
  readonly noncurrentVersionExpirationDays?: number;
}

export class StateStore extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly stateKey: aws.kms.Key;
  readonly secretsKeys: Readonly<Record<string, aws.kms.Key>>;
  readonly bucketName: pulumi.Output<string>;
  readonly stateKeyArn: pulumi.Output<string>;
  /** Stack → `awskms://alias/…?region=…` for `pulumi stack init --secrets-provider`. */
  readonly secretsProviders: Readonly<Record<string, string>>;
  readonly secretsKeyArns: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: StateStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tributary:bootstrap:StateStore', name, {}, opts);
    const partition = partitionOf(args.aws);
    const { accountId, region } = args.aws;
    const bucketArn = `arn:${partition}:s3:::${args.bucketName}`;
    const parent = { parent: this };
    this.stateKey = new aws.kms.Key(
      `${name}-state-key`,
      {
        description: `Pulumi state bucket ${args.bucketName}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: JSON.stringify(stateKeyPolicy(accountId, region, bucketArn, args.stacks, partition)),
        tags: withName(args.tags, `${args.bucketName}-key`),
      },
      parent,
    );
    const store = createSecureBucket(
      `${name}-bucket`,
      {
        bucketName: args.bucketName,
        kmsKeyArn: this.stateKey.arn,
        forceDestroy: false,
        bucketKeyEnabled: false,
        policy: (arn) => stateBucketPolicy(arn, args.stacks, partition),
        tags: withName(args.tags, args.bucketName),
        lifecycleRules: [
          {
            id: 'expire-old-state-versions',
            status: 'Enabled',
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionExpirationDays ?? 90 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      this,
    );
    this.bucket = store.bucket;
    const keys: Record<string, aws.kms.Key> = {};
    const providers: Record<string, string> = {};
    for (const { stack, principalArns } of args.stacks) {
      const alias = secretsKeyAlias(args.project, stack);
      keys[stack] = new aws.kms.Key(
        `${name}-${stack}-secrets-key`,
        {
          description: `Pulumi secrets provider of stack ${stack}`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: JSON.stringify(secretsKeyPolicy(accountId, principalArns, partition)),
          tags: withName(args.tags, alias.slice('alias/'.length)),
        },
        parent,
      );
      new aws.kms.Alias(`${name}-${stack}-secrets-alias`, { name: alias, targetKeyId: keys[stack].keyId }, parent);
      providers[stack] = `awskms://${alias}?region=${region}`;
    }
    this.secretsKeys = keys;
    this.secretsProviders = providers;
    this.bucketName = this.bucket.bucket;
    this.stateKeyArn = this.stateKey.arn;
    this.secretsKeyArns = pulumi.all(Object.fromEntries(Object.entries(keys).map(([s, k]) => [s, k.arn])));
    this.registerOutputs({ bucketName: this.bucketName, stateKeyArn: this.stateKeyArn, secretsKeyArns: this.secretsKeyArns });
  }
}
