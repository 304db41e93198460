import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CliIo } from './commands';
import { removeRecordedHome } from './embedded-home';
import { LOCAL_HOME } from './local-env';
import { optionalString, parseCommand } from './options';
import { CLEAN } from './specs';


export async function cleanCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(CLEAN, argv);
  const home = resolve(optionalString(values.home) ?? LOCAL_HOME);
  const external = removeRecordedHome(join(home, 'pg.home'));
  if (external) io.out(`removed ${external}`);
  if (existsSync(home)) {
    rmSync(home, { recursive: true, force: true });
    io.out(`removed ${home}`);
  } else if (!external) io.out(`nothing to remove at ${home}`);
  return 0;
}
