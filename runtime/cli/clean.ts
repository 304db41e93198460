import { existsSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { UsageError } from '../config/urls';
import type { CliIo } from './commands';
import { removeRecordedHome } from './embedded-home';
import { LOCAL_HOME } from './local-env';

export const CLEAN_HELP = `Usage: tributary clean [--home <dir>]

Removes what the embedded defaults made: the local folder (default ./.tributary: lake, embedded
PostgreSQL data, generated password) and, when run as root from a private folder, the server's
home outside the clone (recorded in <home>/pg.home, a folder named tributary-pg-* in /tmp).
Stop any running tributary command first.`;

export async function cleanCommand(argv: string[], io: CliIo): Promise<number> {
  let values: { home?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { home: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const home = resolve(values.home ?? LOCAL_HOME);
  const external = removeRecordedHome(join(home, 'pg.home'));
  if (external) io.out(`removed ${external}`);
  if (existsSync(home)) {
    rmSync(home, { recursive: true, force: true });
    io.out(`removed ${home}`);
  } else if (!external) io.out(`nothing to remove at ${home}`);
  return 0;
}
