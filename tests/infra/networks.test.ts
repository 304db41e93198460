/**
 * Private networks under Pulumi mocks: the dev stack places its PostgreSQL pipelines in an
 * existing VPC (Pulumi.dev.yaml), and the same stack with `network: { create }` builds its own
 * (awsx Vpc + security groups + interface endpoints). Both pass the policy pack; every function
 * that reaches a private database carries the VPC configuration and exactly the ENI permissions.
 */
import { evaluatePolicies, violationsOf } from '../../policies/evaluate';
import { policies, privatePipelineInVpc } from '../../policies/rules';
import { NETWORK_DESCRIBE_ACTIONS } from '../../infra/vpcAccess';
import { ConfigError, validateStackConfig } from '../../stacks/config';
import { VPC_INTERFACE_SERVICES } from '../../runtime/contract/network';
import { captureStackRun, loadStackConfig, type CapturedResource, type CapturedStack } from '../support/pulumiMocks';

let existing: CapturedStack;
let created: CapturedStack;
const devPipelines = () => JSON.parse(loadStackConfig('dev').config['tributary:pipelines']) as Array<Record<string, unknown>>;

beforeAll(async () => {
  // recurly (REST → Snowflake) gets a network of its own, with internet (NAT) as its kinds need.
  const pipelines = devPipelines().map((p) => (p.name === 'recurly' ? { ...p, network: { create: { cidrBlock: '10.50.0.0/20', internet: true } } } : p));
  [existing, created] = await Promise.all([
    captureStackRun('dev'),
    captureStackRun('dev', { config: { 'tributary:network': JSON.stringify({ create: { availabilityZones: 3 } }), 'tributary:pipelines': JSON.stringify(pipelines) } }),
  ]);
}, 240_000);

const byType = (s: CapturedStack, type: string) => s.resources.filter((r) => r.type === type);
const one = (s: CapturedStack, type: string, name: string): CapturedResource => {
  const found = s.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
};
const functionsOf = (s: CapturedStack, pipeline: string) => byType(s, 'aws:lambda/function:Function').filter((f) => f.name.startsWith(`${pipeline}-`));
type Statement = { Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown };
const networkPolicy = (s: CapturedStack, fn: string) => (JSON.parse(one(s, 'aws:iam/rolePolicy:RolePolicy', `${fn}-network-policy`).inputs.policy as string) as { Statement: Statement[] }).Statement;

async function mandatoryViolations(resources: CapturedResource[]): Promise<string[]> {
  return violationsOf(await evaluatePolicies(policies, resources)).map((v) => `${v.policy}: ${v.message}`);
}

describe('existing VPC (Pulumi.dev.yaml tributary:network)', () => {
  const network = () => JSON.parse(loadStackConfig('dev').config['tributary:network']) as { subnetIds: string[]; securityGroupIds: string[] };

  test('PostgreSQL pipelines run in its subnets; the REST → Snowflake pipeline stays outside', () => {
    const { subnetIds, securityGroupIds } = network();
    for (const pipeline of ['totesys', 'totesys-redshift']) {
      const fns = functionsOf(existing, pipeline);
      expect(fns.length).toBeGreaterThanOrEqual(4);
      for (const fn of fns) expect(`${fn.name} ${JSON.stringify(fn.inputs.vpcConfig)}`).toBe(`${fn.name} ${JSON.stringify({ securityGroupIds, subnetIds })}`);
    }
    for (const fn of functionsOf(existing, 'recurly')) expect(fn.inputs.vpcConfig).toBeUndefined();
    expect(one(existing, 'aws:lambda/function:Function', 'alerts-notifier').inputs.vpcConfig).toBeUndefined();
    // Nothing is created for an existing network.
    expect(byType(existing, 'awsx:ec2:Vpc')).toHaveLength(0);
    expect(byType(existing, 'aws:ec2/securityGroup:SecurityGroup')).toHaveLength(0);
  });

  test('each function in the VPC has exactly the ENI permissions, scoped to its subnets and groups', () => {
    const { subnetIds, securityGroupIds } = network();
    const account = loadStackConfig('dev').config['tributary:accountId'];
    const ec2 = (type: string, id: string) => `arn:aws:ec2:eu-west-2:${account}:${type}/${id}`;
    const subnets = subnetIds.map((id) => ec2('subnet', id));
    for (const fn of functionsOf(existing, 'totesys')) {
      expect(networkPolicy(existing, fn.name)).toEqual([
        { Sid: 'CreateFunctionInterfaces', Effect: 'Allow', Action: 'ec2:CreateNetworkInterface', Resource: [ec2('network-interface', '*'), ...subnets, ...securityGroupIds.map((id) => ec2('security-group', id))] },
        {
          Sid: 'ManageFunctionInterfaces',
          Effect: 'Allow',
          Action: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          Resource: ec2('network-interface', '*'),
          Condition: { ArnEquals: { 'ec2:Subnet': subnets } },
        },
        { Sid: 'DescribeNetwork', Effect: 'Allow', Action: [...NETWORK_DESCRIBE_ACTIONS], Resource: '*' },
      ]);
      const policy = one(existing, 'aws:iam/rolePolicy:RolePolicy', `${fn.name}-network-policy`);
      expect(policy.inputs.role).toBe(one(existing, 'aws:iam/role:Role', `${fn.name}-role`).outputs.name);
    }
    // Functions outside a VPC get no network permissions at all.
    for (const fn of functionsOf(existing, 'recurly')) expect(existing.resources.some((r) => r.name === `${fn.name}-network-policy`)).toBe(false);
  });

  test('passes the policy pack, and a PostgreSQL function without vpcConfig is caught', async () => {
    expect(await mandatoryViolations(existing.resources)).toEqual([]);
    const stripped = existing.resources.map((r) => (r.name === 'totesys-load' && r.type === 'aws:lambda/function:Function' ? { ...r, inputs: { ...r.inputs, vpcConfig: undefined } } : r));
    const violations = violationsOf(await evaluatePolicies([privatePipelineInVpc], stripped));
    expect(violations.map((v) => v.resourceName)).toEqual(['totesys-load']);
    expect(violations[0].message).toContain('private postgres source and postgres warehouse');
  });
});

