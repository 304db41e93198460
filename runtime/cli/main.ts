import { UsageError } from '../config/urls';
import { RunInProgressError } from '../state/run-lock';
import { redactSecrets } from './redaction';
import type { CliIo } from './commands';

const HELP = `tributary — run the Tributary pipeline on this machine

Usage:
  tributary run    [--source <postgres-url>] [--lake <dir | s3://bucket/prefix>] [--s3-endpoint <url>]
                   [--warehouse <postgres-url>] [--lookback <interval>]
                   [--chunk-rows <rows>] [--concurrency <chunks>]   (initial loads of large tables)
  tributary run --pipeline recurly …   (see docs/recurly-snowflake.md)
  tributary seed   --source <postgres-url> [--data <dir of CSVs> | --generate <sales orders>] [--reset]
  tributary status [--lake …] [--s3-endpoint <url>] [--warehouse <postgres-url>] [--json]
  tributary reconcile [--source …] [--warehouse …] [--lake …] [--dry-run] [--chunk-size <ids>]
  tributary docs   (--out <dir> | --serve [--port <n>]) [--lake …] [--warehouse <postgres-url>] [--sla-minutes <n>]
  tributary logs   --stack <name> [--run <id>] [--since <duration>]
  tributary alert test --stack <name>
  tributary clean  [--home <dir>]   remove ./.tributary and the embedded server's data

Every omitted option means the embedded default: an embedded PostgreSQL server under
./.tributary holding a seeded totesys source and a warehouse database, and ./.tributary/lake.
Environment: TRIBUTARY_SOURCE_URL, TRIBUTARY_LAKE, TRIBUTARY_WAREHOUSE_URL, TRIBUTARY_S3_ENDPOINT.
Exit codes: 0 success, 1 run failed, 2 bad usage or config.`;

type Command = (argv: string[], io: CliIo) => Promise<number>;

/**
 * Each command's module is loaded only when that command runs: the AWS SDK clients, DuckDB,
 * pg and snowflake-sdk cost ~1 s to load, and `tributary --help` needs none of them.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a require inside a function is what loads a module on first use in CommonJS (esbuild keeps it lazy in the compiled CLI) */
const COMMANDS: Record<string, () => Command> = {
  run: () => (require('./commands') as typeof import('./commands')).runCommand,
  seed: () => (require('./commands') as typeof import('./commands')).seedCommand,
  status: () => (require('./commands') as typeof import('./commands')).statusCommand,
  reconcile: () => (require('./commands') as typeof import('./commands')).reconcileCommand,
  logs: () => (require('./logs') as typeof import('./logs')).runLogsCommand,
  alert: () => (require('./alert') as typeof import('./alert')).runAlertCommand,
  clean: () => (require('./clean') as typeof import('./clean')).cleanCommand,
  docs: () => (require('./docs-command') as typeof import('./docs-command')).docsCommand,
};
/* eslint-enable @typescript-eslint/no-require-imports */

export function defaultIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(text.startsWith('\r') ? text : `${text}\n`),
    interactive: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}

/** Runs the CLI and returns its exit code; errors become one redacted line. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(HELP);
    return 0;
  }
  if (!load) {
    io.err(`tributary: unknown command ${JSON.stringify(name)}\n\n${HELP}`);
    return 2;
  }
  try {
    const command = load();
    return await command(rest, io);
  } catch (err) {
    const message = redactSecrets(err instanceof Error ? err.message : String(err), io.env).split('\n')[0];
    if (err instanceof UsageError) {
      io.err(`tributary ${name}: ${message}`);
      return 2;
    }
    if (err instanceof RunInProgressError) {
      io.err(`tributary ${name}: ${message}`);
      return 0;
    }
    io.err(`tributary ${name}: ${message}`);
    return 1;
  }
}
