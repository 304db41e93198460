/**
 * S3 guardrails. With `@pulumi/aws` v7 a bucket's encryption, public access block, policy and
 * versioning are separate resources, so these are stack policies that link every bucket to the
 * resources that configure it (through property dependencies, or by bucket id/name).
 */
import type { PolicyResource, StackValidationPolicy } from '@pulumi/policy';
import {
  BUCKET_TYPES,
  T,
  describe,
  isLakeBucket,
  isPublicPrincipal,
  isTrue,
  iamPatternMatches,
  linkedTo,
  parsePolicyDocument,
  rec,
  records,
  str,
} from './util';

const BUCKET_NAME_KEYS = ['bucket'] as const;

function buckets(resources: readonly PolicyResource[]): PolicyResource[] {
  return resources.filter((r) => BUCKET_TYPES.includes(r.type));
}

function settingsOf(
  resources: readonly PolicyResource[],
  types: readonly string[],
  bucket: PolicyResource,
): PolicyResource[] {
  return linkedTo(resources, types, 'bucket', bucket, BUCKET_NAME_KEYS);
}

/** True when an SSE rule list (inline or separate resource) uses a customer-managed KMS key. */
function rulesUseKms(rules: unknown): boolean {
  return records(rules).some((rule) => {
    const d = rec(rule.applyServerSideEncryptionByDefault);
    const alg = str(d?.sseAlgorithm);
    return (alg === 'aws:kms' || alg === 'aws:kms:dsse') && str(d?.kmsMasterKeyId) !== undefined;
  });
}

export const s3BucketKmsEncryption: StackValidationPolicy = {
  name: 's3-bucket-kms-encryption',
  description: 'Every S3 bucket has default server-side encryption with a customer-managed KMS key.',
  enforcementLevel: 'mandatory',
  severity: 'high',
  validateStack: (args, reportViolation) => {
    for (const bucket of buckets(args.resources)) {
      const inline = rec(bucket.props.serverSideEncryptionConfiguration);
      if (inline && rulesUseKms(inline.rules)) continue;
      const configs = settingsOf(args.resources, [T.bucketSse, T.bucketSseV2], bucket);
      if (configs.some((c) => rulesUseKms(c.props.rules))) continue;
      reportViolation(
        `S3 bucket ${describe(bucket)} has no SSE-KMS default encryption. Fix: add an ` +
          `aws.s3.BucketServerSideEncryptionConfiguration for it with rules[0].applyServerSideEncryptionByDefault ` +
          `{ sseAlgorithm: 'aws:kms', kmsMasterKeyId: <platform KMS key ARN> } (and bucketKeyEnabled: true).`,
        bucket.urn,
      );
    }
  },
};

const BLOCKS = ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets'] as const;

export const s3BucketPublicAccessBlock: StackValidationPolicy = {
  name: 's3-bucket-public-access-block',
  description: 'Every S3 bucket has a public access block with all four settings enabled.',
  enforcementLevel: 'mandatory',
  severity: 'critical',
  validateStack: (args, reportViolation) => {
    for (const bucket of buckets(args.resources)) {
      const blocks = settingsOf(args.resources, [T.bucketPublicAccessBlock], bucket);
      if (blocks.some((b) => BLOCKS.every((k) => isTrue(b.props[k])))) continue;
      const missing =
        blocks.length === 0
          ? 'no aws.s3.BucketPublicAccessBlock'
          : `a public access block without ${BLOCKS.filter((k) => !blocks.some((b) => isTrue(b.props[k]))).join(', ')}`;
      reportViolation(
        `S3 bucket ${describe(bucket)} has ${missing}. Fix: add an aws.s3.BucketPublicAccessBlock for it with ` +
          `blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.`,
        bucket.urn,
      );
    }
  },
};

/** A statement denying every S3 action to everyone when `aws:SecureTransport` is false. */
function deniesInsecureTransport(policy: unknown): boolean {
  const statements = parsePolicyDocument(policy) ?? [];
  return statements.some((s) => {
    if (s.Effect !== 'Deny' || !isPublicPrincipal(s.Principal)) return false;
    if (!s.Action.some((a) => iamPatternMatches(a, 's3:GetObject') && iamPatternMatches(a, 's3:PutObject')))
      return false;
    const bool = rec(s.Condition?.Bool);
    const secure = bool?.['aws:SecureTransport'];
    return secure === false || secure === 'false';
  });
}

export const s3BucketTlsOnly: StackValidationPolicy = {
  name: 's3-bucket-tls-only',
  description: 'Every S3 bucket has a bucket policy denying requests that do not use TLS.',
  enforcementLevel: 'mandatory',
  severity: 'high',
  validateStack: (args, reportViolation) => {
    for (const bucket of buckets(args.resources)) {
      const inline = bucket.props.policy;
      if (inline !== undefined && deniesInsecureTransport(inline)) continue;
      const policies = settingsOf(args.resources, [T.bucketPolicy], bucket);
      if (policies.some((p) => deniesInsecureTransport(p.props.policy))) continue;
      reportViolation(
        `S3 bucket ${describe(bucket)} does not deny non-TLS requests. Fix: attach an aws.s3.BucketPolicy with a ` +
          `statement { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [<bucket ARN>, <bucket ARN>/*], ` +
          `Condition: { Bool: { 'aws:SecureTransport': 'false' } } }.`,
        bucket.urn,
      );
    }
  },
};

export const s3LakeBucketVersioning: StackValidationPolicy = {
  name: 's3-lake-bucket-versioning',
  description: 'Lake buckets (inside a DataLake component) have versioning enabled.',
  enforcementLevel: 'mandatory',
  severity: 'medium',
  validateStack: (args, reportViolation) => {
    for (const bucket of buckets(args.resources).filter((b) => isLakeBucket(b))) {
      if (rec(bucket.props.versioning)?.enabled === true) continue;
      const configs = settingsOf(args.resources, [T.bucketVersioning, T.bucketVersioningV2], bucket);
      if (configs.some((c) => str(rec(c.props.versioningConfiguration)?.status) === 'Enabled')) continue;
      reportViolation(
        `Lake bucket ${describe(bucket)} is not versioned. Fix: add an aws.s3.BucketVersioning for it with ` +
          `versioningConfiguration: { status: 'Enabled' }.`,
        bucket.urn,
      );
    }
  },
};

export const s3Policies = [
  s3BucketKmsEncryption,
  s3BucketPublicAccessBlock,
  s3BucketTlsOnly,
  s3LakeBucketVersioning,
];
