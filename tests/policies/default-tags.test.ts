/**
 * The stack's provider carries the five tags as defaultTags, so a resource that omits one still
 * gets it; the policy pack still catches a key that neither the resource nor its provider has.
 */
import { captureStack, type CapturedResource } from '../support/pulumiMocks';
import { evaluatePolicies, violationsOf } from '../../policies/evaluate';
import { requiredTags } from '../../policies/rules';

let resources: CapturedResource[];
beforeAll(async () => {
  resources = await captureStack('dev');
}, 120_000);

const withoutOwner = (tags: unknown): Record<string, string> => {
  const copy = { ...(tags as Record<string, string>) };
  delete copy.owner;
  return copy;
};

async function tagViolations(changed: CapturedResource[]): Promise<string[]> {
  return violationsOf(await evaluatePolicies([requiredTags], changed)).map((v) => v.message);
}

it("the stack's provider carries the required tags as defaultTags", () => {
  const provider = resources.find((r) => r.type === 'pulumi:providers:aws')!;
  const defaults = provider.inputs.defaultTags as { tags: Record<string, string> } | string;
  const tags = (typeof defaults === 'string' ? (JSON.parse(defaults) as { tags: Record<string, string> }) : defaults).tags;
  expect(Object.keys(tags).sort()).toEqual(['cost-center', 'environment', 'managed-by', 'owner', 'project']);
});

it('a resource missing a tag passes through the provider default, and is caught when the provider lacks it too', async () => {
  const bucketIndex = resources.findIndex((r) => r.type === 'aws:s3/bucket:Bucket');
  const bucket = resources[bucketIndex];
  const untagged = resources.map((r, i) => (i === bucketIndex ? { ...r, inputs: { ...r.inputs, tags: withoutOwner(r.inputs.tags) } } : r));
  expect(await tagViolations(untagged)).toEqual([]);

  const noDefaults = untagged.map((r) => {
    if (r.type !== 'pulumi:providers:aws') return r;
    const defaults = typeof r.inputs.defaultTags === 'string' ? (JSON.parse(r.inputs.defaultTags) as { tags: unknown }) : (r.inputs.defaultTags as { tags: unknown });
    return { ...r, inputs: { ...r.inputs, defaultTags: { tags: withoutOwner(defaults.tags) } } };
  });
  const violations = await tagViolations(noDefaults);
  expect(violations).toHaveLength(1);
  expect(violations[0]).toContain(bucket.name);
  expect(violations[0]).toContain('owner');
});
