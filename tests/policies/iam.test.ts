import {
  iamNoAdminManagedPolicy,
  iamNoWildcardAction,
  iamNoWildcardResourceDataPlane,
  isForbiddenManagedPolicy,
} from '../../policies/rules';
import { isWildcardResource } from '../../policies/rules/util';
import { checkResource } from './support/args';

const doc = (...Statement: Array<Record<string, unknown>>) =>
  JSON.stringify({ Version: '2012-10-17', Statement });
const ROLE_POLICY = 'aws:iam/rolePolicy:RolePolicy';
const SCOPED = {
  Effect: 'Allow',
  Action: ['s3:GetObject', 's3:PutObject'],
  Resource: 'arn:aws:s3:::tributary-raw/raw/*',
};

describe('iam-no-wildcard-action', () => {
  test('passes exact actions, and Deny statements with wildcards', async () => {
    expect(
      await checkResource(iamNoWildcardAction, {
        type: ROLE_POLICY,
        props: { policy: doc(SCOPED, { Effect: 'Deny', Action: '*', Resource: '*' }) },
      }),
    ).toEqual([]);
  });
  test('flags *, service-wide wildcards and NotAction, in every identity-policy carrier', async () => {
    expect(
      await checkResource(iamNoWildcardAction, {
        type: ROLE_POLICY,
        name: 'rp',
        props: { policy: doc({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b' }) },
      }),
    ).toEqual([
      expect.stringMatching(/IAM 'rp'.*policy statement #0 allows '\*'\. Fix: list the exact actions/),
    ]);
    const object = {
      Version: '2012-10-17',
      Statement: { Sid: 'All', Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b' },
    };
    expect(
      await checkResource(iamNoWildcardAction, { type: 'aws:iam/policy:Policy', props: { policy: object } }),
    ).toEqual([expect.stringMatching(/statement 'All' allows 's3:\*'/)]);
    expect(
      await checkResource(iamNoWildcardAction, {
        type: 'aws:iam/role:Role',
        props: {
          inlinePolicies: [
            { name: 'inline', policy: doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }) },
          ],
        },
      }),
    ).toEqual([expect.stringMatching(/inlinePolicies\[0\] \(inline\).*NotAction/)]);
    expect(
      await checkResource(iamNoWildcardAction, {
        type: 'aws:iam/userPolicy:UserPolicy',
        props: { policy: doc({ Effect: 'Allow', Action: ['logs:*'], Resource: '*' }) },
      }),
    ).toHaveLength(1);
  });
  test('ignores resource policies such as bucket policies', async () => {
    expect(
      await checkResource(iamNoWildcardAction, {
        type: 'aws:s3/bucketPolicy:BucketPolicy',
        props: { policy: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) },
      }),
    ).toEqual([]);
  });
});

describe('iam-no-wildcard-resource-data-plane', () => {
  test('passes scoped data-plane actions and control-plane actions on *', async () => {
    const ok = doc(SCOPED, {
      Effect: 'Allow',
      Action: ['cloudwatch:PutMetricData', 'xray:PutTraceSegments'],
      Resource: '*',
    });
    expect(
      await checkResource(iamNoWildcardResourceDataPlane, { type: ROLE_POLICY, props: { policy: ok } }),
    ).toEqual([]);
  });
  test('flags data-plane actions (also via patterns) on *, service-wide ARNs or NotResource', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, /allows s3:GetObject on resource '\*'/],
      [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: 'arn:aws:kms:*:*:key/*' }, /kms:Decrypt/],
      [
        {
          Effect: 'Allow',
          Action: 'secretsmanager:Get*',
          Resource: 'arn:aws:secretsmanager:eu-west-2:1:secret:*',
        },
        /secretsmanager:GetSecretValue/,
      ],
      [{ Effect: 'Allow', Action: 's3:Put*', Resource: 'arn:aws:s3:::*' }, /s3:PutObject/],
      [{ Effect: 'Allow', Action: 'sns:Publish', NotResource: 'arn:aws:sns:eu-west-2:1:x' }, /sns:Publish/],
    ];
    for (const [statement, expected] of cases) {
      const reported = await checkResource(iamNoWildcardResourceDataPlane, {
        type: ROLE_POLICY,
        name: 'rp',
        props: { policy: doc(statement) },
      });
      expect(reported).toEqual([expect.stringMatching(expected)]);
      expect(reported[0]).toMatch(/'rp'.*Fix: scope Resource/);
    }
  });
  test('wildcard resource detection keeps bucket prefixes scoped', () => {
    expect(isWildcardResource('arn:aws:s3:::tributary-raw/*')).toBe(false);
    expect(isWildcardResource('arn:aws:s3:::*')).toBe(true);
    expect(isWildcardResource('arn:aws:secretsmanager:eu-west-2:1:secret:tributary/*')).toBe(false);
    expect(isWildcardResource('arn:aws:lambda:eu-west-2:1:function:*')).toBe(true);
  });
});

