/**
 * The `tributary-guardrails` policy pack. This is the only file that constructs the PolicyPack
 * (which starts the analyzer's gRPC server); tests and `npm run policy:check` use `./rules`.
 */
import { PolicyPack } from '@pulumi/policy';
import { policies } from './rules';

new PolicyPack('tributary-guardrails', {
  policies,
  enforcementLevel: 'mandatory',
  description:
    'Tributary guardrails: encryption, public access, tagging, log retention, Lambda and IAM least privilege, private databases reached from a VPC.',
  provider: 'aws',
  tags: ['aws', 'security', 'tributary'],
});
