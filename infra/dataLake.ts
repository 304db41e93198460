/**
 * DataLake: the lake's KMS key and its two buckets.
 *
 * - raw bucket: `raw/<source>/...` (immutable extracts), `manifests/extract/...`, `state/<source>/...`
 * - processed bucket: `processed/...` (Parquet star schema), `manifests/transform/...`
 *
 * Both buckets: SSE-KMS with bucket key, versioning, public access blocked, bucket-owner-enforced,
 * TLS-only. Raw objects move to STANDARD_IA, then to GLACIER_IR (instant retrieval: transform may
 * re-read old raw objects), per the lifecycle settings; old versions expire on both buckets.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { partitionOf, withName, type PlatformArgs } from './common';
import { accountAdminStatement, document, logsKeyStatement } from './iam';
import { createSecureBucket } from './secureBucket';

export interface DataLakeLifecycleArgs {
  /** Days before objects under `raw/` move to STANDARD_IA (S3 minimum: 30). Default 30. */
  readonly rawInfrequentAccessAfterDays?: number;
  /** Days before objects under `raw/` move to the archive class (≥ IA + 30). Default 90. */
  readonly rawArchiveAfterDays?: number;
  /** Archive storage class; GLACIER_IR keeps objects readable in milliseconds. Default GLACIER_IR. */
  readonly archiveStorageClass?: 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';
  /** Days a noncurrent (overwritten or deleted) version is kept, both buckets. Default 30. */
  readonly noncurrentVersionExpirationDays?: number;
}

export interface DataLakeArgs extends PlatformArgs {
  /** Prefix of the physical names; default `tributary-<environment>`. */
  readonly namePrefix?: string;
  readonly lifecycle?: DataLakeLifecycleArgs;
  /** Let `pulumi destroy` empty and delete the buckets (dev). Default false. */
  readonly forceDestroy?: boolean;
  /** Days KMS waits before deleting the key after `pulumi destroy`. Default 30. */
  readonly keyDeletionWindowDays?: number;
}

export class DataLake extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly keyAlias: aws.kms.Alias;
  readonly rawBucket: aws.s3.Bucket;
  readonly processedBucket: aws.s3.Bucket;
  readonly keyArn: pulumi.Output<string>;
  readonly rawBucketName: pulumi.Output<string>;
  readonly rawBucketArn: pulumi.Output<string>;
  readonly processedBucketName: pulumi.Output<string>;
  readonly processedBucketArn: pulumi.Output<string>;
  /** `s3://<raw bucket>`: the runtime's TRIBUTARY_RAW_LAKE. */
  readonly rawLakeUrl: pulumi.Output<string>;
  /** `s3://<processed bucket>`: the runtime's TRIBUTARY_PROCESSED_LAKE. */
  readonly processedLakeUrl: pulumi.Output<string>;

  constructor(name: string, args: DataLakeArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tributary:lake:DataLake', name, {}, opts);
    const prefix = args.namePrefix ?? `tributary-${args.environment}`;
    const lc = {
      rawInfrequentAccessAfterDays: args.lifecycle?.rawInfrequentAccessAfterDays ?? 30,
      rawArchiveAfterDays: args.lifecycle?.rawArchiveAfterDays ?? 90,
      archiveStorageClass: args.lifecycle?.archiveStorageClass ?? 'GLACIER_IR',
      noncurrentVersionExpirationDays: args.lifecycle?.noncurrentVersionExpirationDays ?? 30,
    };
    if (lc.rawInfrequentAccessAfterDays < 30) throw new Error(`DataLake ${name}: rawInfrequentAccessAfterDays must be at least 30`);
    if (lc.rawArchiveAfterDays < lc.rawInfrequentAccessAfterDays + 30) {
      throw new Error(`DataLake ${name}: rawArchiveAfterDays must be at least 30 days after rawInfrequentAccessAfterDays`);
    }
    const forceDestroy = args.forceDestroy ?? false;

    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Tributary ${args.environment} lake: raw and processed buckets, pipeline secrets and logs`,
        enableKeyRotation: true,
        deletionWindowInDays: args.keyDeletionWindowDays ?? 30,
        // Also encrypts the pipelines' log groups (functions and state machines of this environment).
        policy: JSON.stringify(
          document(
            accountAdminStatement(args.aws.accountId, partitionOf(args.aws)),
            logsKeyStatement(
              args.aws.region,
              ['/aws/lambda/', '/aws/vendedlogs/states/'].map(
                (p) => `arn:${partitionOf(args.aws)}:logs:${args.aws.region}:${args.aws.accountId}:log-group:${p}${prefix}-*`,
              ),
            ),
          ),
        ),
        tags: withName(args.tags, `${prefix}-lake`),
      },
      { parent: this },
    );
    this.keyAlias = new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${prefix}-lake`, targetKeyId: this.key.keyId }, { parent: this });

    const expireOldVersions = {
      id: 'expire-noncurrent-versions',
      status: 'Enabled',
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: lc.noncurrentVersionExpirationDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    };
    const raw = createSecureBucket(
      `${name}-raw`,
      {
        bucketName: `${prefix}-raw-${args.aws.accountId}-${args.aws.region}`,
        kmsKeyArn: this.key.arn,
        forceDestroy,
        tags: withName(args.tags, `${prefix}-raw`),
        lifecycleRules: [
          {
            id: 'raw-to-infrequent-access-then-archive',
            status: 'Enabled',
            filter: { prefix: 'raw/' },
            transitions: [
              { days: lc.rawInfrequentAccessAfterDays, storageClass: 'STANDARD_IA' },
              { days: lc.rawArchiveAfterDays, storageClass: lc.archiveStorageClass },
            ],
          },
          expireOldVersions,
        ],
      },
      this,
    );
    const processed = createSecureBucket(
      `${name}-processed`,
      {
        bucketName: `${prefix}-processed-${args.aws.accountId}-${args.aws.region}`,
        kmsKeyArn: this.key.arn,
        forceDestroy,
        tags: withName(args.tags, `${prefix}-processed`),
        lifecycleRules: [expireOldVersions],
      },
      this,
    );
    this.rawBucket = raw.bucket;
    this.processedBucket = processed.bucket;
    this.keyArn = this.key.arn;
    this.rawBucketName = raw.bucket.bucket;
    this.rawBucketArn = raw.bucket.arn;
    this.processedBucketName = processed.bucket.bucket;
    this.processedBucketArn = processed.bucket.arn;
    this.rawLakeUrl = pulumi.interpolate`s3://${raw.bucket.bucket}`;
    this.processedLakeUrl = pulumi.interpolate`s3://${processed.bucket.bucket}`;

    this.registerOutputs({
      keyArn: this.keyArn,
      rawBucketName: this.rawBucketName,
      rawBucketArn: this.rawBucketArn,
      processedBucketName: this.processedBucketName,
      processedBucketArn: this.processedBucketArn,
      rawLakeUrl: this.rawLakeUrl,
      processedLakeUrl: this.processedLakeUrl,
    });
  }
}