describe('iam-no-admin-managed-policy', () => {
  const attach = (policyArn: string) => ({
    type: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
    name: 'att',
    props: { role: 'r', policyArn },
  });
  test('passes narrow AWS-managed and customer-managed policies', async () => {
    expect(
      await checkResource(
        iamNoAdminManagedPolicy,
        attach('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'),
      ),
    ).toEqual([]);
    expect(
      await checkResource(
        iamNoAdminManagedPolicy,
        attach('arn:aws:iam::123456789012:policy/AdministratorAccess'),
      ),
    ).toEqual([]);
  });
  test('flags administrator, power-user and *FullAccess policies wherever attached', async () => {
    expect(
      await checkResource(iamNoAdminManagedPolicy, attach('arn:aws:iam::aws:policy/AdministratorAccess')),
    ).toEqual([expect.stringMatching(/IAM 'att'.*AdministratorAccess.*Fix: replace it/)]);
    expect(
      await checkResource(iamNoAdminManagedPolicy, {
        type: 'aws:iam/role:Role',
        props: { managedPolicyArns: ['arn:aws:iam::aws:policy/PowerUserAccess'] },
      }),
    ).toHaveLength(1);
    expect(
      await checkResource(iamNoAdminManagedPolicy, {
        type: 'aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive',
        props: { policyArns: ['arn:aws:iam::aws:policy/AmazonS3FullAccess'] },
      }),
    ).toHaveLength(1);
    expect(isForbiddenManagedPolicy('arn:aws-us-gov:iam::aws:policy/job-function/SystemAdministrator')).toBe(
      false,
    );
    expect(isForbiddenManagedPolicy('arn:aws:iam::aws:policy/AWSCodePipeline_FullAccess')).toBe(true);
  });
});

describe('iam-no-wildcard-resource-data-plane: KMS use pinned to a service', () => {
  const keyUse = { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: 'arn:aws:kms:eu-west-2:210987654321:key/*' };
  test('passes KMS use on any key when kms:ViaService names the service', async () => {
    const pinned = { ...keyUse, Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-2.amazonaws.com' } } };
    expect(await checkResource(iamNoWildcardResourceDataPlane, { type: ROLE_POLICY, props: { policy: doc(pinned) } })).toEqual([]);
  });
  test('still flags it without the condition, with a wildcard service, or mixed with other data-plane actions', async () => {
    const unpinned = await checkResource(iamNoWildcardResourceDataPlane, { type: ROLE_POLICY, props: { policy: doc(keyUse) } });
    expect(unpinned).toEqual([expect.stringMatching(/allows kms:Decrypt, kms:GenerateDataKey/)]);
    const anyService = { ...keyUse, Condition: { StringEquals: { 'kms:ViaService': '*' } } };
    expect(await checkResource(iamNoWildcardResourceDataPlane, { type: ROLE_POLICY, props: { policy: doc(anyService) } })).toHaveLength(1);
    const mixed = { Effect: 'Allow', Action: ['kms:Decrypt', 's3:GetObject'], Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-2.amazonaws.com' } } };
    expect(await checkResource(iamNoWildcardResourceDataPlane, { type: ROLE_POLICY, props: { policy: doc(mixed) } })).toHaveLength(1);
  });
});
