import { Client } from 'pg';
import { redactUrl } from '../config/urls';
import { postgresConnectionSettings } from '../config/postgres-tls';

/**
 * Connects with a bounded timeout and turns connection failures into one clear line. TLS as
 * `postgresConnectionSettings` decides: verified by default, plain text only on loopback.
 */
export async function connectPostgres(url: string, role: string): Promise<Client> {
  let settings;
  try {
    settings = postgresConnectionSettings(url);
  } catch (err) {
    throw new Error(`${role} at ${redactUrl(url)}: ${(err as Error).message}`);
  }
  const { connectionString, ssl } = settings;
  const client = new Client({ connectionString, ssl, connectionTimeoutMillis: 10000, application_name: 'tributary' });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    const reason = (err as Error).message || String(err);
    throw new Error(`${role} unreachable at ${redactUrl(url)}: ${reason}`);
  }
  // A dropped connection mid-run surfaces as a query error; this keeps it from crashing the process.
  client.on('error', () => undefined);
  return client;
}
