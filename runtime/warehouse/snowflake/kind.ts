import { ENV } from '../../contract';
import { UsageError } from '../../config/urls';
import type { WarehouseKindAdapter } from '../../pipeline/kinds';
import { getSnowflakeSecret, parseSnowflakeUrl, type SnowflakeConfig } from './config';

export interface SnowflakeWarehouseSettings {
  kind: 'snowflake';
  config: SnowflakeConfig;
}

export const snowflakeWarehouse: WarehouseKindAdapter<SnowflakeWarehouseSettings> = {
  kind: 'snowflake',
  schemes: ['snowflake:'],
  async fromEnv(env) {
    const arn = env[ENV.warehouseSecretArn];
    if (!arn) throw new UsageError(`${ENV.warehouseSecretArn} is not set (Snowflake credentials)`);
    const config = await getSnowflakeSecret(arn, { endpoint: env[ENV.secretsEndpoint] });
    // The stack's config names the stage; the secret's value is the fallback.
    const stage = env[ENV.snowflakeStage];
    return { kind: 'snowflake', config: { ...config, ...(stage ? { stage } : {}) } };
  },
  fromUrl(url) {
    try {
      return { kind: 'snowflake', config: parseSnowflakeUrl(url) };
    } catch (err) {
      throw new UsageError(`--warehouse: ${(err as Error).message}`);
    }
  },
  fromSecret: async (secretId) => ({ kind: 'snowflake', config: await getSnowflakeSecret(secretId) }),
  // snowflake-sdk costs ~1 s to load and probes cloud metadata when loaded: only a Snowflake load pays for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use
  open: (settings, model) => (require('./warehouse') as typeof import('./warehouse')).SnowflakeWarehouse.connect(settings.config, model),
};
