/**
 * Another team's Pulumi program built on the `tributary` package (imported by name): its own
 * provider and tags, a created private network, and its own set of pipelines — an orders
 * database into a PostgreSQL warehouse inside the network, and a billing REST API into
 * Snowflake outside it. tests/infra/package.test.ts packs the package, installs the tarball
 * next to a copy of this folder and runs it under Pulumi mocks.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { join, resolve } from 'node:path';
import { AlertingChannel, DataLake, IngestionPipeline, PrivateNetwork, registerDefaultTags, type IngestionPipelineArgs, type PlatformTags } from 'tributary';

const config = new pulumi.Config('example');
const accountId = config.require('accountId');
const region = config.require('region');
const bundleDir = resolve(config.get('bundleDir') ?? './tributary-dist');
const tags: PlatformTags = { project: 'orders-platform', environment: 'staging', owner: 'platform-team', 'cost-center': 'CC-9000', 'managed-by': 'pulumi' };
const common = { environment: 'staging', aws: { accountId, region }, tags };

const provider = new aws.Provider('aws', {
  region: region as aws.Region,
  allowedAccountIds: [accountId],
  assumeRoles: [{ roleArn: config.require('deployRoleArn'), sessionName: 'orders-platform' }],
  defaultTags: { tags },
});
const opts = { providers: [provider], ...registerDefaultTags(tags) };

const lake = new DataLake('lake', { ...common, forceDestroy: true }, opts);
const alerts = new AlertingChannel(
  'alerts',
  { ...common, slackChannel: '#orders-alerts', slackBotToken: config.requireSecret('slackBotToken'), notifierCodeDir: join(bundleDir, 'notify'), logRetentionDays: 30 },
  opts,
);
const network = new PrivateNetwork('net', { ...common, cidrBlock: '10.60.0.0/16', availabilityZones: 2 }, opts);

const shared: Pick<IngestionPipelineArgs, 'environment' | 'aws' | 'tags' | 'lake' | 'alerts' | 'bundleDir' | 'logRetentionDays'> = {
  ...common,
  lake,
  alerts,
  bundleDir,
  logRetentionDays: 30,
};
const orders = new IngestionPipeline(
  'orders',
  { ...shared, pipeline: 'orders', source: { kind: 'postgres', name: 'orders' }, warehouse: { kind: 'postgres' }, schedule: 'rate(30 minutes)', network: network.functionNetwork },
  opts,
);
const billing = new IngestionPipeline(
  'billing',
  {
    ...shared,
    pipeline: 'billing',
    source: { kind: 'rest', name: 'billing', apiUrl: 'https://v3.recurly.com', endpoints: ['accounts', 'invoices'] },
    warehouse: { kind: 'snowflake', stage: 'BILLING_STAGE' },
    schedule: 'rate(1 hour)',
  },
  opts,
);

// A resource of the team's own, given no tags: the provider's defaultTags and the tag transform cover it.
new aws.sqs.Queue('audit-queue', { sqsManagedSseEnabled: true, messageRetentionSeconds: 1_209_600 }, { provider, transformations: opts.transformations });

export const stateMachines = { orders: orders.stateMachineArn, billing: billing.stateMachineArn };
export const vpcId = network.vpcId;
