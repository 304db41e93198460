/**
 * A bucket with the platform's guardrails, as separate resources (aws v7 style): SSE-KMS with a
 * bucket key, versioning, all four public-access blocks, bucket-owner-enforced ownership, a
 * TLS-only bucket policy and, optionally, lifecycle rules. Children of the calling component.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { tlsOnlyBucketPolicy, type PolicyDocument } from './iam';

export interface SecureBucketArgs {
  /** Physical bucket name (globally unique). */
  readonly bucketName: string;
  /** KMS key encrypting every object. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Let `pulumi destroy` delete a non-empty bucket (dev only). */
  readonly forceDestroy: boolean;
  readonly lifecycleRules?: pulumi.Input<aws.types.input.s3.BucketLifecycleConfigurationRule>[];
  readonly tags: Record<string, string>;
  /**
   * S3 bucket key (default on: fewer KMS calls). Off where a key policy scopes use by object
   * prefix: with a bucket key the encryption context is the bucket, not the object.
   */
  readonly bucketKeyEnabled?: boolean;
  /** The bucket policy; must keep the TLS-only denial. Default: TLS only. */
  readonly policy?: (bucketArn: string) => PolicyDocument;
}

export interface SecureBucket {
  readonly bucket: aws.s3.Bucket;
  readonly encryption: aws.s3.BucketServerSideEncryptionConfiguration;
  readonly versioning: aws.s3.BucketVersioning;
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  readonly ownership: aws.s3.BucketOwnershipControls;
  readonly policy: aws.s3.BucketPolicy;
  readonly lifecycle?: aws.s3.BucketLifecycleConfiguration;
}

export function createSecureBucket(name: string, args: SecureBucketArgs, parent: pulumi.Resource): SecureBucket {
  const opts = { parent };
  const bucket = new aws.s3.Bucket(name, { bucket: args.bucketName, forceDestroy: args.forceDestroy, tags: args.tags }, opts);
  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: args.bucketKeyEnabled ?? true }],
    },
    opts,
  );
  const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }, opts);
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } }, opts);
  const policy = new aws.s3.BucketPolicy(
    `${name}-tls-only`,
    { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify((args.policy ?? tlsOnlyBucketPolicy)(arn))) },
    { parent, dependsOn: [publicAccessBlock] },
  );
  const lifecycle = args.lifecycleRules?.length
    ? new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, { bucket: bucket.id, rules: args.lifecycleRules }, { parent, dependsOn: [versioning] })
    : undefined;
  return { bucket, encryption, versioning, publicAccessBlock, ownership, policy, ...(lifecycle ? { lifecycle } : {}) };
}
