import {
  codebuildKmsEncryption,
  codepipelineArtifactKmsEncryption,
  kmsKeyRotation,
  logGroupKmsEncryption,
  secretKmsEncryption,
  snsTopicKmsEncryption,
} from '../../policies/rules';
import { checkResource } from './support/args';

const KEY = 'arn:aws:kms:eu-west-2:123456789012:key/abc';

test('kms-key-rotation', async () => {
  const type = 'aws:kms/key:Key';
  expect(await checkResource(kmsKeyRotation, { type, props: { enableKeyRotation: true } })).toEqual([]);
  expect(await checkResource(kmsKeyRotation, { type, props: { customerMasterKeySpec: 'RSA_2048' } })).toEqual(
    [],
  );
  const [m, ...rest] = await checkResource(kmsKeyRotation, { type, name: 'k', props: {} });
  expect(rest).toEqual([]);
  expect(m).toMatch(/KMS key 'k'.*Fix: set enableKeyRotation: true/);
});

test('sns-topic-kms-encryption', async () => {
  const type = 'aws:sns/topic:Topic';
  expect(await checkResource(snsTopicKmsEncryption, { type, props: { kmsMasterKeyId: KEY } })).toEqual([]);
  expect(await checkResource(snsTopicKmsEncryption, { type, name: 't', props: {} })).toEqual([
    expect.stringMatching(/SNS topic 't'.*Fix: set kmsMasterKeyId/),
  ]);
});

test('secret-kms-encryption', async () => {
  const type = 'aws:secretsmanager/secret:Secret';
  expect(await checkResource(secretKmsEncryption, { type, props: { kmsKeyId: KEY } })).toEqual([]);
  expect(await checkResource(secretKmsEncryption, { type, name: 's', props: {} })).toEqual([
    expect.stringMatching(/secret 's'.*Fix: set kmsKeyId/),
  ]);
});

test('log-group-kms-encryption', async () => {
  const type = 'aws:cloudwatch/logGroup:LogGroup';
  expect(
    await checkResource(logGroupKmsEncryption, { type, props: { kmsKeyId: KEY, retentionInDays: 7 } }),
  ).toEqual([]);
  expect(
    await checkResource(logGroupKmsEncryption, { type, name: 'l', props: { retentionInDays: 7 } }),
  ).toEqual([expect.stringMatching(/Log group 'l'.*Fix: set kmsKeyId/)]);
});

test('codebuild-kms-encryption', async () => {
  const type = 'aws:codebuild/project:Project';
  expect(
    await checkResource(codebuildKmsEncryption, {
      type,
      props: { encryptionKey: KEY, artifacts: { type: 'CODEPIPELINE' } },
    }),
  ).toEqual([]);
  expect(
    await checkResource(codebuildKmsEncryption, {
      type,
      name: 'p',
      props: { artifacts: { type: 'NO_ARTIFACTS' } },
    }),
  ).toEqual([expect.stringMatching(/CodeBuild project 'p'.*Fix: set encryptionKey/)]);
  expect(
    await checkResource(codebuildKmsEncryption, {
      type,
      name: 'p',
      props: {
        encryptionKey: KEY,
        artifacts: { type: 'S3' },
        secondaryArtifacts: [{ type: 'S3', encryptionDisabled: true }],
      },
    }),
  ).toEqual([expect.stringMatching(/disables artifact encryption/)]);
});

test('codepipeline-artifact-kms-encryption', async () => {
  const type = 'aws:codepipeline/pipeline:Pipeline';
  const store = (encryptionKey?: unknown) => ({ location: 'artifacts', type: 'S3', encryptionKey });
  expect(
    await checkResource(codepipelineArtifactKmsEncryption, {
      type,
      props: { artifactStores: [store({ id: KEY, type: 'KMS' })] },
    }),
  ).toEqual([]);
  for (const props of [
    { artifactStores: [store()] },
    { artifactStores: [store({ id: KEY, type: 'KMS' }), store()] },
    {},
  ]) {
    expect(await checkResource(codepipelineArtifactKmsEncryption, { type, name: 'cp', props })).toEqual([
      expect.stringMatching(/CodePipeline 'cp'.*encryptionKey = \{ type: 'KMS'/),
    ]);
  }
});

test('encryption policies ignore other resource types', async () => {
  const other = { type: 'aws:s3/bucket:Bucket', props: {} };
  for (const p of [
    kmsKeyRotation,
    snsTopicKmsEncryption,
    secretKmsEncryption,
    logGroupKmsEncryption,
    codebuildKmsEncryption,
    codepipelineArtifactKmsEncryption,
  ]) {
    expect(await checkResource(p, other)).toEqual([]);
  }
});
