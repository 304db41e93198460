/**
 * Issue 18 item 2: the deploy-dev stage runs before the approval, so its build role must not read
 * or rewrite prod's state nor use prod's secrets key. Asked of the IAM documents the programs
 * produce under mocks: the build role's identity policy (prod stack), the state bucket's policy
 * and the keys' policies (bootstrap, prod account).
 */
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureStack, type CapturedResource } from '../support/pulumiMocks';
import { decide } from '../support/iam-evaluate';

const ROOT = join(__dirname, '..', '..');
const BUCKET = 'tributary-pulumi-state-123456789012';
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const DEV_BUILD = 'arn:aws:iam::123456789012:role/tributary-prod-deploy-dev-build';
const PROD_BUILD = 'arn:aws:iam::123456789012:role/tributary-prod-deploy-prod-build';
const REGION = 'eu-west-2';

interface Deployment {
  stack: string;
  secretsKeyArn: string;
}
const delivery = (parseYaml(readFileSync(join(ROOT, 'Pulumi.prod.yaml'), 'utf8')) as { config: Record<string, { deployments: Deployment[]; stateKeyArn: string }> }).config['tributary:delivery'];
const keyOf = (stack: string): string => delivery.deployments.find((d) => d.stack === stack)!.secretsKeyArn;

let prod: CapturedResource[];
let bootstrap: CapturedResource[];
beforeAll(async () => {
  [prod, bootstrap] = await Promise.all([captureStack('prod'), captureStack('prod', { projectDir: 'bootstrap' })]);
}, 120_000);

const policyOf = (resources: CapturedResource[], name: string): string => {
  const r = resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}`);
  return r.inputs.policy as string;
};
const stateObject = (stack: string): string => `${BUCKET_ARN}/${stack}/.pulumi/stacks/tributary/${stack}.json`;
const viaS3 = (stack: string) => ({ 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': stateObject(stack) });

describe("the dev stage's build role (identity policy)", () => {
  const devPolicy = () => policyOf(prod, 'delivery-deploy-dev-policy');

  it('reads and writes dev state, and decrypts with the dev key', () => {
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      expect(decide(devPolicy(), DEV_BUILD, { action, resource: stateObject('dev') })).toBe('allow');
    }
    expect(decide(devPolicy(), DEV_BUILD, { action: 's3:ListBucket', resource: BUCKET_ARN, context: { 's3:prefix': 'dev/.pulumi/stacks/' } })).toBe('allow');
    expect(decide(devPolicy(), DEV_BUILD, { action: 'kms:Decrypt', resource: keyOf('dev') })).toBe('allow');
    expect(decide(devPolicy(), DEV_BUILD, { action: 'kms:Decrypt', resource: delivery.stateKeyArn, context: viaS3('dev') })).toBe('allow');
  });

  it("cannot read, write or list prod's state, nor use prod's key", () => {
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      expect(decide(devPolicy(), DEV_BUILD, { action, resource: stateObject('prod') })).not.toBe('allow');
    }
    expect(decide(devPolicy(), DEV_BUILD, { action: 's3:ListBucket', resource: BUCKET_ARN, context: { 's3:prefix': 'prod/' } })).not.toBe('allow');
    expect(decide(devPolicy(), DEV_BUILD, { action: 's3:ListBucket', resource: BUCKET_ARN, context: { 's3:prefix': '' } })).not.toBe('allow');
    for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']) {
      expect(decide(devPolicy(), DEV_BUILD, { action, resource: keyOf('prod') })).not.toBe('allow');
    }
    // The bucket key decrypts prod's objects only through S3 for prod's prefix.
    expect(decide(devPolicy(), DEV_BUILD, { action: 'kms:Decrypt', resource: delivery.stateKeyArn, context: viaS3('prod') })).not.toBe('allow');
  });

  it('the prod stage is scoped the same way to prod', () => {
    const prodPolicy = policyOf(prod, 'delivery-deploy-prod-policy');
    expect(decide(prodPolicy, PROD_BUILD, { action: 's3:PutObject', resource: stateObject('prod') })).toBe('allow');
    expect(decide(prodPolicy, PROD_BUILD, { action: 'kms:Decrypt', resource: keyOf('prod') })).toBe('allow');
    expect(decide(prodPolicy, PROD_BUILD, { action: 's3:PutObject', resource: stateObject('dev') })).not.toBe('allow');
    expect(decide(prodPolicy, PROD_BUILD, { action: 'kms:Decrypt', resource: keyOf('dev') })).not.toBe('allow');
  });

  it('each stage logs into its own prefix', () => {
    const env = (name: string) => (prod.find((r) => r.name === name)!.inputs.environment as { environmentVariables: Array<{ name: string; value: string }> }).environmentVariables;
    expect(env('delivery-deploy-dev')).toContainEqual({ name: 'PULUMI_BACKEND_URL', value: `s3://${BUCKET}/dev`, type: 'PLAINTEXT' });
    expect(env('delivery-deploy-prod')).toContainEqual({ name: 'PULUMI_BACKEND_URL', value: `s3://${BUCKET}/prod`, type: 'PLAINTEXT' });
  });
});

