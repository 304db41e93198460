/**
 * The rehearsal's IAM pieces on their own: the pbac adapter (conditions pbac would misread
 * without it), AWS's combination of identity and resource policies (KMS key policy rule), the
 * grant-usage check, and the request parser that turns SDK requests into the calls AWS
 * authorizes (including those it makes for the caller).
 */
import { parseRequest, type ResourceCatalog } from '../../scripts/rehearse/aws-calls';
import { authorizer, unusedGrants, UNEXERCISABLE } from '../../scripts/rehearse/checks';
import { decide, PolicySet, type AwsCall, type PolicyDocument } from '../../scripts/rehearse/iam';
import type { RecordedCall } from '../../scripts/rehearse/proxy';

const ACCOUNT = '210987654321';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/tributary-dev-totesys-load`;
const OTHER = `arn:aws:iam::${ACCOUNT}:role/someone-else`;
const BUCKET = 'arn:aws:s3:::tributary-dev-processed';
const KEY = `arn:aws:kms:eu-west-2:${ACCOUNT}:key/lake`;
const TOPIC = `arn:aws:sns:eu-west-2:${ACCOUNT}:tributary-dev-alerts`;

const call = (action: string, resource: string, context: Record<string, string> = {}, principal = ROLE): AwsCall => ({ principal, action, resource, context: { 'aws:SecureTransport': 'true', ...context } });

const loadPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/processed/*` },
    { Sid: 'List', Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET, Condition: { StringLike: { 's3:prefix': ['processed/*', 'manifests/transform/*'] } } },
    { Sid: 'LakeKey', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: KEY },
  ],
};
const keyPolicy: PolicyDocument = {
  Statement: [
    { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    {
      Sid: 'Logs',
      Effect: 'Allow',
      Principal: { Service: 'logs.eu-west-2.amazonaws.com' },
      Action: 'kms:Encrypt',
      Resource: '*',
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:eu-west-2:${ACCOUNT}:log-group:/aws/lambda/tributary-dev-*` } },
    },
  ],
};
const topicPolicy: PolicyDocument = {
  Statement: [
    { Sid: 'StackRolesPublish', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sns:Publish', Resource: TOPIC, Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/tributary-dev-*` } } },
    {
      Sid: 'DenyOtherPublishers',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: TOPIC,
      // Two keys under one operator and one under another: pbac alone reads only the first key of a block.
      Condition: { ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/tributary-dev-*` }, StringNotEquals: { 'aws:PrincipalServiceName': 'cloudwatch.amazonaws.com' } },
    },
    { Sid: 'DenyWithoutTLS', Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: TOPIC, Condition: { Bool: { 'aws:SecureTransport': false } } },
  ],
};

describe('IAM decisions (pbac behind the adapter)', () => {
  const identity = new PolicySet([loadPolicy]);

  it('allows a granted object read and denies one outside the granted prefix', () => {
    expect(decide(call('s3:GetObject', `${BUCKET}/processed/fact/x.parquet`), identity).allowed).toBe(true);
    expect(decide(call('s3:GetObject', `${BUCKET}/raw/x.json`), identity)).toEqual({ allowed: false, reason: expect.stringContaining('no Allow') });
  });

  it('applies the s3:prefix condition of ListBucket', () => {
    expect(decide(call('s3:ListBucket', BUCKET, { 's3:prefix': 'processed/fact_payment/' }), identity).allowed).toBe(true);
    expect(decide(call('s3:ListBucket', BUCKET, { 's3:prefix': 'state/totesys/' }), identity).allowed).toBe(false);
    // No prefix in the request: the condition key is absent, so StringLike does not hold.
    expect(decide(call('s3:ListBucket', BUCKET), identity).allowed).toBe(false);
  });

  it('needs the key policy for KMS: delegation to IAM through the account root, then the identity policy', () => {
    const key = new PolicySet([keyPolicy]);
    expect(decide(call('kms:Decrypt', KEY), identity, key, true)).toEqual({ allowed: true, reason: expect.stringContaining('delegates to IAM') });
    expect(decide(call('kms:GenerateDataKey', KEY), identity, key, true).allowed).toBe(false);
    const noDelegation = new PolicySet([{ Statement: [(keyPolicy.Statement as PolicyDocument['Statement'][])[1] as never] }]);
    expect(decide(call('kms:Decrypt', KEY), identity, noDelegation, true).reason).toMatch(/neither allows the caller nor delegates/);
  });

  it('reads every key of a condition block and keys with several colons', () => {
    const topic = new PolicySet([topicPolicy]);
    const none = new PolicySet([]);
    const publisher = new PolicySet([{ Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: TOPIC }] }]);
    expect(decide(call('sns:Publish', TOPIC), publisher, topic).allowed).toBe(true);
    // Naming the account root delegates to IAM: without an identity grant, no access.
    expect(decide(call('sns:Publish', TOPIC), none, topic).allowed).toBe(false);
    // The Deny's second condition key (aws:PrincipalServiceName absent → StringNotEquals holds) and its first both apply to an outsider.
    expect(decide(call('sns:Publish', TOPIC, {}, OTHER), publisher, topic).reason).toBe('explicit Deny in the resource policy');
    // The second key of the Deny's conditions spares a CloudWatch alarm (pbac alone reads only the first and would deny it).
    expect(decide(call('sns:Publish', TOPIC, { 'aws:PrincipalServiceName': 'cloudwatch.amazonaws.com' }, OTHER), publisher, topic).allowed).toBe(true);
    expect(decide(call('sns:Publish', TOPIC, { 'aws:SecureTransport': 'false' }), publisher, topic).reason).toBe('explicit Deny in the resource policy');
    const byLogGroup = new PolicySet([{ Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*', Condition: (keyPolicy.Statement as Array<{ Condition?: never }>)[1].Condition }] }]);
    const ctx = (group: string) => ({ 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:eu-west-2:${ACCOUNT}:log-group:${group}` });
    expect(byLogGroup.matches('Allow', call('kms:Encrypt', KEY, ctx('/aws/lambda/tributary-dev-notify')))).toBe(true);
    expect(byLogGroup.matches('Allow', call('kms:Encrypt', KEY, ctx('/aws/lambda/elsewhere')))).toBe(false);
  });

  it('rejects a condition operator pbac does not implement instead of misreading it', () => {
    expect(() => new PolicySet([{ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringStartsWithSomething: { 's3:prefix': 'x' } } }] }])).toThrow(/not one pbac implements/);
  });
});

