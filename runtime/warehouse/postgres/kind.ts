import { ENV } from '../../contract';
import { postgresUrlFromEnv } from '../../config/environment';
import { parsePostgresUrl } from '../../config/urls';
import type { WarehouseKindAdapter } from '../../pipeline/kinds';
import { connectPostgres } from '../../postgres/connect';
import { PostgresWarehouse } from './warehouse';

export interface PostgresWarehouseSettings {
  kind: 'postgres';
  url: string;
}

export const postgresWarehouse: WarehouseKindAdapter<PostgresWarehouseSettings> = {
  kind: 'postgres',
  schemes: ['postgres:', 'postgresql:'],
  async fromEnv(env) {
    return { kind: 'postgres', url: await postgresUrlFromEnv(env, ENV.warehouseSecretArn, ENV.warehouseUrl) };
  },
  fromUrl(url) {
    parsePostgresUrl(url, '--warehouse');
    return { kind: 'postgres', url };
  },
  open: (settings, model) => PostgresWarehouse.connect(settings.url, model),
  sqlConnection: (settings) => connectPostgres(settings.url, 'warehouse'),
};
