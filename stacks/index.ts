/**
 * The Tributary program: reads the stack's validated config (Pulumi.<stack>.yaml) and composes
 * the platform's components in that stack's account, through one explicit AWS provider that
 * assumes the stack's deploy role. Default providers are disabled (Pulumi.yaml).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { join, resolve } from 'node:path';
import { AlertingChannel, DataLake, DeliveryPipeline, DocsSite, IngestionPipeline, PrivateNetwork, registerDefaultTags, siteReadAccess, type FunctionNetwork } from '../infra';
import { DEFAULTS } from '../runtime/contract';
import { pipelineNetworkNeeds } from '../runtime/contract/network';
import { CONFIG_NAMESPACE, validateStackConfig, type NetworkConfig, type PipelineConfig } from './config';

/** The stack's `tributary:*` config with the namespace stripped (values as the CLI gives them). */
function rawConfig(): Record<string, unknown> {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
  }
  return raw;
}

const cfg = validateStackConfig(rawConfig());
const slackBotToken = new pulumi.Config(CONFIG_NAMESPACE).requireSecret('slackBotToken');
const bundleDir = resolve(__dirname, '..', 'dist');
const env = { accountId: cfg.accountId, region: cfg.region };
const common = { environment: cfg.environment, aws: env, tags: cfg.tags };

const provider = new aws.Provider(`aws-${cfg.environment}`, {
  region: cfg.region as aws.Region,
  allowedAccountIds: [cfg.accountId],
  assumeRoles: [{ roleArn: cfg.deployRoleArn, sessionName: `tributary-${cfg.environment}-deploy` }],
  // Every resource of this provider carries the stack's tags even where a component forgets them.
  defaultTags: { tags: cfg.tags },
});
// Tags for what the provider's defaultTags do not reach (infra/tags.ts); the policy pack still checks them.
const opts = { providers: [provider], ...registerDefaultTags(cfg.tags) };

const lake = new DataLake(
  'lake',
  {
    ...common,
    forceDestroy: cfg.lake.forceDestroy,
    lifecycle: {
      rawInfrequentAccessAfterDays: cfg.lake.rawInfrequentAccessAfterDays,
      rawArchiveAfterDays: cfg.lake.rawArchiveAfterDays,
      noncurrentVersionExpirationDays: cfg.lake.noncurrentVersionExpirationDays,
    },
  },
  opts,
);

const alerts = new AlertingChannel(
  'alerts',
  {
    ...common,
    slackChannel: cfg.alerting.slackChannel,
    slackBotToken,
    ...(cfg.alerting.email ? { email: cfg.alerting.email } : {}),
    notifierCodeDir: join(bundleDir, 'notify'),
    logRetentionDays: cfg.logRetentionDays,
    site: siteReadAccess(lake),
  },
  opts,
);

/** Existing subnets as they are; a created network once per declaration, with the endpoints its pipelines need. */
const createdNetworks: Record<string, PrivateNetwork> = {};
function networkOf(name: string, network: NetworkConfig, users: readonly PipelineConfig[]): FunctionNetwork {
  if (!('create' in network)) return { subnetIds: [...network.subnetIds], securityGroupIds: [...network.securityGroupIds] };
  const extra = users.flatMap((p) => pipelineNetworkNeeds(p.source.kind, p.warehouse.kind).extraServices);
  createdNetworks[name] ??= new PrivateNetwork(name, { ...common, ...network.create, extraInterfaceServices: extra }, opts);
  return createdNetworks[name].functionNetwork;
}
const stackNetwork = cfg.network ? networkOf('network', cfg.network, cfg.pipelines.filter((p) => p.network === 'stack')) : undefined;
const pipelineNetwork = (p: PipelineConfig): FunctionNetwork | undefined =>
  p.network === 'stack' ? stackNetwork : p.network ? networkOf(`${p.name}-network`, p.network, [p]) : undefined;

const pipelines = cfg.pipelines.map((p) => {
  const network = pipelineNetwork(p);
  return new IngestionPipeline(
      p.name,
      {
        ...common,
        pipeline: p.name,
        source: p.source,
        // The validated config holds exactly the component's warehouse fields of its kind.
        warehouse: p.warehouse,
        backfill: p.backfill,
        reconcileSchedule: p.reconcileSchedule,
        lake,
        alerts,
        schedule: p.schedule,
        scheduleEnabled: p.scheduleEnabled,
        freshnessSlaMinutes: p.freshnessSlaMinutes,
        bundleDir,
        logRetentionDays: cfg.logRetentionDays,
        logLevel: p.logLevel,
        memoryMb: p.memoryMb,
        ...(network ? { network } : {}),
      },
      opts,
    );
});

const site = new DocsSite(
  'site',
  { ...common, lake, alerts, pipelines: cfg.pipelines.map((p, i) => ({ stateMachineArn: pipelines[i].stateMachineArn, source: p.source.name })), bundleDir, logRetentionDays: cfg.logRetentionDays },
  opts,
);

const delivery = cfg.delivery
  ? new DeliveryPipeline(
      'delivery',
      {
        ...common,
        repository: cfg.delivery.repository,
        branch: cfg.delivery.branch,
        connectionProvider: cfg.delivery.connectionProvider,
        stateBackendUrl: cfg.delivery.stateBackendUrl,
        stateKeyArn: cfg.delivery.stateKeyArn,
        deployments: cfg.delivery.deployments,
        approvalTopic: { arn: alerts.topicArn, keyArn: alerts.keyArn },
        logRetentionDays: cfg.logRetentionDays,
      },
      opts,
    )
  : undefined;

export const rawLake = lake.rawLakeUrl;
export const processedLake = lake.processedLakeUrl;
export const lakeKeyArn = lake.keyArn;
export const alertTopicArn = alerts.topicArn;
/** The deployed run-history site (alerts link to it presigned). */
export const siteLocation = site.location;
export const stateMachines = Object.fromEntries(pipelines.map((p, i) => [cfg.pipelines[i].name, p.stateMachineArn]));
export const pipelineSecrets = Object.fromEntries(
  pipelines.map((p, i) => [cfg.pipelines[i].name, { source: p.sourceSecretArn, warehouse: p.warehouseSecretArn }]),
);
/** What the Snowflake side needs (CREATE STORAGE INTEGRATION / STAGE), per Snowflake pipeline. */
export const snowflakeSetup = Object.fromEntries(
  cfg.pipelines.flatMap((p, i) =>
    p.warehouse.kind === 'snowflake'
      ? [[p.name, { stage: p.warehouse.stage ?? DEFAULTS.snowflakeStage, stageUrl: pulumi.interpolate`${lake.processedLakeUrl}/`, storageRoleArn: pipelines[i].snowflakeRole?.arn ?? null }]]
      : [],
  ),
);
/** What the Redshift side needs (attach the COPY role to the workgroup's namespace or the cluster), per Redshift pipeline. */
export const redshiftSetup = Object.fromEntries(
  cfg.pipelines.flatMap((p, i) => (p.warehouse.kind === 'redshift' ? [[p.name, { copyRoleArn: pipelines[i].redshiftCopyRole?.arn ?? null }]] : [])),
);
/** Created networks: the VPC, its private subnets and the functions' security group (add rules to reach a database). */
export const networks = Object.fromEntries(
  Object.entries(createdNetworks).map(([name, n]) => [name, { vpcId: n.vpcId, privateSubnetIds: n.privateSubnetIds, functionSecurityGroupId: n.functionSecurityGroup.id }]),
);
export const deliveryPipeline = delivery?.pipelineName;
export const gitConnectionArn = delivery?.connectionArn;
