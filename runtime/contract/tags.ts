/**
 * Tag keys every taggable resource of the platform must carry. The policy pack (`policies/`)
 * enforces exactly the list `stacks/` applies, so the two can never drift apart.
 */
export const REQUIRED_TAG_KEYS = ['project', 'environment', 'owner', 'cost-center', 'managed-by'] as const;

/** One of the required tag keys. */
export type RequiredTagKey = (typeof REQUIRED_TAG_KEYS)[number];
