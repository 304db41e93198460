/** The offline evaluator: argument shapes, enforcement levels, providers, links and the table. */
import type { ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import { TAGGABLE_TYPES } from '../../policies/constants';
import { evaluatePolicies, formatTable, violationsOf, type CapturedResource } from '../../policies/evaluate';
import { policies, requiredTags } from '../../policies/rules';
import { isTaggableType } from '../support/pulumiMocks';

const PROVIDER_URN = 'urn:pulumi:dev::tributary::pulumi:providers:aws::aws';
const TAGS = {
  project: 'tributary',
  environment: 'dev',
  owner: 'data',
  'cost-center': 'CC-1',
  'managed-by': 'pulumi',
};

const resources: CapturedResource[] = [
  {
    type: 'pulumi:providers:aws',
    name: 'aws',
    urn: PROVIDER_URN,
    custom: true,
    inputs: { defaultTags: JSON.stringify({ tags: TAGS }) },
  },
  {
    type: 'tributary:lake:DataLake',
    name: 'lake',
    urn: 'urn:pulumi:dev::tributary::tributary:lake:DataLake::lake',
    custom: false,
    inputs: {},
  },
  {
    type: 'aws:sns/topic:Topic',
    name: 'alerts',
    urn: 'urn:pulumi:dev::tributary::tributary:lake:DataLake$aws:sns/topic:Topic::alerts',
    parent: 'urn:pulumi:dev::tributary::tributary:lake:DataLake::lake',
    custom: true,
    provider: `${PROVIDER_URN}::provider-id`,
    inputs: {},
    outputs: { arn: 'arn:aws:sns:eu-west-2:1:alerts' },
  },
];

test('resource policies get inputs, provider, parent and a working getConfig; stack policies get outputs and links', async () => {
  const seen: Record<string, unknown> = {};
  const probe: ResourceValidationPolicy = {
    name: 'probe',
    description: 'probe',
    validateResource: (args, report) => {
      if (args.type !== 'aws:sns/topic:Topic') return;
      Object.assign(seen, {
        props: args.props,
        provider: args.provider?.urn,
        parent: args.opts.parent,
        config: args.getConfig(),
        urn: args.urn,
      });
      report('resource issue');
    },
  };
  const stackProbe: StackValidationPolicy = {
    name: 'stack-probe',
    description: 'stack probe',
    enforcementLevel: 'advisory',
    validateStack: (args, report) => {
      const topic = args.resources.find((r) => r.name === 'alerts');
      seen.stackProps = topic?.props;
      seen.parentType = topic?.parent?.type;
      report('stack issue', topic?.urn);
      args.notApplicable('not after the report');
    },
  };
  const outcomes = await evaluatePolicies([probe, stackProbe], resources, {
    config: { probe: { enforcementLevel: 'mandatory', limit: 3 } },
  });
  expect(seen).toEqual({
    props: {},
    provider: PROVIDER_URN,
    parent: 'urn:pulumi:dev::tributary::tributary:lake:DataLake::lake',
    config: { limit: 3 },
    urn: resources[2].urn,
    stackProps: { arn: 'arn:aws:sns:eu-west-2:1:alerts' },
    parentType: 'tributary:lake:DataLake',
  });
  expect(
    outcomes.map((o) => [o.policy, o.kind, o.enforcementLevel, o.violations.map((v) => v.resourceName)]),
  ).toEqual([
    ['probe', 'resource', 'mandatory', ['alerts']],
    ['stack-probe', 'stack', 'advisory', ['alerts']],
  ]);
  expect(violationsOf(outcomes).map((v) => v.policy)).toEqual(['probe']);
});

test('provider default tags reach required-tags; disabled policies do not run', async () => {
  expect(violationsOf(await evaluatePolicies([requiredTags], resources))).toEqual([]);
  const untagged = resources.map((r) => (r.provider ? { ...r, provider: undefined } : r));
  expect(violationsOf(await evaluatePolicies([requiredTags], untagged)).map((v) => v.resourceName)).toEqual([
    'alerts',
  ]);
  expect(
    violationsOf(
      await evaluatePolicies([requiredTags], untagged, { config: { 'required-tags': 'disabled' } }),
    ),
  ).toEqual([]);
  const withDefaults = await evaluatePolicies([requiredTags], untagged, {
    defaultProviders: { aws: { defaultTags: { tags: TAGS } } },
  });
  expect(violationsOf(withDefaults)).toEqual([]);
});

test('the whole pack over a clean set reports nothing, and the table shows policies x stacks', async () => {
  const dev = await evaluatePolicies(policies, resources.slice(0, 2));
  const prod = await evaluatePolicies(
    policies,
    resources.map((r) => ({ ...r, provider: undefined })),
  );
  const table = formatTable(
    new Map([
      ['dev', dev],
      ['prod', prod],
    ]),
  );
  const lines = table.split('\n');
  expect(lines[0]).toMatch(/^policy\s+\| dev\s+\| prod$/);
  expect(lines).toHaveLength(2 + policies.length);
  expect(table).toMatch(/required-tags\s+\| ok\s+\| FAIL 1/);
  expect(table).toMatch(/sns-topic-kms-encryption\s+\| ok\s+\| FAIL 1/);
});

test('every type the pack treats as taggable takes tags in @pulumi/aws', () => {
  expect(TAGGABLE_TYPES.filter((t) => !isTaggableType(t))).toEqual([]);
});

test('policy names are unique and every policy is mandatory with a description', () => {
  const names = policies.map((p) => p.name);
  expect(new Set(names).size).toBe(names.length);
  for (const p of policies) {
    expect(p.enforcementLevel).toBe('mandatory');
    expect(p.description.length).toBeGreaterThan(10);
  }
});