describe('the state store (bootstrap, prod account)', () => {
  it("denies prod's prefix to the dev build role even if an identity policy allowed it", () => {
    const bucketPolicy = policyOf(bootstrap, 'state-bucket-tls-only');
    const tls = { 'aws:SecureTransport': 'true' };
    expect(decide(bucketPolicy, DEV_BUILD, { action: 's3:GetObject', resource: stateObject('prod'), context: tls })).toBe('deny');
    expect(decide(bucketPolicy, DEV_BUILD, { action: 's3:PutObject', resource: stateObject('prod'), context: tls })).toBe('deny');
    expect(decide(bucketPolicy, PROD_BUILD, { action: 's3:GetObject', resource: stateObject('prod'), context: tls })).toBe('allow');
    expect(decide(bucketPolicy, DEV_BUILD, { action: 's3:GetObject', resource: stateObject('dev'), context: tls })).toBe('allow');
    // A dev-account deployer (cross-account) is allowed on dev only.
    const devPerson = 'arn:aws:iam::210987654321:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_TributaryDevDeployer_0a1b2c';
    expect(decide(bucketPolicy, devPerson, { action: 's3:GetObject', resource: stateObject('dev'), context: tls })).toBe('allow');
    expect(decide(bucketPolicy, devPerson, { action: 's3:GetObject', resource: stateObject('prod'), context: tls })).toBe('deny');
    // Plain HTTP is refused to everyone.
    expect(decide(bucketPolicy, PROD_BUILD, { action: 's3:GetObject', resource: stateObject('prod'), context: { 'aws:SecureTransport': 'false' } })).toBe('deny');
  });

  it("prod's secrets key admits prod's deployers only; administrators manage it without using it", () => {
    const prodKey = policyOf(bootstrap, 'state-prod-secrets-key');
    const devKey = policyOf(bootstrap, 'state-dev-secrets-key');
    expect(decide(prodKey, DEV_BUILD, { action: 'kms:Decrypt', resource: '*' })).toBe('none');
    expect(decide(prodKey, PROD_BUILD, { action: 'kms:Decrypt', resource: '*' })).toBe('allow');
    expect(decide(devKey, DEV_BUILD, { action: 'kms:Decrypt', resource: '*' })).toBe('allow');
    const admin = 'arn:aws:iam::123456789012:role/Admin';
    expect(decide(prodKey, admin, { action: 'kms:PutKeyPolicy', resource: '*' })).toBe('allow');
    expect(decide(prodKey, admin, { action: 'kms:Decrypt', resource: '*' })).toBe('none');
  });

  it("the bucket key serves dev's prefix to the dev build role, never prod's", () => {
    const stateKey = policyOf(bootstrap, 'state-state-key');
    expect(decide(stateKey, DEV_BUILD, { action: 'kms:Decrypt', resource: '*', context: viaS3('dev') })).toBe('allow');
    expect(decide(stateKey, DEV_BUILD, { action: 'kms:Decrypt', resource: '*', context: viaS3('prod') })).toBe('none');
    expect(decide(stateKey, DEV_BUILD, { action: 'kms:Decrypt', resource: '*' })).toBe('none'); // not through S3
  });
});
