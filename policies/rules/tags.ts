/** Required tags on every taggable AWS resource (resource tags merged with provider default tags). */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { REQUIRED_TAG_KEYS, TAGGABLE_TYPES } from '../constants';
import { describe, providerDefaultTags, stringMap } from './util';

interface TagsConfig {
  /** More AWS types that take `tags` (e.g. read from the @pulumi/aws SDK by `npm run policy:check`). */
  extraTaggableTypes?: string[];
}

export function isTaggable(
  type: string,
  props: Record<string, unknown>,
  extra: readonly string[] = [],
): boolean {
  return (
    TAGGABLE_TYPES.includes(type) || extra.includes(type) || (type.startsWith('aws:') && 'tags' in props)
  );
}

export const requiredTags: ResourceValidationPolicy = {
  name: 'required-tags',
  description: `Every taggable AWS resource carries the tags ${REQUIRED_TAG_KEYS.join(', ')}.`,
  enforcementLevel: 'mandatory',
  severity: 'low',
  configSchema: {
    properties: { extraTaggableTypes: { type: 'array', items: { type: 'string' }, default: [] } },
  },
  validateResource: (args, reportViolation) => {
    if (!isTaggable(args.type, args.props, args.getConfig<TagsConfig>().extraTaggableTypes)) return;
    const tags = { ...providerDefaultTags(args.provider?.props), ...stringMap(args.props.tags) };
    const missing = REQUIRED_TAG_KEYS.filter((k) => !tags[k] || tags[k].trim() === '');
    if (missing.length === 0) return;
    reportViolation(
      `Resource ${describe(args)} is missing the tag(s) ${missing.join(', ')}. Fix: add them to its tags ` +
        `or to the AWS provider's defaultTags.tags.`,
    );
  },
};

export const tagPolicies = [requiredTags];
