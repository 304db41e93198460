import { UsageError } from '../config/urls';
import { RunInProgressError } from '../state/run-lock';
import { redactSecrets } from './redaction';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { explainAwsError } from '../config/aws-credentials';
import { didYouMean } from '../contract/closest';
import type { CliIo } from './commands';
import { commandHelp, type CommandSpec } from './options';
import { ALERT, CLEAN, DOCS, isRecurly, LOGS, RECONCILE, RECURLY_RUN, REEXTRACT, RUN, SEED, STATUS } from './specs';

const HELP = `tributary — run Tributary's pipelines on this machine

Usage: tributary <command> [options]      tributary <command> --help shows the command's options

Commands:
  run         one extract → transform → load pass (--pipeline recurly: REST → Snowflake)
  seed        create and load the totesys source schema (bundled real data or generated)
  status      watermarks, the last runs (outcome, timings, rows, error), warehouse row counts
  reconcile   compare source and warehouse; repair rows that changed without last_updated changing
  logs        a deployed stack's runs, steps and errors from CloudWatch Logs
  alert test  send a test alert through a deployed stack's alerting path to Slack
  clean       remove ./.tributary and the embedded server's data
  reextract   recover from a damaged raw object: undo that extract run so the next run reads it again
  docs        the run history and data-docs site (--out <dir> or --serve)

Every omitted option means the embedded default: an embedded PostgreSQL server under
./.tributary holding a seeded totesys source and a warehouse database, and ./.tributary/lake.
Environment: TRIBUTARY_SOURCE_URL, TRIBUTARY_LAKE, TRIBUTARY_WAREHOUSE_URL, TRIBUTARY_S3_ENDPOINT.
Exit codes: 0 success, 1 run failed, 2 bad usage or config (reconcile --dry-run: 3 differences found).
tributary --version prints the version.`;

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
  reextract: () => (require('./reextract') as typeof import('./reextract')).reextractCommand,
  docs: () => (require('./docs-command') as typeof import('./docs-command')).docsCommand,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Each command's `--help` (given the rest of its arguments), from the declared options alone. */
const HELPS: Record<string, (argv: string[]) => CommandSpec> = {
  run: (argv) => (isRecurly(argv) ? RECURLY_RUN : RUN),
  seed: () => SEED,
  status: () => STATUS,
  reconcile: () => RECONCILE,
  logs: () => LOGS,
  alert: () => ALERT,
  clean: () => CLEAN,
  reextract: () => REEXTRACT,
  docs: () => DOCS,
};

/** The version in package.json, read at call time (the CLI runs from source through tsx). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

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
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`tributary ${version()}`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' && rest[0] && Object.hasOwn(HELPS, rest[0]) ? HELPS[rest[0]] : undefined;
    io.out(topic ? commandHelp(topic(rest.slice(1))) : HELP);
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.err(`tributary: unknown command ${JSON.stringify(name)}${didYouMean(name, Object.keys(COMMANDS))}; \`tributary --help\` lists the commands`);
    return 2;
  }
  // `--` ends the options: a value after it that reads "--help" is not a request for help.
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.includes('--help') || options.includes('-h')) {
    io.out(commandHelp(HELPS[name](rest)));
    return 0;
  }
  try {
    const command = load();
    return await command(rest, io);
  } catch (err) {
    const message = redactSecrets(explainAwsError(err, io.env).message, io.env).split('\n')[0];
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
