import { ENV } from '../../contract';
import { optionalString } from '../../config/options';
import { required } from '../../config/environment';
import { UsageError } from '../../config/urls';
import type { CliValues, WarehouseKindAdapter } from '../../pipeline/kinds';
import type { RedshiftConfig } from './warehouse';

export interface RedshiftWarehouseSettings {
  kind: 'redshift';
  config: RedshiftConfig;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const DATABASE = /^[A-Za-z_][A-Za-z0-9_$]{0,126}$/;

/**
 * `redshift://<workgroup>/<database>` (Serverless) or
 * `redshift://cluster:<id>/<database>?user=<db user>` (provisioned), with the COPY role.
 */
export function parseRedshiftUrl(url: string, copyRoleArn: string | undefined, processedLake: string | undefined): RedshiftConfig {
  // eslint-disable-next-line security/detect-unsafe-regex -- anchored; the groups exclude the delimiters that follow them
  const m = /^redshift:\/\/(cluster:)?([^/?#]+)\/([^/?#]+)(?:\?(.*))?$/.exec(url);
  if (!m) throw new UsageError('--warehouse: expected redshift://<workgroup>/<database> or redshift://cluster:<id>/<database>?user=<db user>');
  const [, cluster, name, database, query] = m;
  if (!NAME.test(name)) throw new UsageError(`--warehouse: ${JSON.stringify(name)} is not a Redshift ${cluster ? 'cluster identifier' : 'workgroup name'}`);
  if (!DATABASE.test(database)) throw new UsageError(`--warehouse: ${JSON.stringify(database)} is not a Redshift database name`);
  const params = new URLSearchParams(query ?? '');
  const user = params.get('user') ?? undefined;
  if (cluster && !user && !params.get('secretArn')) throw new UsageError('--warehouse: a provisioned cluster needs ?user=<db user> (or ?secretArn=<secret>)');
  if (!copyRoleArn || !ROLE_ARN.test(copyRoleArn)) throw new UsageError('--redshift-copy-role: required, the IAM role ARN Redshift assumes to COPY from the processed zone');
  if (!processedLake?.startsWith('s3://')) throw new UsageError('--lake: Redshift COPYs from S3, so the lake must be an s3:// location');
  return {
    ...(cluster ? { clusterIdentifier: name, ...(user ? { dbUser: user } : {}) } : { workgroup: name }),
    database,
    ...(params.get('secretArn') ? { secretArn: params.get('secretArn')! } : {}),
    copyRoleArn,
    processedLake,
  };
}

export const redshiftWarehouse: WarehouseKindAdapter<RedshiftWarehouseSettings> = {
  kind: 'redshift',
  schemes: ['redshift:'],
  cliOptions: { 'redshift-copy-role': { type: 'string' } },
  async fromEnv(env) {
    const workgroup = env[ENV.redshiftWorkgroup];
    const clusterIdentifier = env[ENV.redshiftCluster];
    if (!workgroup && !clusterIdentifier) throw new UsageError(`neither ${ENV.redshiftWorkgroup} nor ${ENV.redshiftCluster} is set`);
    const secretArn = env[ENV.redshiftSecretArn];
    const dbUser = env[ENV.redshiftDbUser];
    return {
      kind: 'redshift',
      config: {
        ...(workgroup ? { workgroup } : { clusterIdentifier: clusterIdentifier!, ...(dbUser ? { dbUser } : {}) }),
        database: required(env, ENV.redshiftDatabase),
        ...(secretArn ? { secretArn } : {}),
        copyRoleArn: required(env, ENV.redshiftCopyRoleArn),
        processedLake: env[ENV.processedLake] ?? required(env, ENV.lake),
      },
    };
  },
  fromUrl(url: string, values: CliValues, env: NodeJS.ProcessEnv = {}) {
    const lake = optionalString(values.lake) ?? env[ENV.lake];
    return { kind: 'redshift', config: parseRedshiftUrl(url, optionalString(values['redshift-copy-role']) ?? env[ENV.redshiftCopyRoleArn], lake) };
  },
  // The Data API client is loaded with the warehouse, on first use.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  open: async (settings, model) => (require('./warehouse') as typeof import('./warehouse')).RedshiftWarehouse.connect(settings.config, model),
};
