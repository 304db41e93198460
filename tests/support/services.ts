import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Loopback moto_server started by globalSetup; AWS SDK clients point here. */
export function motoUrl(): string {
  const url = process.env.TRIBUTARY_TEST_MOTO_URL;
  if (!url) throw new Error('moto_server not started: run tests through jest (globalSetup)');
  return url;
}

export function adminPgUrl(): string {
  const url = process.env.TRIBUTARY_TEST_PG_URL;
  if (!url) throw new Error('PostgreSQL not started: run tests through jest (globalSetup)');
  return url;
}

/** Credentials moto accepts; set before any SDK client is built. */
export function useMotoCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'eu-west-2';
  delete process.env.AWS_PROFILE;
}

/** Creates a fresh database on the test server and returns its URL. */
export async function createDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = new Client({ connectionString: adminPgUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminPgUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`.toLowerCase();
}
