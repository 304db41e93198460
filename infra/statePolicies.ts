/**
 * IAM documents of the Pulumi state store, as pure data (tests read them without Pulumi): one
 * bucket holding every stack's state under its own prefix (`s3://<bucket>/<stack>/.pulumi/…`,
 * what `pulumi login s3://<bucket>/<stack>` writes), one KMS key encrypting the bucket and one
 * `awskms://` secrets-provider key per stack. Whoever deploys a stack (a person's role, or the
 * delivery pipeline's build role of that stage) reaches that stack's prefix and key, and no other.
 */
import { document, tlsOnlyBucketPolicy, type PolicyDocument, type PolicyStatement } from './iam';

/** Prefix of one stack's state in the state bucket (no leading slash, trailing slash). */
export function statePrefix(stack: string): string {
  return `${stack}/`;
}

/** The Pulumi backend URL of one stack: its own prefix of the state bucket. */
export function stackBackendUrl(bucket: string, stack: string): string {
  return `s3://${bucket}/${stack}`;
}

/** Alias of a stack's secrets-provider key (`awskms://alias/…` in `Pulumi.<stack>.yaml`). */
export function secretsKeyAlias(project: string, stack: string): string {
  return `alias/${project}-${stack}-pulumi-secrets`;
}

/** Name of the delivery pipeline's build role deploying `stack` (DeliveryPipeline creates it). */
export function deliveryBuildRoleName(deliveryEnvironment: string, stack: string): string {
  return `tributary-${deliveryEnvironment}-deploy-${stack}-build`;
}

export interface StackDeployers {
  readonly stack: string;
  /** Principal ARNs (patterns allowed: `…/AWSReservedSSO_Deployer_*`) that deploy this stack. */
  readonly principalArns: readonly string[];
}

/** The accounts of a list of principal ARNs (`arn:aws:iam::<account>:…`). */
export function accountsOf(principalArns: readonly string[]): string[] {
  const accounts = principalArns.map((arn) => /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1]);
  for (const [i, account] of accounts.entries()) {
    if (!account) throw new Error(`principal ${principalArns[i]} is not an IAM ARN with an account id`);
  }
  return [...new Set(accounts as string[])].sort();
}

function rootsOf(principalArns: readonly string[], partition: string): string[] {
  return accountsOf(principalArns).map((a) => `arn:${partition}:iam::${a}:root`);
}

/**
 * What a stack's deployer needs in the state store: list its prefix, read and write its objects
 * (state, history, backups, locks), the bucket key through S3 only and for its prefix only
 * (the encryption context of an object without a bucket key is the object's ARN), and its own
 * secrets key. Used as the identity policy of the delivery build role of that stage.
 */
export function stackStateStatements(bucketArn: string, stack: string, stateKeyArn: string, secretsKeyArn: string, region: string): PolicyStatement[] {
  const prefix = statePrefix(stack);
  return [
    { Sid: 'PulumiStateList', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': [`${prefix}*`, stack] } } },
    { Sid: 'PulumiState', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: `${bucketArn}/${prefix}*` },
    {
      Sid: 'PulumiStateKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: stateKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` }, StringLike: { 'kms:EncryptionContext:aws:s3:arn': `${bucketArn}/${prefix}*` } },
    },
    { Sid: 'PulumiSecrets', Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], Resource: secretsKeyArn },
  ];
}

/**
 * The state bucket's policy: TLS only; each stack's prefix denied to everyone but that stack's
 * deployers (a role of the bucket's own account with a broad S3 policy still cannot read another
 * stack's state); and allowed to those deployers, which other accounts' roles need.
 */
