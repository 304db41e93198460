import {
  s3BucketKmsEncryption,
  s3BucketPublicAccessBlock,
  s3BucketTlsOnly,
  s3LakeBucketVersioning,
} from '../../policies/rules';
import { checkStack, namesOf, stackResource, urnOf } from './support/args';

const BUCKET = 'aws:s3/bucket:Bucket';
const SSE = 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration';
const PAB = 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock';
const POLICY = 'aws:s3/bucketPolicy:BucketPolicy';
const VERSIONING = 'aws:s3/bucketVersioning:BucketVersioning';

const bucket = (name: string, urn?: string) =>
  stackResource({ type: BUCKET, name, urn, props: { id: name, bucket: name, arn: `arn:aws:s3:::${name}` } });
const setting = (type: string, name: string, bucketRef: string, props: Record<string, unknown>) =>
  stackResource({ type, name, props: { bucket: bucketRef, ...props } });

const tlsPolicy = (b: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${b}`, `arn:aws:s3:::${b}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });

describe('s3-bucket-kms-encryption', () => {
  const kms = (key?: string) => ({
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key } }],
  });
  test('passes a bucket linked to an SSE-KMS configuration by id', async () => {
    const rs = [bucket('good'), setting(SSE, 'good-sse', 'good', kms('arn:aws:kms:eu-west-2:1:key/k'))];
    expect(await checkStack(s3BucketKmsEncryption, rs)).toEqual([]);
  });
  test('links through property dependencies when the id is unknown (preview)', async () => {
    const b = bucket('fresh');
    const sse = stackResource({
      type: SSE,
      name: 'fresh-sse',
      props: kms('k'),
      propertyDependencies: { bucket: [b] },
    });
    expect(await checkStack(s3BucketKmsEncryption, [b, sse])).toEqual([]);
  });
  test('flags AES256, a KMS rule without a key, and a bucket without configuration', async () => {
    const rs = [
      bucket('aes'),
      setting(SSE, 'aes-sse', 'aes', {
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
      }),
      bucket('nokey'),
      setting(SSE, 'nokey-sse', 'nokey', kms(undefined)),
      bucket('bare'),
      setting(SSE, 'other-sse', 'someone-else', kms('k')),
    ];
    const reported = await checkStack(s3BucketKmsEncryption, rs);
    expect(namesOf(reported, rs)).toEqual(['aes', 'bare', 'nokey']);
    expect(reported[0].message).toMatch(/'aes'.*Fix: add an aws.s3.BucketServerSideEncryptionConfiguration/);
  });
});

describe('s3-bucket-public-access-block', () => {
  const all = {
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  };
  test('passes with all four blocks', async () => {
    expect(
      await checkStack(s3BucketPublicAccessBlock, [bucket('b'), setting(PAB, 'b-pab', 'b', all)]),
    ).toEqual([]);
  });
  test('flags a missing block and a partial one, naming the missing settings', async () => {
    const rs = [
      bucket('none'),
      bucket('partial'),
      setting(PAB, 'partial-pab', 'partial', { ...all, ignorePublicAcls: false }),
    ];
    const reported = await checkStack(s3BucketPublicAccessBlock, rs);
    expect(namesOf(reported, rs)).toEqual(['none', 'partial']);
    expect(reported.map((r) => r.message).join('\n')).toMatch(/without ignorePublicAcls/);
  });
});

describe('s3-bucket-tls-only', () => {
  test('passes a bucket policy denying aws:SecureTransport=false', async () => {
    expect(
      await checkStack(s3BucketTlsOnly, [
        bucket('b'),
        setting(POLICY, 'b-policy', 'b', { policy: tlsPolicy('b') }),
      ]),
    ).toEqual([]);
  });
  test('accepts the policy document as an object and Principal {AWS: "*"}', async () => {
    const doc = JSON.parse(tlsPolicy('b')) as { Statement: Array<Record<string, unknown>> };
    doc.Statement[0].Principal = { AWS: '*' };
    expect(
      await checkStack(s3BucketTlsOnly, [bucket('b'), setting(POLICY, 'b-policy', 'b', { policy: doc })]),
    ).toEqual([]);
  });
  test('flags no policy, an Allow-only policy and a Deny without the TLS condition', async () => {
    const allow = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 's3:GetObject', Resource: '*' },
      ],
    });
    const noCondition = JSON.stringify({
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' }],
    });
    const rs = [
      bucket('none'),
      bucket('allow'),
      setting(POLICY, 'allow-policy', 'allow', { policy: allow }),
      bucket('nocond'),
      setting(POLICY, 'nocond-policy', 'nocond', { policy: noCondition }),
    ];
    const reported = await checkStack(s3BucketTlsOnly, rs);
    expect(namesOf(reported, rs)).toEqual(['allow', 'nocond', 'none']);
    expect(reported[0].message).toMatch(/aws:SecureTransport/);
  });
});

describe('s3-lake-bucket-versioning', () => {
  const lakeUrn = (name: string) => urnOf(`tributary:lake:DataLake$${BUCKET}`, name);
  test('passes a versioned lake bucket and ignores buckets outside the lake', async () => {
    const rs = [
      bucket('raw', lakeUrn('raw')),
      setting(VERSIONING, 'raw-versioning', 'raw', { versioningConfiguration: { status: 'Enabled' } }),
      bucket('artifacts'),
    ];
    expect(await checkStack(s3LakeBucketVersioning, rs)).toEqual([]);
  });
  test('recognises lake buckets by parent chain too', async () => {
    const lake = stackResource({ type: 'tributary:lake:DataLake', name: 'lake', props: {} });
    const raw = stackResource({ type: BUCKET, name: 'raw', parent: lake, props: { id: 'raw' } });
    const reported = await checkStack(s3LakeBucketVersioning, [lake, raw]);
    expect(namesOf(reported, [lake, raw])).toEqual(['raw']);
  });
  test('flags a lake bucket without versioning or with versioning suspended', async () => {
    const rs = [
      bucket('raw', lakeUrn('raw')),
      bucket('processed', lakeUrn('processed')),
      setting(VERSIONING, 'processed-versioning', 'processed', {
        versioningConfiguration: { status: 'Suspended' },
      }),
    ];
    const reported = await checkStack(s3LakeBucketVersioning, rs);
    expect(namesOf(reported, rs)).toEqual(['processed', 'raw']);
    expect(reported[0].message).toMatch(/Fix: add an aws.s3.BucketVersioning/);
  });
});

test('during a preview, unknown ids do not break the links made through property dependencies', async () => {
  // The analyzer's proxy throws on unknown values; emulate it for the bucket's id/arn/name.
  const unknown = new Proxy({} as Record<string, unknown>, {
    get: (_t, key) => {
      throw new Error(`unknown value ${String(key)}`);
    },
  });
  const b = stackResource({ type: BUCKET, name: 'fresh', props: unknown });
  const pab = stackResource({
    type: PAB,
    name: 'fresh-pab',
    props: {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    propertyDependencies: { bucket: [b] },
  });
  expect(await checkStack(s3BucketPublicAccessBlock, [b, pab])).toEqual([]);
});
