/**
 * What a function placed in a VPC needs: its network (subnets and security groups) and the
 * network-interface permissions Lambda uses, through the function's own role, to create and
 * manage the function's Hyperplane ENIs. Pure data: no resources are created here.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { PolicyStatement } from './iam';

/** Where a function runs: subnets and security groups of an existing VPC or of a PrivateNetwork. */
export interface FunctionNetwork {
  /** Private subnets (Lambda takes at most 16); two or more availability zones keep it available. */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security groups of the functions (at most 5): their egress decides what the functions reach. */
  readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
}

export interface NetworkInterfaceTarget {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/** Actions in the statements below that AWS only accepts on `Resource: "*"` (Describe calls). */
export const NETWORK_DESCRIBE_ACTIONS = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'] as const;

/**
 * The AWSLambdaVPCAccessExecutionRole actions (minus logs, which the function's policy grants on
 * its own log group), scoped as far as EC2 allows: interfaces are created only in the named
 * subnets with the named security groups, changed and deleted only in those subnets (condition
 * `ec2:Subnet`), in this account and region. EC2's Describe calls take no resource.
 */
export function networkInterfaceStatements(t: NetworkInterfaceTarget): PolicyStatement[] {
  const arn = (type: string, id: string) => `arn:${t.partition}:ec2:${t.region}:${t.accountId}:${type}/${id}`;
  const interfaces = arn('network-interface', '*');
  const subnets = t.subnetIds.map((id) => arn('subnet', id));
  return [
    {
      Sid: 'CreateFunctionInterfaces',
      Effect: 'Allow',
      Action: 'ec2:CreateNetworkInterface',
      Resource: [interfaces, ...subnets, ...t.securityGroupIds.map((id) => arn('security-group', id))],
    },
    {
      Sid: 'ManageFunctionInterfaces',
      Effect: 'Allow',
      Action: [
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Resource: interfaces,
      Condition: { ArnEquals: { 'ec2:Subnet': subnets } },
    },
    { Sid: 'DescribeNetwork', Effect: 'Allow', Action: [...NETWORK_DESCRIBE_ACTIONS], Resource: '*' },
  ];
}
