import { REQUIRED_TAG_KEYS, type RequiredTagKey } from '../runtime/contract/tags';

/** The required keys live in the contract module, which the policy pack enforces as well. */
export { REQUIRED_TAG_KEYS, type RequiredTagKey };

/** The tags every taggable resource carries: the required keys, plus any extra ones. */
export type PlatformTags = Readonly<Record<RequiredTagKey, string>> & Readonly<Record<string, string>>;

/** The required keys that `tags` lacks (absent or blank). */
export function missingTagKeys(tags: Readonly<Record<string, unknown>> | undefined): RequiredTagKey[] {
  return REQUIRED_TAG_KEYS.filter((key) => {
    const value = tags?.[key];
    return typeof value !== 'string' || value.trim() === '';
  });
}