export function stateBucketPolicy(bucketArn: string, stacks: readonly StackDeployers[], partition = 'aws'): PolicyDocument {
  const statements: PolicyStatement[] = [...tlsOnlyBucketPolicy(bucketArn).Statement];
  for (const { stack, principalArns } of stacks) {
    const prefix = statePrefix(stack);
    const sid = stack.replace(/[^A-Za-z0-9]/g, '');
    statements.push(
      {
        Sid: `Deny${sid}StateToOthers`,
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:GetObjectVersion', 's3:DeleteObjectVersion'],
        Resource: `${bucketArn}/${prefix}*`,
        Condition: { ArnNotLike: { 'aws:PrincipalArn': [...principalArns] } },
      },
      {
        Sid: `Allow${sid}StateToDeployers`,
        Effect: 'Allow',
        Principal: { AWS: rootsOf(principalArns, partition) },
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: `${bucketArn}/${prefix}*`,
        Condition: { ArnLike: { 'aws:PrincipalArn': [...principalArns] } },
      },
      {
        Sid: `List${sid}StateToDeployers`,
        Effect: 'Allow',
        Principal: { AWS: rootsOf(principalArns, partition) },
        Action: 's3:ListBucket',
        Resource: bucketArn,
        Condition: { ArnLike: { 'aws:PrincipalArn': [...principalArns] }, StringLike: { 's3:prefix': [`${prefix}*`, stack] } },
      },
    );
  }
  return document(...statements);
}

/** Key administration without use: the account's administrators manage, never decrypt. */
export function keyAdministrationStatement(accountId: string, partition = 'aws'): PolicyStatement {
  return {
    Sid: 'AccountAdministersWithoutUse',
    Effect: 'Allow',
    Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
    Action: [
      'kms:Create*',
      'kms:Describe*',
      'kms:Enable*',
      'kms:List*',
      'kms:Put*',
      'kms:Update*',
      'kms:Revoke*',
      'kms:Disable*',
      'kms:Get*',
      'kms:Delete*',
      'kms:TagResource',
      'kms:UntagResource',
      'kms:ScheduleKeyDeletion',
      'kms:CancelKeyDeletion',
    ],
    Resource: '*',
  };
}

/** A stack's secrets-provider key: administered by its account, used by that stack's deployers only. */
export function secretsKeyPolicy(accountId: string, deployers: readonly string[], partition = 'aws'): PolicyDocument {
  return document(keyAdministrationStatement(accountId, partition), {
    Sid: 'StackDeployersUse',
    Effect: 'Allow',
    Principal: { AWS: rootsOf(deployers, partition) },
    Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
    Resource: '*',
    Condition: { ArnLike: { 'aws:PrincipalArn': [...deployers] } },
  });
}

/**
 * The state bucket's key: used through S3 only, each deployer for objects under its own
 * stack's prefix only (the bucket has no S3 bucket key, so the context is the object's ARN).
 */
export function stateKeyPolicy(accountId: string, region: string, bucketArn: string, stacks: readonly StackDeployers[], partition = 'aws'): PolicyDocument {
  return document(
    keyAdministrationStatement(accountId, partition),
    ...stacks.map(
      ({ stack, principalArns }): PolicyStatement => ({
        Sid: `${stack.replace(/[^A-Za-z0-9]/g, '')}StateThroughS3`,
        Effect: 'Allow',
        Principal: { AWS: rootsOf(principalArns, partition) },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: {
          ArnLike: { 'aws:PrincipalArn': [...principalArns] },
          StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': `${bucketArn}/${statePrefix(stack)}*` },
        },
      }),
    ),
  );
}

/**
 * Trust of a stack account's deploy role: the named principals and the delivery build role of
 * that stage, each by `aws:PrincipalArn` (the build role need not exist yet when this is
 * created, which a role ARN as Principal would require), never a bare account principal.
 */
export function deployRoleTrustPolicy(trustedPrincipalArns: readonly string[], partition = 'aws'): PolicyDocument {
  return document({
    Sid: 'NamedDeployers',
    Effect: 'Allow',
    Principal: { AWS: rootsOf(trustedPrincipalArns, partition) },
    Action: ['sts:AssumeRole', 'sts:TagSession'],
    Condition: { ArnLike: { 'aws:PrincipalArn': [...trustedPrincipalArns] } },
  });
}
