/** CloudWatch log groups keep logs for a bounded retention period. */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { T, describe } from './util';

export const logGroupRetention: ResourceValidationPolicy = {
  name: 'log-group-retention',
  description: 'CloudWatch log groups have a retention period (retentionInDays > 0).',
  enforcementLevel: 'mandatory',
  severity: 'low',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.logGroup) return;
    const days = Number(args.props.retentionInDays ?? 0);
    if (Number.isFinite(days) && days > 0) return;
    reportViolation(
      `Log group ${describe(args)} keeps logs forever. Fix: set retentionInDays (e.g. 30 in dev, 365 in prod).`,
    );
  },
};

export const logPolicies = [logGroupRetention];
