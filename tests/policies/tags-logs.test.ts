import { REQUIRED_TAG_KEYS } from '../../infra/tags';
import { REQUIRED_TAG_KEYS as PACK_KEYS } from '../../policies/constants';
import { logGroupRetention, requiredTags } from '../../policies/rules';
import { checkResource } from './support/args';

const TAGS = {
  project: 'tributary',
  environment: 'dev',
  owner: 'data',
  'cost-center': 'CC-1',
  'managed-by': 'pulumi',
};
const provider = (defaultTags: unknown) => ({
  type: 'pulumi:providers:aws',
  urn: 'urn:p',
  name: 'aws',
  props: { defaultTags },
});

describe('required-tags', () => {
  test('the pack enforces the one list defined in infra/tags.ts', () => {
    expect(PACK_KEYS).toBe(REQUIRED_TAG_KEYS);
  });
  test('passes tags on the resource, or from provider defaultTags (object or JSON text)', async () => {
    const type = 'aws:s3/bucket:Bucket';
    expect(await checkResource(requiredTags, { type, props: { tags: TAGS } })).toEqual([]);
    expect(
      await checkResource(requiredTags, {
        type,
        props: {},
        provider: provider(JSON.stringify({ tags: TAGS })),
      }),
    ).toEqual([]);
    const { owner, ...rest } = TAGS;
    expect(
      await checkResource(requiredTags, {
        type,
        props: { tags: { owner } },
        provider: provider({ tags: rest }),
      }),
    ).toEqual([]);
  });
  test('flags missing and blank tags, naming them', async () => {
    const [m] = await checkResource(requiredTags, {
      type: 'aws:lambda/function:Function',
      name: 'fn',
      props: { tags: { ...TAGS, owner: ' ', 'cost-center': undefined } },
    });
    expect(m).toMatch(/'fn'.*missing the tag\(s\) owner, cost-center\. Fix:/);
  });
  test('untagged resource of a taggable type fails; non-taggable types and components are ignored', async () => {
    expect(await checkResource(requiredTags, { type: 'aws:iam/role:Role', props: {} })).toHaveLength(1);
    expect(await checkResource(requiredTags, { type: 'aws:iam/rolePolicy:RolePolicy', props: {} })).toEqual(
      [],
    );
    expect(
      await checkResource(requiredTags, { type: 'tributary:lake:DataLake', props: { tags: {} } }),
    ).toEqual([]);
    // Any aws resource that takes tags (not in the list) is still checked.
    expect(await checkResource(requiredTags, { type: 'aws:ec2/vpc:Vpc', props: { tags: {} } })).toHaveLength(
      1,
    );
  });
  test('config extraTaggableTypes extends the list (policy:check feeds it from the SDK)', async () => {
    const r = { type: 'aws:ec2/vpc:Vpc', props: {} };
    expect(await checkResource(requiredTags, r)).toEqual([]);
    expect(await checkResource(requiredTags, r, { extraTaggableTypes: ['aws:ec2/vpc:Vpc'] })).toHaveLength(1);
  });
});

describe('log-group-retention', () => {
  const type = 'aws:cloudwatch/logGroup:LogGroup';
  test('passes a retention period', async () => {
    expect(await checkResource(logGroupRetention, { type, props: { retentionInDays: 14 } })).toEqual([]);
  });
  test('flags a missing or zero (never expire) retention', async () => {
    for (const props of [{}, { retentionInDays: 0 }]) {
      expect(await checkResource(logGroupRetention, { type, name: 'lg', props })).toEqual([
        expect.stringMatching(/Log group 'lg'.* keeps logs forever\. Fix: set retentionInDays/),
      ]);
    }
  });
});
