/**
 * The bootstrap program (bootstrap/) under mocks, per account: the deploy role trusted only by
 * named principals with conditions; in prod the state bucket (KMS, versioning, TLS only, public
 * access blocked, no bucket key) and one secrets key per stack; the whole policy pack passes.
 */
import { captureStack, type CapturedResource } from '../support/pulumiMocks';
import { evaluatePolicies, violationsOf } from '../../policies/evaluate';
import { policies } from '../../policies/rules';
import { validateBootstrapConfig } from '../../bootstrap/config';
import { deployRolePolicy } from '../../infra/deployRolePolicy';
import { decide } from '../support/iam-evaluate';

let dev: CapturedResource[];
let prod: CapturedResource[];
beforeAll(async () => {
  [dev, prod] = await Promise.all([captureStack('dev', { projectDir: 'bootstrap' }), captureStack('prod', { projectDir: 'bootstrap' })]);
}, 120_000);

const ofType = (rs: CapturedResource[], type: string) => rs.filter((r) => r.type === type);

it('passes the whole policy pack in both accounts', async () => {
  for (const resources of [dev, prod]) {
    const outcomes = await evaluatePolicies(policies, resources);
    expect(violationsOf(outcomes, ['mandatory', 'advisory']).map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  }
});

it("creates the deploy role the stacks' deployRoleArn names, trusted by principal ARN, not by a bare account", () => {
  const [role] = ofType(dev, 'aws:iam/role:Role');
  expect(role.inputs.name).toBe('tributary-deploy');
  const trust = JSON.parse(role.inputs.assumeRolePolicy as string) as { Statement: Array<{ Condition?: { ArnLike?: Record<string, string[]> } }> };
  for (const s of trust.Statement) expect(s.Condition?.ArnLike?.['aws:PrincipalArn']?.length).toBeGreaterThan(0);
  const person = 'arn:aws:iam::210987654321:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_TributaryDevDeployer_0a1b';
  expect(decide(trust as never, person, { action: 'sts:AssumeRole', resource: '*' })).toBe('allow');
  expect(decide(trust as never, 'arn:aws:iam::123456789012:role/tributary-prod-deploy-dev-build', { action: 'sts:AssumeRole', resource: '*' })).toBe('allow');
  // Another role of the same accounts, and prod's build stage, are not trusted by dev's role.
  expect(decide(trust as never, 'arn:aws:iam::210987654321:role/SomeAppRole', { action: 'sts:AssumeRole', resource: '*' })).toBe('none');
  expect(decide(trust as never, 'arn:aws:iam::123456789012:role/tributary-prod-deploy-prod-build', { action: 'sts:AssumeRole', resource: '*' })).toBe('none');
  expect(ofType(dev, 'aws:s3/bucket:Bucket')).toHaveLength(0); // the state store lives in prod only
});

it("the deploy role manages the stack's own names only", () => {
  const doc = deployRolePolicy({ environment: 'dev', accountId: '210987654321', region: 'eu-west-2' });
  const role = 'arn:aws:iam::210987654321:role/tributary-deploy';
  expect(decide(doc as never, role, { action: 's3:CreateBucket', resource: 'arn:aws:s3:::tributary-dev-raw-210987654321-eu-west-2' })).toBe('allow');
  expect(decide(doc as never, role, { action: 's3:CreateBucket', resource: 'arn:aws:s3:::tributary-prod-raw-123456789012-eu-west-2' })).toBe('none');
  expect(decide(doc as never, role, { action: 'iam:PutRolePolicy', resource: 'arn:aws:iam::210987654321:role/tributary-deploy' })).toBe('none');
  expect(decide(doc as never, role, { action: 'kms:Decrypt', resource: 'arn:aws:kms:eu-west-2:210987654321:key/abc' })).toBe('none');
  expect(decide(doc as never, role, { action: 'kms:Decrypt', resource: 'arn:aws:kms:eu-west-2:210987654321:key/abc', context: { 'kms:ViaService': 'secretsmanager.eu-west-2.amazonaws.com', 'aws:ResourceTag/project': 'tributary' } })).toBe('allow');
  expect(decide(doc as never, role, { action: 'codepipeline:CreatePipeline', resource: 'arn:aws:codepipeline:eu-west-2:210987654321:tributary-dev-delivery' })).toBe('none');
  // A created network: EC2 resources of its own environment only, told apart by their tag.
  const vpc = 'arn:aws:ec2:eu-west-2:210987654321:vpc/vpc-0123456789abcdef0';
  expect(decide(doc as never, role, { action: 'ec2:CreateVpc', resource: vpc, context: { 'aws:RequestTag/environment': 'dev' } })).toBe('allow');
  expect(decide(doc as never, role, { action: 'ec2:CreateVpc', resource: vpc, context: { 'aws:RequestTag/environment': 'prod' } })).toBe('none');
  expect(decide(doc as never, role, { action: 'ec2:DeleteVpc', resource: vpc, context: { 'aws:ResourceTag/environment': 'prod' } })).toBe('none');
  expect(decide(doc as never, role, { action: 'ec2:DeleteVpc', resource: vpc, context: { 'aws:ResourceTag/environment': 'dev' } })).toBe('allow');
});

it('creates the state bucket with its guardrails and one secrets key per stack', () => {
  const [bucket] = ofType(prod, 'aws:s3/bucket:Bucket');
  expect(bucket.inputs).toMatchObject({ bucket: 'tributary-pulumi-state-123456789012', forceDestroy: false });
  const [sse] = ofType(prod, 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration');
  expect(sse.inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: expect.stringContaining(':key/') }, bucketKeyEnabled: false }]);
  expect(ofType(prod, 'aws:s3/bucketVersioning:BucketVersioning')[0].inputs.versioningConfiguration).toEqual({ status: 'Enabled' });
  expect(ofType(prod, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock')[0].inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
  expect(ofType(prod, 'aws:kms/alias:Alias').map((a) => a.inputs.name).sort()).toEqual([
    'alias/tributary-bootstrap-pulumi-secrets',
    'alias/tributary-dev-pulumi-secrets',
    'alias/tributary-prod-pulumi-secrets',
  ]);
  for (const key of ofType(prod, 'aws:kms/key:Key')) expect(key.inputs.enableKeyRotation).toBe(true);
});

it('a bad bootstrap config fails naming the key', () => {
  const base = { environment: 'dev', accountId: '210987654321', region: 'eu-west-2', tags: JSON.stringify({ project: 'p', environment: 'dev', owner: 'o', 'cost-center': 'c', 'managed-by': 'pulumi' }), delivery: JSON.stringify({ accountId: '123456789012', environment: 'prod' }) };
  expect(() => validateBootstrapConfig({ ...base, deployRole: JSON.stringify({ stack: 'dev', deployers: ['arn:aws:iam::210987654321:root'] }) })).toThrow(
    /"bootstrap:deployRole.deployers\[0\]" must be an IAM role or user ARN \(no bare account\)/,
  );
  expect(() => validateBootstrapConfig({ ...base, deployRole: JSON.stringify({ stack: 'dev', deployers: [] }) })).toThrow(/"bootstrap:deployRole.deployers" must list at least one/);
});
