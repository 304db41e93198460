/**
 * Stack config validation: the committed stack files pass; a missing or malformed key fails with
 * a message naming it, both in the plain validator and through the real program under mocks.
 */
import { validateStackConfig, ConfigError } from '../../stacks/config';
import { captureStack, loadStackConfig } from '../support/pulumiMocks';

/** The `tributary:*` keys of a stack file, namespace stripped, as the program reads them. */
function rawConfig(stack: string, overrides: Record<string, string | undefined> = {}): Record<string, unknown> {
  const { config } = loadStackConfig(stack, undefined, overrides);
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (key.startsWith('tributary:')) raw[key.slice('tributary:'.length)] = value;
  return raw;
}

function problemsOf(overrides: Record<string, string | undefined>, stack = 'dev'): string {
  try {
    validateStackConfig(rawConfig(stack, overrides));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

const pipelinesWith = (patch: Record<string, unknown>): string =>
  JSON.stringify([{ name: 'totesys', source: { kind: 'postgres', name: 'totesys' }, warehouse: { kind: 'postgres' }, schedule: 'rate(20 minutes)', ...patch }]);

test('the committed dev and prod stack files are valid', () => {
  const dev = validateStackConfig(rawConfig('dev'));
  const prod = validateStackConfig(rawConfig('prod'));
  expect(dev).toMatchObject({ environment: 'dev', accountId: '210987654321', region: 'eu-west-2', logRetentionDays: 14 });
  expect(dev.delivery).toBeUndefined();
  const defaults = { scheduleEnabled: true, backfill: { chunkRows: 1_000_000, maxConcurrency: 10 }, reconcileSchedule: 'rate(1 day)', memoryMb: {} };
  expect(dev.pipelines).toEqual([
    { name: 'totesys', source: { kind: 'postgres', name: 'totesys' }, warehouse: { kind: 'postgres' }, schedule: 'rate(20 minutes)', freshnessSlaMinutes: 30, logLevel: 'DEBUG', ...defaults, network: 'stack' },
    {
      name: 'recurly',
      source: { kind: 'rest', name: 'recurly', apiUrl: 'https://v3.recurly.com', endpoints: ['accounts', 'subscriptions', 'invoices', 'transactions'] },
      warehouse: { kind: 'snowflake', stage: 'TRIBUTARY_PROCESSED_STAGE' },
      schedule: 'rate(1 hour)',
      freshnessSlaMinutes: 90,
      logLevel: 'INFO',
      ...defaults,
    },
    {
      name: 'totesys-redshift',
      source: { kind: 'postgres', name: 'totesys-rs' },
      warehouse: { kind: 'redshift', redshift: { workgroup: 'tributary-dev', workgroupId: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f', database: 'dev' } },
      schedule: 'rate(1 hour)',
      freshnessSlaMinutes: 90,
      logLevel: 'INFO',
      ...defaults,
      // PostgreSQL source: runs in the stack's network (tributary:network, an existing VPC).
      network: 'stack',
    },
  ]);
  expect(dev.network).toEqual({ subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b2c3d4e5f6071829'], securityGroupIds: ['sg-0c3d4e5f607182930'] });
  expect(validateStackConfig(rawConfig('prod')).pipelines.map((p) => p.name)).toEqual(['totesys']);
  expect(prod).toMatchObject({ environment: 'prod', accountId: '123456789012', logRetentionDays: 90, alerting: { email: 'data-oncall@example.com' } });
  expect(prod.delivery?.deployments.map((d) => [d.stack, d.approval])).toEqual([
    ['dev', false],
    ['prod', true],
  ]);
  // The secret is never part of the validated config.
  expect(JSON.stringify(dev)).not.toContain('xoxb');
});

test('a REST → Snowflake pipeline is declared by config alone, with its own fields validated', () => {
  const recurly = (patch: Record<string, unknown>) =>
    JSON.stringify([{ name: 'recurly', source: { kind: 'rest', name: 'recurly' }, warehouse: { kind: 'snowflake' }, schedule: 'rate(1 hour)', ...patch }]);
  const minimal = validateStackConfig(rawConfig('dev', { 'tributary:pipelines': recurly({}) }));
  expect(minimal.pipelines[0]).toMatchObject({ source: { kind: 'rest', name: 'recurly' }, warehouse: { kind: 'snowflake' } });
  expect(minimal.pipelines[0].source.apiUrl).toBeUndefined();
  const integration = { iamUserArn: 'arn:aws:iam::111122223333:user/abc1-b-self1234', externalId: 'MYACCOUNT_SFCRole=2_abcdefg=' };
  const full = validateStackConfig(
    rawConfig('dev', {
      'tributary:pipelines': recurly({
        source: { kind: 'rest', name: 'recurly', apiUrl: 'https://v3.eu.recurly.com', endpoints: 'accounts, invoices' },
        warehouse: { kind: 'snowflake', stage: 'LAKE.PUBLIC.PROCESSED', snowflakeIntegration: integration },
      }),
    }),
  );
  expect(full.pipelines[0].source).toEqual({ kind: 'rest', name: 'recurly', apiUrl: 'https://v3.eu.recurly.com', endpoints: ['accounts', 'invoices'] });
  expect(full.pipelines[0].warehouse).toEqual({ kind: 'snowflake', stage: 'LAKE.PUBLIC.PROCESSED', snowflakeIntegration: integration });

  const bad = (patch: Record<string, unknown>) => problemsOf({ 'tributary:pipelines': recurly(patch) });
  expect(bad({ source: { kind: 'rest', name: 'recurly', apiUrl: 'http://v3.recurly.com' } })).toContain('"tributary:pipelines[0].source.apiUrl" must be an https:// URL');
  expect(bad({ source: { kind: 'rest', name: 'recurly', endpoints: ['accounts', 'plans'] } })).toContain('"tributary:pipelines[0].source.endpoints" must list only accounts, subscriptions, invoices, transactions, got "plans"');
  expect(bad({ source: { kind: 'rest', name: 'recurly', endpoints: [] } })).toContain('"tributary:pipelines[0].source.endpoints" must be a non-empty list');
  expect(bad({ warehouse: { kind: 'snowflake', stage: 'bad stage;' } })).toContain('"tributary:pipelines[0].warehouse.stage" must be a Snowflake stage name');
  expect(bad({ warehouse: { kind: 'snowflake', snowflakeIntegration: { iamUserArn: 'arn:aws:iam::111122223333:role/x' } } })).toContain(
    'missing required key "tributary:pipelines[0].warehouse.snowflakeIntegration.externalId"',
  );
  expect(bad({ warehouse: { kind: 'snowflake', snowflakeIntegration: { iamUserArn: 'arn:aws:iam::111122223333:role/x', externalId: 'e1' } } })).toContain(
    '"tributary:pipelines[0].warehouse.snowflakeIntegration.iamUserArn" must be the integration\'s STORAGE_AWS_IAM_USER_ARN',
  );
  // Branches the runtime implements for PostgreSQL only.
  expect(bad({ backfill: { chunkRows: 5000 } })).toContain('"tributary:pipelines[0].backfill" applies only to postgres sources');
  expect(bad({ reconcileSchedule: 'rate(1 day)' })).toContain('"tributary:pipelines[0].reconcileSchedule" applies only to postgres sources with a postgres warehouse');
});

test.each([
  [{ 'tributary:accountId': undefined }, 'missing required key "tributary:accountId"'],
  [{ 'tributary:accountId': '12345' }, '"tributary:accountId" must be a 12-digit AWS account id'],
  [{ 'tributary:deployRoleArn': 'arn:aws:iam::999999999999:role/x' }, '"tributary:deployRoleArn" must be a role in the stack\'s account'],
  [{ 'tributary:region': 'mars' }, '"tributary:region" must be an AWS region'],
  [{ 'tributary:logRetentionDays': '13' }, '"tributary:logRetentionDays" must be one of 1, 3, 5'],
  [{ 'tributary:logRetentionDays': 'two weeks' }, '"tributary:logRetentionDays" must be a number'],
  [{ 'tributary:slackBotToken': undefined }, 'missing required key "tributary:slackBotToken"'],
  [{ 'tributary:tags': JSON.stringify({ project: 'tributary', environment: 'dev', owner: 'x', 'managed-by': 'pulumi' }) }, 'missing required key "tributary:tags.cost-center"'],
  [{ 'tributary:tags': JSON.stringify({ project: 'tributary', environment: 'prod', owner: 'x', 'cost-center': 'y', 'managed-by': 'pulumi' }) }, '"tributary:tags.environment" must equal tributary:environment'],
  [{ 'tributary:lake': JSON.stringify({ rawInfrequentAccessAfterDays: 30, rawArchiveAfterDays: 45, noncurrentVersionExpirationDays: 7 }) }, '"tributary:lake.rawArchiveAfterDays" must be at least 30 days after'],
  [{ 'tributary:alerting': JSON.stringify({ email: 'oncall@example.com' }) }, 'missing required key "tributary:alerting.slackChannel"'],
  [{ 'tributary:alerting': JSON.stringify({ slackChannel: '#a', email: 'not-an-address' }) }, '"tributary:alerting.email" must be an e-mail address'],
  [{ 'tributary:pipelines': undefined }, 'missing required key "tributary:pipelines"'],
  [{ 'tributary:pipelines': '[]' }, '"tributary:pipelines" must list at least one entry'],
  [{ 'tributary:pipelines': pipelinesWith({ source: { kind: 'mysql', name: 'totesys' } }) }, '"tributary:pipelines[0].source.kind" must be one of postgres, rest, got "mysql"'],
  [{ 'tributary:pipelines': pipelinesWith({ warehouse: { kind: 'oracle' } }) }, '"tributary:pipelines[0].warehouse.kind" must be one of postgres, snowflake, redshift'],
  [{ 'tributary:pipelines': pipelinesWith({ warehouse: { kind: 'redshift' } }) }, 'missing required key "tributary:pipelines[0].warehouse.workgroup" (a Serverless workgroup, or clusterIdentifier for a provisioned cluster)'],
  [{ 'tributary:pipelines': pipelinesWith({ warehouse: { kind: 'redshift', workgroup: 'wg-one', database: 'dev' } }) }, 'missing required key "tributary:pipelines[0].warehouse.workgroupId"'],
  [{ 'tributary:pipelines': pipelinesWith({ warehouse: { kind: 'redshift', workgroup: 'wg-one', workgroupId: 'nope', database: 'dev' } }) }, '"tributary:pipelines[0].warehouse.workgroupId" must be the workgroup id'],
  [{ 'tributary:pipelines': pipelinesWith({ warehouse: { kind: 'redshift', workgroup: 'wg-one', clusterIdentifier: 'c-one', database: 'dev' } }) }, '"tributary:pipelines[0].warehouse.clusterIdentifier" cannot be given with workgroup'],
  [{ 'tributary:pipelines': pipelinesWith({ warehouse: { kind: 'redshift', clusterIdentifier: 'c-one', database: 'dev' } }) }, 'missing required key "tributary:pipelines[0].warehouse.dbUser"'],
  [{ 'tributary:pipelines': pipelinesWith({ warehouse: { kind: 'postgres', database: 'dev' } }) }, '"tributary:pipelines[0].warehouse.database" applies only to redshift warehouses'],
  [{ 'tributary:pipelines': pipelinesWith({ warehouse: { kind: 'redshift', workgroup: 'wg-one', workgroupId: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f', database: 'dev' }, reconcileSchedule: 'rate(1 day)' }) }, '"tributary:pipelines[0].reconcileSchedule" applies only to postgres sources with a postgres warehouse'],
  [{ 'tributary:pipelines': pipelinesWith({ schedule: 'every 20 minutes' }) }, '"tributary:pipelines[0].schedule" must be an EventBridge Scheduler expression'],
  [{ 'tributary:pipelines': pipelinesWith({ memoryMb: { transform: 64 } }) }, '"tributary:pipelines[0].memoryMb.transform" must be at least 128'],
  [{ 'tributary:pipelines': pipelinesWith({ memoryMb: { notify: 256 } }) }, 'unknown key "tributary:pipelines[0].memoryMb.notify" (closest valid key: "tributary:pipelines[0].memoryMb.'],
  [{ 'tributary:pipelines': pipelinesWith({ backfill: { chunkRows: 10 } }) }, '"tributary:pipelines[0].backfill.chunkRows" must be at least 1000'],
  [{ 'tributary:pipelines': pipelinesWith({ backfill: { maxConcurrency: 0 } }) }, '"tributary:pipelines[0].backfill.maxConcurrency" must be at least 1'],
  [{ 'tributary:pipelines': pipelinesWith({ backfill: { chunks: 3 } }) }, 'unknown key "tributary:pipelines[0].backfill.chunks" (closest valid key: "tributary:pipelines[0].backfill.chunkRows")'],
  [{ 'tributary:pipelines': pipelinesWith({ reconcileSchedule: 'daily' }) }, '"tributary:pipelines[0].reconcileSchedule" must be an EventBridge Scheduler expression'],
  [{ 'tributary:pipelines': pipelinesWith({ source: { kind: 'postgres', name: 'totesys', apiUrl: 'https://x.example.com' } }) }, '"tributary:pipelines[0].source.apiUrl" applies only to rest sources'],
  [{ 'tributary:pipelines': pipelinesWith({ warehouse: { kind: 'postgres', stage: 'S' } }) }, '"tributary:pipelines[0].warehouse.stage" applies only to snowflake warehouses'],
  [{ 'tributary:pipelines': pipelinesWith({ warehouse: { kind: 'postgres', secretArn: 'arn:aws:secretsmanager:eu-west-2:999999999999:secret:x-AbCdEf' } }) }, '"tributary:pipelines[0].warehouse.secretArn" must be a secret in the stack\'s account'],
  // Unknown keys: a misspelt optional key would otherwise keep its default without a word.
  [{ 'tributary:unknownThing': 'x' }, 'unknown key "tributary:unknownThing" (closest valid key: "tributary:'],
  [{ 'tributary:logRetentionDay': '14' }, 'unknown key "tributary:logRetentionDay" (closest valid key: "tributary:logRetentionDays")'],
  [{ 'tributary:pipelines': pipelinesWith({ freshnesSlaMinutes: 10 }) }, 'unknown key "tributary:pipelines[0].freshnesSlaMinutes" (closest valid key: "tributary:pipelines[0].freshnessSlaMinutes")'],
  [{ 'tributary:pipelines': pipelinesWith({ source: { kind: 'postgres', name: 'totesys', secretArm: 'x' } }) }, 'unknown key "tributary:pipelines[0].source.secretArm" (closest valid key: "tributary:pipelines[0].source.secretArn")'],
  [{ 'tributary:lake': JSON.stringify({ rawInfrequentAccessAfterDays: 30, rawArchiveAfterDays: 90, noncurrentVersionExpirationDays: 7, forceDestory: true }) }, 'unknown key "tributary:lake.forceDestory" (closest valid key: "tributary:lake.forceDestroy")'],
  [{ 'tributary:alerting': JSON.stringify({ slackChannel: '#a', emial: 'a@b.co' }) }, 'unknown key "tributary:alerting.emial" (closest valid key: "tributary:alerting.email")'],
])('rejects %j naming the key', (overrides, message) => {
  expect(problemsOf(overrides)).toContain(message);
});

test('the prod delivery section is validated too', () => {
  const delivery = JSON.parse(rawConfig('prod').delivery as string) as Record<string, unknown>;
  expect(problemsOf({ 'tributary:delivery': JSON.stringify({ ...delivery, stateBackendUrl: 'file:///tmp' }) }, 'prod')).toContain('"tributary:delivery.stateBackendUrl"');
  expect(problemsOf({ 'tributary:delivery': JSON.stringify({ ...delivery, deployments: [{ stack: 'dev' }] }) }, 'prod')).toContain(
    'missing required key "tributary:delivery.deployments[0].roleArn"',
  );
});

test('all problems are reported at once', () => {
  const message = problemsOf({ 'tributary:accountId': undefined, 'tributary:region': undefined });
  expect(message).toContain('"tributary:accountId"');
  expect(message).toContain('"tributary:region"');
});

test('the program itself rejects an unknown key', async () => {
  await expect(captureStack('dev', { config: { 'tributary:unknownThing': 'x' } })).rejects.toThrow('unknown key "tributary:unknownThing"');
}, 240_000);

test('the program itself fails with the key name when a stack file is wrong', async () => {
  await expect(captureStack('dev', { config: { 'tributary:pipelines': pipelinesWith({ source: { kind: 'mysql', name: 'totesys' } }) } })).rejects.toThrow(
    '"tributary:pipelines[0].source.kind" must be one of postgres, rest, got "mysql"',
  );
}, 240_000);
