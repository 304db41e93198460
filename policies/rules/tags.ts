/** Required tags on every taggable AWS resource (resource tags merged with provider default tags). */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { REQUIRED_TAG_KEYS, TAGGABLE_TYPES } from '../constants';
import { describe, providerDefaultTags, stringMap } from './util';

export function isTaggable(type: string, props: Record<string, unknown>): boolean {
  return TAGGABLE_TYPES.includes(type) || (type.startsWith('aws:') && !type.startsWith('pulumi:') && 'tags' in props);
}

export const requiredTags: ResourceValidationPolicy = {
  name: 'required-tags',
  description: `Every taggable AWS resource carries the tags ${REQUIRED_TAG_KEYS.join(', ')}.`,
  enforcementLevel: 'mandatory',
  severity: 'low',
  validateResource: (args, reportViolation) => {
    if (!isTaggable(args.type, args.props)) return;
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
