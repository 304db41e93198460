/**
 * Tag keys every taggable resource of the platform must carry.
 *
 * Kept free of Pulumi imports on purpose: the policy pack (`policies/`) imports this module to
 * enforce the same list that `stacks/` applies, so the two can never drift apart.
 */
export const REQUIRED_TAG_KEYS = ['project', 'environment', 'owner', 'cost-center', 'managed-by'] as const;

/** One of the required tag keys. */
export type RequiredTagKey = (typeof REQUIRED_TAG_KEYS)[number];

/** The tags every taggable resource carries: the required keys, plus any extra ones. */
export type PlatformTags = Readonly<Record<RequiredTagKey, string>> & Readonly<Record<string, string>>;

/** The required keys that `tags` lacks (absent or blank). */
export function missingTagKeys(tags: Readonly<Record<string, unknown>> | undefined): RequiredTagKey[] {
  return REQUIRED_TAG_KEYS.filter((key) => {
    const value = tags?.[key];
    return typeof value !== 'string' || value.trim() === '';
  });
}
