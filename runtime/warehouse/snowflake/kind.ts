import { ENV } from '../../contract';
import { UsageError } from '../../config/urls';
import type { WarehouseKindAdapter } from '../../pipeline/kinds';
import { getSnowflakeSecret, parseSnowflakeUrl, type SnowflakeConfig } from './config';

export interface SnowflakeWarehouseSettings {
  kind: 'snowflake';
  config: SnowflakeConfig;
}

/**
 * snowflake-sdk (3.x) detects its platform when it is loaded, for login telemetry only: it calls
 * STS GetCallerIdentity with the function's credentials and probes the EC2, Azure and GCE
 * metadata endpoints (200 ms timeout each). The rehearsal recorded that call on every cold start
 * of the Recurly load. The SDK's own switch turns it off, unless the operator set it.
 */
export function disablePlatformDetection(env: NodeJS.ProcessEnv): void {
  env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= 'true';
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
  // snowflake-sdk costs ~1 s to load: only a Snowflake load pays for it.
  open: (settings, model) => {
    disablePlatformDetection(process.env);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, after the line above
    return (require('./warehouse') as typeof import('./warehouse')).SnowflakeWarehouse.connect(settings.config, model);
  },
};
