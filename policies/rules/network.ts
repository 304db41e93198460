/**
 * Network guardrail: a pipeline function whose source or warehouse is a private database (the
 * kinds in runtime/contract/network.ts) runs in a VPC, or it could never reach that database.
 * The function's kinds are read from the environment the IngestionPipeline component sets.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { ENV } from '../../runtime/contract/env';
import { PRIVATE_SOURCE_KINDS, PRIVATE_WAREHOUSE_KINDS } from '../../runtime/contract/network';
import { T, describe, list, rec, str } from './util';

/** Present and non-empty, or not yet known (a created VPC's subnets during preview). */
function given(value: unknown): boolean {
  return typeof value === 'string' ? value.length > 0 : list(value).length > 0;
}

export const privatePipelineInVpc: ResourceValidationPolicy = {
  name: 'private-pipeline-in-vpc',
  description:
    'A pipeline function whose source or warehouse is a private database (PostgreSQL) runs in a VPC: vpcConfig with subnets and security groups.',
  enforcementLevel: 'mandatory',
  severity: 'high',
  validateResource: (args, reportViolation) => {
    if (args.type !== T.lambdaFunction) return;
    const vars = rec(rec(args.props.environment)?.variables) ?? {};
    const source = str(vars[ENV.sourceKind]);
    const warehouse = str(vars[ENV.warehouseKind]);
    const privateParts = [
      ...(source && (PRIVATE_SOURCE_KINDS as readonly string[]).includes(source) ? [`${source} source`] : []),
      ...(warehouse && (PRIVATE_WAREHOUSE_KINDS as readonly string[]).includes(warehouse) ? [`${warehouse} warehouse`] : []),
    ];
    if (privateParts.length === 0) return;
    const vpc = rec(args.props.vpcConfig);
    if (vpc && given(vpc.subnetIds) && given(vpc.securityGroupIds)) return;
    reportViolation(
      `Lambda function ${describe(args)} connects to a private ${privateParts.join(' and ')} but runs outside any VPC, so it cannot reach it. ` +
        'Fix: give the pipeline a network (tributary:network or pipelines[].network: subnetIds and securityGroupIds of the ' +
        "database's VPC, or create: {...}), which sets the function's vpcConfig.",
    );
  },
};

export const networkPolicies = [privatePipelineInVpc];
