/**
 * PrivateNetwork: a VPC for the pipeline functions when the account has none to give them.
 *
 * Children: an `awsx.ec2.Vpc` (private subnets in `availabilityZones` zones, the S3 gateway
 * endpoint on their route tables; public subnets and one NAT gateway only with `internet`), the
 * functions' security group (egress: HTTPS anywhere the routes lead, PostgreSQL inside the VPC),
 * the endpoints' security group (HTTPS from the functions only) and one interface endpoint, with
 * private DNS, per AWS service the functions call (runtime/contract/network.ts).
 *
 * Without `internet` the subnets have no route out: S3 and the listed services are all the
 * functions reach, which is why a REST source or a Snowflake warehouse needs `internet: true`.
 *
 * The interface endpoints and security groups are created here rather than through awsx's
 * `vpcEndpointSpecs`: their security group needs the VPC's id, and they stay inspectable (awsx's
 * children are one opaque resource under Pulumi mocks; only `pulumi preview` lists them).
 */
import * as aws from '@pulumi/aws';
import * as awsx from '@pulumi/awsx';
import * as pulumi from '@pulumi/pulumi';
import { VPC_INTERFACE_SERVICES } from '../runtime/contract/network';
import { withName, type PlatformArgs } from './common';
import type { FunctionNetwork } from './vpcAccess';

export interface PrivateNetworkArgs extends PlatformArgs {
  /** IPv4 range of the VPC. Default `10.40.0.0/16`. */
  readonly cidrBlock?: string;
  /** Availability zones with a private subnet each (the region's first ones). Default 2. */
  readonly availabilityZones?: number;
  /** Public subnets and one NAT gateway, for functions that call the internet (REST APIs, Snowflake). Default false. */
  readonly internet?: boolean;
  /** Interface endpoints beyond the ones every function needs (e.g. `redshift-data`). */
  readonly extraInterfaceServices?: readonly string[];
  /** Prefix of the physical names; default `tributary-<environment>`. */
  readonly namePrefix?: string;
}

export const DEFAULT_NETWORK_CIDR = '10.40.0.0/16';
export const DEFAULT_AVAILABILITY_ZONES = 2;

export class PrivateNetwork extends pulumi.ComponentResource {
  readonly vpc: awsx.ec2.Vpc;
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly functionSecurityGroup: aws.ec2.SecurityGroup;
  readonly endpointSecurityGroup: aws.ec2.SecurityGroup;
  /** Interface endpoints by service (`secretsmanager`, `sns`, ...). */
  readonly interfaceEndpoints: Readonly<Record<string, aws.ec2.VpcEndpoint>>;
  /** What a pipeline's functions take as `network`. */
  readonly functionNetwork: FunctionNetwork;

  constructor(name: string, args: PrivateNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tributary:network:PrivateNetwork', name, {}, opts);
    const prefix = `${args.namePrefix ?? `tributary-${args.environment}`}-${name}`;
    const parent = { parent: this };
    const cidrBlock = args.cidrBlock ?? DEFAULT_NETWORK_CIDR;
    const internet = args.internet ?? false;
    const service = (s: string) => `com.amazonaws.${args.aws.region}.${s}`;

    this.vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock,
        numberOfAvailabilityZones: args.availabilityZones ?? DEFAULT_AVAILABILITY_ZONES,
        enableDnsHostnames: true, // private DNS of the interface endpoints needs both
        enableDnsSupport: true,
        subnetStrategy: 'Auto',
        subnetSpecs: internet
          ? [{ type: 'Private' }, { type: 'Public', cidrMask: 26 }]
          : [{ type: 'Private' }],
        natGateways: { strategy: internet ? 'Single' : 'None' },
        // 'Auto' puts the gateway endpoint on the route tables the component creates.
        vpcEndpointStrategy: 'Auto',
        vpcEndpointSpecs: [{ serviceName: service('s3'), vpcEndpointType: 'Gateway' }],
        tags: withName(args.tags, prefix),
      },
      parent,
    );
    this.vpcId = this.vpc.vpcId;
    this.privateSubnetIds = this.vpc.privateSubnetIds;

    this.functionSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-functions`,
      {
        name: `${prefix}-functions`,
        description: 'Tributary pipeline functions (egress only)',
        vpcId: this.vpcId,
        tags: withName(args.tags, `${prefix}-functions`),
      },
      parent,
    );
    this.endpointSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        name: `${prefix}-endpoints`,
        description: 'Interface endpoints: HTTPS from the Tributary functions',
        vpcId: this.vpcId,
        tags: withName(args.tags, `${prefix}-endpoints`),
      },
      parent,
    );
    const functions = this.functionSecurityGroup.id;
    // The provider removes AWS's allow-all egress rule from a new group: these are its only rules.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-functions-https`,
      {
        securityGroupId: functions,
        description: 'HTTPS: interface endpoints, S3 (gateway endpoint) and, with internet, the NAT gateway',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: '0.0.0.0/0',
        tags: args.tags,
      },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-functions-postgres`,
      {
        securityGroupId: functions,
        description: 'PostgreSQL databases inside the VPC',
        ipProtocol: 'tcp',
        fromPort: 5432,
        toPort: 5432,
        cidrIpv4: cidrBlock,
        tags: args.tags,
      },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-endpoints-https`,
      {
        securityGroupId: this.endpointSecurityGroup.id,
        description: 'HTTPS from the functions',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        referencedSecurityGroupId: functions,
        tags: args.tags,
      },
      parent,
    );

    const services = [...new Set([...VPC_INTERFACE_SERVICES, ...(args.extraInterfaceServices ?? [])])];
    const endpoints: Record<string, aws.ec2.VpcEndpoint> = {};
    for (const s of services) {
      endpoints[s] = new aws.ec2.VpcEndpoint(
        `${name}-${s}-endpoint`,
        {
          vpcId: this.vpcId,
          serviceName: service(s),
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: this.privateSubnetIds,
          securityGroupIds: [this.endpointSecurityGroup.id],
          tags: withName(args.tags, `${prefix}-${s}`),
        },
        parent,
      );
    }
    this.interfaceEndpoints = endpoints;
    this.functionNetwork = { subnetIds: this.privateSubnetIds, securityGroupIds: [functions] };

    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      functionSecurityGroupId: functions,
    });
  }
}
