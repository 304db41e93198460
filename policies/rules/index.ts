/** Every guardrail of the `tributary-guardrails` pack, in report order. */
import type { Policies } from '@pulumi/policy';
import { encryptionPolicies } from './encryption';
import { iamPolicies } from './iam';
import { lambdaPolicies } from './lambda';
import { logPolicies } from './logs';
import { networkPolicies } from './network';
import { s3Policies } from './s3';
import { tagPolicies } from './tags';

export const policies: Policies = [
  ...s3Policies,
  ...encryptionPolicies,
  ...tagPolicies,
  ...logPolicies,
  ...lambdaPolicies,
  ...networkPolicies,
  ...iamPolicies,
];

export * from './encryption';
export * from './iam';
export * from './lambda';
export * from './logs';
export * from './network';
export * from './s3';
export * from './tags';