describe('created VPC (network: { create })', () => {
  test('one awsx Vpc per network: private subnets, the S3 gateway endpoint, NAT only where the pipeline needs the internet', () => {
    const vpcs = byType(created, 'awsx:ec2:Vpc');
    expect(vpcs.map((v) => v.name).sort()).toEqual(['network-vpc', 'recurly-network-vpc']);
    const stack = one(created, 'awsx:ec2:Vpc', 'network-vpc');
    expect(stack.inputs).toEqual(
      expect.objectContaining({
        cidrBlock: '10.40.0.0/16',
        numberOfAvailabilityZones: 3,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        subnetSpecs: [{ type: 'Private' }],
        natGateways: { strategy: 'None' },
        vpcEndpointStrategy: 'Auto',
        vpcEndpointSpecs: [{ serviceName: 'com.amazonaws.eu-west-2.s3', vpcEndpointType: 'Gateway' }],
      }),
    );
    const recurly = one(created, 'awsx:ec2:Vpc', 'recurly-network-vpc');
    expect(recurly.inputs).toEqual(expect.objectContaining({ cidrBlock: '10.50.0.0/20', natGateways: { strategy: 'Single' }, subnetSpecs: [{ type: 'Private' }, { type: 'Public', cidrMask: 26 }] }));
    // Both hang under a PrivateNetwork component with the stack's provider.
    for (const v of vpcs) expect(v.parent).toMatch(/tributary:network:PrivateNetwork::/);
    expect((stack.inputs.tags as Record<string, string>).owner).toBe('data-engineering');
  });

  test('interface endpoints for every service the functions call, reachable only from the functions', () => {
    const endpoints = (network: string) =>
      byType(created, 'aws:ec2/vpcEndpoint:VpcEndpoint')
        .filter((e) => e.parent?.endsWith(`tributary:network:PrivateNetwork::${network}`))
        .map((e) => e.inputs);
    const services = (network: string) => endpoints(network).map((e) => (e.serviceName as string).replace('com.amazonaws.eu-west-2.', '')).sort();
    // totesys-redshift loads through the Redshift Data API: its network adds that endpoint.
    expect(services('network')).toEqual([...VPC_INTERFACE_SERVICES, 'redshift-data'].sort());
    expect(services('recurly-network')).toEqual([...VPC_INTERFACE_SERVICES].sort());
    const vpcId = one(created, 'awsx:ec2:Vpc', 'network-vpc').outputs.vpcId;
    const privateSubnets = one(created, 'awsx:ec2:Vpc', 'network-vpc').outputs.privateSubnetIds as string[];
    const endpointSg = one(created, 'aws:ec2/securityGroup:SecurityGroup', 'network-endpoints').outputs.id;
    for (const e of endpoints('network')) {
      expect(e).toEqual(expect.objectContaining({ vpcId, vpcEndpointType: 'Interface', privateDnsEnabled: true, subnetIds: privateSubnets, securityGroupIds: [endpointSg] }));
    }
    const functionSg = one(created, 'aws:ec2/securityGroup:SecurityGroup', 'network-functions').outputs.id;
    expect(one(created, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'network-endpoints-https').inputs).toEqual(
      expect.objectContaining({ securityGroupId: endpointSg, referencedSecurityGroupId: functionSg, ipProtocol: 'tcp', fromPort: 443, toPort: 443 }),
    );
    const egress = byType(created, 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule').filter((r) => r.inputs.securityGroupId === functionSg);
    expect(egress.map((r) => [r.inputs.fromPort, r.inputs.cidrIpv4])).toEqual([
      [443, '0.0.0.0/0'],
      [5432, '10.40.0.0/16'],
    ]);
  });

  test("every function that needs it runs in its network's private subnets with the functions' group", () => {
    const vpcConfigOf = (network: string) => ({
      securityGroupIds: [one(created, 'aws:ec2/securityGroup:SecurityGroup', `${network}-functions`).outputs.id],
      subnetIds: one(created, 'awsx:ec2:Vpc', `${network}-vpc`).outputs.privateSubnetIds,
    });
    const expected: Record<string, unknown> = { totesys: vpcConfigOf('network'), 'totesys-redshift': vpcConfigOf('network'), recurly: vpcConfigOf('recurly-network') };
    for (const [pipeline, vpcConfig] of Object.entries(expected)) {
      for (const fn of functionsOf(created, pipeline)) {
        expect(`${fn.name} ${JSON.stringify(fn.inputs.vpcConfig)}`).toBe(`${fn.name} ${JSON.stringify(vpcConfig)}`);
        const create = networkPolicy(created, fn.name).find((st) => st.Sid === 'CreateFunctionInterfaces')!;
        for (const subnet of (vpcConfig as { subnetIds: string[] }).subnetIds) expect(create.Resource).toContain(`arn:aws:ec2:eu-west-2:210987654321:subnet/${subnet}`);
      }
    }
    expect((created.outputs.networks as Record<string, { vpcId: string }>).network.vpcId).toBe(one(created, 'awsx:ec2:Vpc', 'network-vpc').outputs.vpcId);
  });

  test('passes the policy pack', async () => {
    expect(await mandatoryViolations(created.resources)).toEqual([]);
  });
});

describe('network config', () => {
  const base = () => {
    const { config } = loadStackConfig('dev');
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) if (k.startsWith('tributary:')) raw[k.slice('tributary:'.length)] = v;
    return raw;
  };
  const problems = (raw: Record<string, unknown>): string[] => {
    try {
      validateStackConfig(raw);
      return [];
    } catch (e) {
      if (e instanceof ConfigError) return [...e.problems];
      throw e;
    }
  };

  test('a created network without internet is refused for a pipeline that needs it, with the key to set', () => {
    const pipelines = devPipelines().map((p) => (p.name === 'recurly' ? { ...p, network: { create: {} } } : p));
    expect(problems({ ...base(), pipelines })).toEqual([
      '"tributary:pipelines[1].network.create.internet" must be true: pipeline "recurly" reaches a REST API over the internet, and a created network has no NAT gateway without it',
    ]);
  });

  test('bad ids, both forms at once and unknown keys are named', () => {
    expect(problems({ ...base(), network: { subnetIds: ['subnet-xyz'], securityGroupIds: ['sg-0123456789abcdef0'] } })).toEqual([
      '"tributary:network.subnetIds" must list only private subnet ids (subnet-0123abcd...), got "subnet-xyz"',
    ]);
    expect(problems({ ...base(), network: { subnetIds: ['subnet-0123456789abcdef0'], create: {} } })).toEqual([
      '"tributary:network" names an existing VPC (subnetIds, securityGroupIds) and create: give one or the other',
    ]);
    expect(problems({ ...base(), network: { create: { cidrBlock: '8.8.0.0/16', natGateway: true } } })).toEqual([
      'unknown key "tributary:network.create.natGateway" (closest valid key: "tributary:network.create.internet")',
      '"tributary:network.create.cidrBlock" must be a private IPv4 range from /16 to /24, such as 10.40.0.0/16, got "8.8.0.0/16"',
    ]);
  });

  test('pipelines with a private source or warehouse take the stack network; others only their own', () => {
    const cfg = validateStackConfig(base());
    expect(cfg.pipelines.map((p) => [p.name, p.network])).toEqual([
      ['totesys', 'stack'],
      ['recurly', undefined],
      ['totesys-redshift', 'stack'],
    ]);
  });
});