const catalog: ResourceCatalog = {
  region: 'eu-west-2',
  accountId: ACCOUNT,
  bucketEncryption: (b) => (b === 'tributary-dev-processed' ? { keyArn: KEY, bucketKey: true } : undefined),
  secret: (id) => (id.includes('warehouse') ? { arn: `arn:aws:secretsmanager:eu-west-2:${ACCOUNT}:secret:tributary/dev/totesys/warehouse-Mock01`, keyArn: KEY } : undefined),
  topicKey: (arn) => (arn === TOPIC ? `arn:aws:kms:eu-west-2:${ACCOUNT}:key/alerts` : undefined),
  redshiftTarget: () => undefined,
};
const signed = (service: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=rehearsal-x/20261202/eu-west-2/${service}/aws4_request, SignedHeaders=host, Signature=0` });

describe('requests → the calls AWS authorizes', () => {
  it('S3 PutObject: the object write and the GenerateDataKey S3 makes for the caller on the bucket key', () => {
    const p = parseRequest({ method: 'PUT', url: '/tributary-dev-processed/processed/fact_payment/a.parquet?x-id=PutObject', headers: signed('s3'), body: Buffer.from('x') }, catalog);
    expect(p.calls.map((c) => [c.action, c.resource, c.onBehalf ?? false])).toEqual([
      ['s3:PutObject', `${BUCKET}/processed/fact_payment/a.parquet`, false],
      ['kms:GenerateDataKey', KEY, true],
    ]);
    expect(p.calls[1].context).toMatchObject({ 'kms:ViaService': 's3.eu-west-2.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': BUCKET });
  });

  it('S3 GetObject decrypts only an object that exists; ListObjectsV2 carries s3:prefix', () => {
    const get = parseRequest({ method: 'GET', url: '/tributary-dev-processed/manifests/transform/r1.json?x-id=GetObject', headers: signed('s3'), body: Buffer.alloc(0) }, catalog);
    expect(get.s3Object).toEqual({ bucket: 'tributary-dev-processed', key: 'manifests/transform/r1.json' });
    expect(get.calls[1]).toMatchObject({ action: 'kms:Decrypt', onlyIfFound: true });
    const list = parseRequest({ method: 'GET', url: '/tributary-dev-processed?list-type=2&prefix=processed%2Ffact_payment%2F', headers: signed('s3'), body: Buffer.alloc(0) }, catalog);
    expect(list.calls[0]).toMatchObject({ action: 's3:ListBucket', resource: BUCKET, context: { 's3:prefix': 'processed/fact_payment/' } });
  });

  it('Secrets Manager and SNS (JSON and query protocols) with their KMS calls', () => {
    const secret = parseRequest({ method: 'POST', url: '/', headers: { ...signed('secretsmanager'), 'x-amz-target': 'secretsmanager.GetSecretValue' }, body: Buffer.from(JSON.stringify({ SecretId: 'moto-warehouse-arn' })) }, catalog);
    expect(secret.calls.map((c) => c.action)).toEqual(['secretsmanager:GetSecretValue', 'kms:Decrypt']);
    expect(secret.calls[0].resource).toMatch(/secret:tributary\/dev\/totesys\/warehouse-Mock01$/);
    const publish = parseRequest({ method: 'POST', url: '/', headers: signed('sns'), body: Buffer.from(`Action=Publish&TopicArn=${encodeURIComponent(TOPIC)}&Message=x`) }, catalog);
    expect(publish.calls.map((c) => `${c.action} ${c.resource.split(':').pop()}`)).toEqual(['sns:Publish tributary-dev-alerts', 'kms:GenerateDataKey key/alerts', 'kms:Decrypt key/alerts']);
  });

  it('refuses an unsigned request', () => {
    expect(() => parseRequest({ method: 'GET', url: '/b/k', headers: {}, body: Buffer.alloc(0) }, catalog)).toThrow(/unsigned/);
  });
});

describe('least privilege over the recorded calls', () => {
  const model = { rolePolicies: new Map([[ROLE, [loadPolicy]]]), resourcePolicies: new Map([[KEY, keyPolicy]]) };
  const recorded = (c: AwsCall): RecordedCall => ({ ...c, service: c.action.split(':')[0], operation: 'x', onBehalf: false, caller: 'load', decision: authorizer(model)(c) });

  it('names each grant no allowed call used, and none once every grant is exercised', () => {
    const calls = [recorded(call('s3:GetObject', `${BUCKET}/processed/a`))];
    expect(unusedGrants(model, calls, new Set([ROLE]), []).unused.map((g) => `${g.sid} ${g.action}`)).toEqual(['List s3:ListBucket', 'LakeKey kms:Decrypt']);
    calls.push(recorded(call('s3:ListBucket', BUCKET, { 's3:prefix': 'processed/x' })), recorded(call('kms:Decrypt', KEY)));
    expect(unusedGrants(model, calls, new Set([ROLE]), []).unused).toEqual([]);
  });

  it('a denied call does not count as using a grant, and the allowlist entries carry their reason', () => {
    const denied = recorded(call('s3:ListBucket', BUCKET, { 's3:prefix': 'state/' }));
    expect(denied.decision.allowed).toBe(false);
    expect(unusedGrants(model, [denied], new Set([ROLE]), []).unused.map((g) => g.sid)).toContain('List');
    for (const entry of UNEXERCISABLE) expect(entry.reason.length).toBeGreaterThan(30);
  });
});
