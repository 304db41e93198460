/**
 * Encryption at rest outside S3: KMS key rotation, and SNS topics, Secrets Manager secrets, log
 * groups, CodeBuild projects and CodePipeline artifact stores encrypted with a KMS key.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { T, describe, isTrue, rec, records, str } from './util';

export const kmsKeyRotation: ResourceValidationPolicy = {
  name: 'kms-key-rotation',
  description: 'Customer-managed symmetric KMS keys have automatic rotation enabled.',
  enforcementLevel: 'mandatory',
  severity: 'medium',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.kmsKey) return;
    const spec = str(args.props.customerMasterKeySpec) ?? 'SYMMETRIC_DEFAULT';
    if (spec !== 'SYMMETRIC_DEFAULT') return; // AWS rotates only symmetric keys
    if (isTrue(args.props.enableKeyRotation)) return;
    reportViolation(`KMS key ${describe(args)} does not rotate. Fix: set enableKeyRotation: true.`);
  },
};

export const snsTopicKmsEncryption: ResourceValidationPolicy = {
  name: 'sns-topic-kms-encryption',
  description: 'SNS topics are encrypted with a KMS key.',
  enforcementLevel: 'mandatory',
  severity: 'high',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.snsTopic) return;
    if (str(args.props.kmsMasterKeyId)) return;
    reportViolation(
      `SNS topic ${describe(args)} is not encrypted. Fix: set kmsMasterKeyId to the platform KMS key ARN.`,
    );
  },
};

export const secretKmsEncryption: ResourceValidationPolicy = {
  name: 'secret-kms-encryption',
  description: 'Secrets Manager secrets are encrypted with a customer-managed KMS key.',
  enforcementLevel: 'mandatory',
  severity: 'high',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.secret) return;
    if (str(args.props.kmsKeyId)) return;
    reportViolation(
      `Secrets Manager secret ${describe(args)} uses the AWS-managed key. Fix: set kmsKeyId to the platform KMS key ARN.`,
    );
  },
};

export const logGroupKmsEncryption: ResourceValidationPolicy = {
  name: 'log-group-kms-encryption',
  description: 'CloudWatch log groups are encrypted with a KMS key.',
  enforcementLevel: 'mandatory',
  severity: 'medium',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.logGroup) return;
    if (str(args.props.kmsKeyId)) return;
    reportViolation(
      `Log group ${describe(args)} is not encrypted with KMS. Fix: set kmsKeyId to the platform KMS key ARN ` +
        `(its key policy must allow logs.<region>.amazonaws.com).`,
    );
  },
};

export const codebuildKmsEncryption: ResourceValidationPolicy = {
  name: 'codebuild-kms-encryption',
  description:
    'CodeBuild projects encrypt their artifacts with a KMS key and never disable artifact encryption.',
  enforcementLevel: 'mandatory',
  severity: 'medium',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.codebuildProject) return;
    if (!str(args.props.encryptionKey)) {
      reportViolation(
        `CodeBuild project ${describe(args)} has no encryptionKey. Fix: set encryptionKey to the KMS key ARN.`,
      );
    }
    const artifacts = [rec(args.props.artifacts), ...records(args.props.secondaryArtifacts)];
    if (artifacts.some((a) => isTrue(a?.encryptionDisabled))) {
      reportViolation(
        `CodeBuild project ${describe(args)} disables artifact encryption. Fix: remove encryptionDisabled: true from its artifacts.`,
      );
    }
  },
};

export const codepipelineArtifactKmsEncryption: ResourceValidationPolicy = {
  name: 'codepipeline-artifact-kms-encryption',
  description: 'CodePipeline artifact stores are encrypted with a customer-managed KMS key.',
  enforcementLevel: 'mandatory',
  severity: 'medium',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.codepipeline) return;
    const stores = records(args.props.artifactStores);
    const bad =
      stores.length === 0 ||
      stores.some((s) => {
        const key = rec(s.encryptionKey);
        return str(key?.type) !== 'KMS' || !str(key?.id);
      });
    if (!bad) return;
    reportViolation(
      `CodePipeline ${describe(args)} has an artifact store without a KMS key. Fix: set ` +
        `artifactStores[].encryptionKey = { type: 'KMS', id: <KMS key ARN> }.`,
    );
  },
};

export const encryptionPolicies = [
  kmsKeyRotation,
  snsTopicKmsEncryption,
  secretKmsEncryption,
  logGroupKmsEncryption,
  codebuildKmsEncryption,
  codepipelineArtifactKmsEncryption,
];
