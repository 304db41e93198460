/**
 * Lambda guardrails: an on-failure destination or dead-letter queue, an explicit timeout, an
 * allowed runtime, and no public function URL or resource policy.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import { DEFAULT_ALLOWED_RUNTIMES } from '../constants';
import { T, describe, linkedTo, rec, str } from './util';

const FUNCTION_NAME_KEYS = ['name'] as const;

function hasOnFailureDestination(config: PolicyResource): boolean {
  return str(rec(rec(config.props.destinationConfig)?.onFailure)?.destination) !== undefined;
}

export const lambdaFailureDestination: StackValidationPolicy = {
  name: 'lambda-failure-destination',
  description:
    'Every Lambda function has a dead-letter queue (deadLetterConfig) or an on-failure destination ' +
    '(aws.lambda.FunctionEventInvokeConfig).',
  enforcementLevel: 'mandatory',
  severity: 'medium',
  validateStack: (args, reportViolation) => {
    for (const fn of args.resources.filter((r) => r.type === T.lambdaFunction)) {
      if (str(rec(fn.props.deadLetterConfig)?.targetArn)) continue;
      const configs = linkedTo(
        args.resources,
        [T.lambdaEventInvokeConfig],
        'functionName',
        fn,
        FUNCTION_NAME_KEYS,
      );
      if (configs.some(hasOnFailureDestination)) continue;
      reportViolation(
        `Lambda function ${describe(fn)} loses failed asynchronous events. Fix: add an aws.lambda.FunctionEventInvokeConfig ` +
          `with functionName set to it and destinationConfig.onFailure.destination (SQS queue, SNS topic or EventBridge bus ARN), ` +
          `or set deadLetterConfig.targetArn.`,
        fn.urn,
      );
    }
  },
};

export const lambdaExplicitTimeout: ResourceValidationPolicy = {
  name: 'lambda-explicit-timeout',
  description: 'Every Lambda function sets its timeout explicitly.',
  enforcementLevel: 'mandatory',
  severity: 'low',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.lambdaFunction) return;
    const timeout = args.props.timeout;
    if (typeof timeout === 'number' && timeout > 0) return;
    reportViolation(
      `Lambda function ${describe(args)} relies on the 3-second default timeout. Fix: set timeout (seconds) explicitly.`,
    );
  },
};

interface RuntimeConfig {
  allowedRuntimes?: string[];
}

export const lambdaAllowedRuntime: ResourceValidationPolicy = {
  name: 'lambda-allowed-runtime',
  description: `Lambda functions use an allowed runtime (default: ${DEFAULT_ALLOWED_RUNTIMES.join(', ')}).`,
  enforcementLevel: 'mandatory',
  severity: 'medium',
  configSchema: {
    properties: {
      allowedRuntimes: { type: 'array', items: { type: 'string' }, default: [...DEFAULT_ALLOWED_RUNTIMES] },
    },
  },
  validateResource: (args, reportViolation) => {
    if (args.type !== T.lambdaFunction) return;
    if (args.props.packageType === 'Image') return; // container images carry their own runtime
    const allowed = args.getConfig<RuntimeConfig>().allowedRuntimes ?? DEFAULT_ALLOWED_RUNTIMES;
    const runtime = str(args.props.runtime);
    if (runtime && allowed.includes(runtime)) return;
    reportViolation(
      `Lambda function ${describe(args)} uses runtime '${runtime ?? '(none)'}'. Fix: set runtime to one of ${allowed.join(', ')}.`,
    );
  },
};

export const lambdaNoPublicUrl: ResourceValidationPolicy = {
  name: 'lambda-no-public-url',
  description: 'Lambda function URLs require IAM authorization.',
  enforcementLevel: 'mandatory',
  severity: 'critical',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.lambdaFunctionUrl) return;
    if (args.props.authorizationType === 'AWS_IAM') return;
    reportViolation(
      `Lambda function URL ${describe(args)} is open to the public (authorizationType '${String(args.props.authorizationType)}'). ` +
        `Fix: set authorizationType: 'AWS_IAM' (or remove the URL).`,
    );
  },
};

export const lambdaNoPublicPermission: ResourceValidationPolicy = {
  name: 'lambda-no-public-permission',
  description:
    'Lambda resource policies never grant invoke to everyone: no `*` principal, and service principals are scoped by sourceArn or sourceAccount.',
  enforcementLevel: 'mandatory',
  severity: 'critical',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.lambdaPermission) return;
    const principal = str(args.props.principal) ?? '';
    const scoped = str(args.props.sourceArn) !== undefined || str(args.props.sourceAccount) !== undefined;
    if (principal === '*' && !str(args.props.principalOrgId) && !scoped) {
      reportViolation(
        `Lambda permission ${describe(args)} lets anyone invoke the function (principal '*'). Fix: grant a specific ` +
          `account or service principal, scoped with sourceArn/sourceAccount.`,
      );
    } else if (principal.endsWith('.amazonaws.com') && !scoped) {
      reportViolation(
        `Lambda permission ${describe(args)} lets any ${principal} resource, in any account, invoke the function. ` +
          `Fix: set sourceArn to the invoking resource's ARN (and sourceAccount).`,
      );
    }
  },
};

export const lambdaPolicies = [
  lambdaFailureDestination,
  lambdaExplicitTimeout,
  lambdaAllowedRuntime,
  lambdaNoPublicUrl,
  lambdaNoPublicPermission,
];
