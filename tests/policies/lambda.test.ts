import {
  lambdaAllowedRuntime,
  lambdaExplicitTimeout,
  lambdaFailureDestination,
  lambdaNoPublicPermission,
  lambdaNoPublicUrl,
} from '../../policies/rules';
import { checkResource, checkStack, namesOf, stackResource } from './support/args';

const FN = 'aws:lambda/function:Function';
const EIC = 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig';
const fn = (name: string, extra: Record<string, unknown> = {}) =>
  stackResource({
    type: FN,
    name,
    props: { id: name, name, arn: `arn:aws:lambda:eu-west-2:1:function:${name}`, ...extra },
  });
const invokeConfig = (name: string, functionName: string, destination?: string) =>
  stackResource({
    type: EIC,
    name,
    props: { functionName, destinationConfig: destination ? { onFailure: { destination } } : undefined },
  });

describe('lambda-failure-destination', () => {
  test('passes a dead-letter queue, or an on-failure destination linked by name, ARN or dependency', async () => {
    const byDep = fn('by-dep');
    const rs = [
      fn('with-dlq', { deadLetterConfig: { targetArn: 'arn:aws:sqs:eu-west-2:1:dlq' } }),
      fn('by-name'),
      invokeConfig('by-name-eic', 'by-name', 'arn:aws:sns:eu-west-2:1:alerts'),
      fn('by-arn'),
      invokeConfig('by-arn-eic', 'arn:aws:lambda:eu-west-2:1:function:by-arn', 'arn:aws:sqs:eu-west-2:1:q'),
      byDep,
      stackResource({
        type: EIC,
        name: 'dep-eic',
        props: { destinationConfig: { onFailure: { destination: 'x' } } },
        propertyDependencies: { functionName: [byDep] },
      }),
    ];
    expect(await checkStack(lambdaFailureDestination, rs)).toEqual([]);
  });
  test('flags a function without either, or whose invoke config only has on-success', async () => {
    const rs = [
      fn('bare'),
      fn('success-only'),
      stackResource({
        type: EIC,
        name: 'eic',
        props: { functionName: 'success-only', destinationConfig: { onSuccess: { destination: 'x' } } },
      }),
      invokeConfig('elsewhere', 'another-function', 'arn:aws:sns:eu-west-2:1:alerts'),
    ];
    const reported = await checkStack(lambdaFailureDestination, rs);
    expect(namesOf(reported, rs)).toEqual(['bare', 'success-only']);
    expect(reported[0].message).toMatch(/'bare'.*Fix: add an aws.lambda.FunctionEventInvokeConfig/);
  });
});

test('lambda-explicit-timeout', async () => {
  expect(await checkResource(lambdaExplicitTimeout, { type: FN, props: { timeout: 60 } })).toEqual([]);
  expect(await checkResource(lambdaExplicitTimeout, { type: FN, name: 'f', props: {} })).toEqual([
    expect.stringMatching(/'f'.*3-second default timeout\. Fix: set timeout/),
  ]);
});

describe('lambda-allowed-runtime', () => {
  test('passes nodejs22.x and container images', async () => {
    expect(await checkResource(lambdaAllowedRuntime, { type: FN, props: { runtime: 'nodejs22.x' } })).toEqual(
      [],
    );
    expect(await checkResource(lambdaAllowedRuntime, { type: FN, props: { packageType: 'Image' } })).toEqual(
      [],
    );
  });
  test('flags other or missing runtimes; the list is configurable', async () => {
    expect(
      await checkResource(lambdaAllowedRuntime, { type: FN, name: 'f', props: { runtime: 'nodejs18.x' } }),
    ).toEqual([
      expect.stringMatching(/'f'.* uses runtime 'nodejs18.x'\. Fix: set runtime to one of nodejs22.x/),
    ]);
    expect(await checkResource(lambdaAllowedRuntime, { type: FN, props: {} })).toHaveLength(1);
    expect(
      await checkResource(
        lambdaAllowedRuntime,
        { type: FN, props: { runtime: 'python3.12' } },
        { allowedRuntimes: ['python3.12'] },
      ),
    ).toEqual([]);
  });
});

test('lambda-no-public-url', async () => {
  const type = 'aws:lambda/functionUrl:FunctionUrl';
  expect(await checkResource(lambdaNoPublicUrl, { type, props: { authorizationType: 'AWS_IAM' } })).toEqual(
    [],
  );
  expect(
    await checkResource(lambdaNoPublicUrl, { type, name: 'u', props: { authorizationType: 'NONE' } }),
  ).toEqual([expect.stringMatching(/'u'.*open to the public.*Fix: set authorizationType: 'AWS_IAM'/)]);
});

describe('lambda-no-public-permission', () => {
  const type = 'aws:lambda/permission:Permission';
  test('passes scoped service principals, accounts and org-restricted *', async () => {
    for (const props of [
      { principal: 'sns.amazonaws.com', sourceArn: 'arn:aws:sns:eu-west-2:1:alerts' },
      { principal: 'events.amazonaws.com', sourceAccount: '123456789012' },
      { principal: '123456789012' },
      { principal: '*', principalOrgId: 'o-abc' },
    ]) {
      expect(
        await checkResource(lambdaNoPublicPermission, {
          type,
          props: { action: 'lambda:InvokeFunction', ...props },
        }),
      ).toEqual([]);
    }
  });
  test('flags principal * and an unscoped service principal', async () => {
    expect(
      await checkResource(lambdaNoPublicPermission, { type, name: 'p', props: { principal: '*' } }),
    ).toEqual([expect.stringMatching(/'p'.*lets anyone invoke.*Fix:/)]);
    expect(
      await checkResource(lambdaNoPublicPermission, {
        type,
        name: 'p',
        props: { principal: 's3.amazonaws.com' },
      }),
    ).toEqual([expect.stringMatching(/any s3.amazonaws.com resource.*Fix: set sourceArn/)]);
  });
});
