import { parseArgs } from 'node:util';
import { UsageError } from '../config/urls';
import { optionalString } from '../config/options';
import { didYouMean } from '../contract/closest';

export { optionalString };

/** One command-line option, declared once: parsing, validation and `--help` all read it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Placeholder shown in help, e.g. `<postgres-url>`. */
  value?: string;
  /** One line for `--help`. */
  help: string;
  /** Checks a given value at parse time; returns what is wrong (the option is named by the caller). */
  check?: (value: string) => string | undefined;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface CommandSpec {
  /** As typed after `tributary`, e.g. `run` or `run --pipeline recurly`. */
  name: string;
  /** One line: what the command does. */
  summary: string;
  options: OptionSpecs;
  /** Positional words the command takes (e.g. `alert test`); none by default. */
  positionals?: string[];
  /** Paragraphs printed after the options: environment variables, exit codes. */
  notes?: string[];
}

export type ParsedValues = Record<string, string | boolean | undefined>;

/** Exit codes every command shares (DESIGN.md); commands add their own in `notes`. */
export const EXIT_CODES_NOTE = 'Exit codes: 0 success, 1 failed, 2 bad usage or config.';

/**
 * A value that starts with `-` but is a number (`--chunk-rows -5`) is joined to its option so
 * the validator can say what is allowed; parseArgs alone calls it "ambiguous".
 */
function joinNegativeNumbers(argv: string[], options: OptionSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : undefined;
    const next = argv[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

function commandLine(spec: CommandSpec): string {
  return `tributary ${spec.name}`;
}

/** Parses and validates a command's options; every problem is a UsageError naming the option. */
export function parseCommand(spec: CommandSpec, argv: string[]): { values: ParsedValues; positionals: string[] } {
  const names = Object.keys(spec.options);
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeNumbers(argv, spec.options),
      options: Object.fromEntries(Object.entries(spec.options).map(([name, o]) => [name, { type: o.type }])),
      strict: true,
      allowPositionals: (spec.positionals?.length ?? 0) > 0,
    });
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
    if (unknown) {
      const hint = didYouMean(unknown.replace(/^-+/, ''), names, (n) => `--${n}`);
      throw new UsageError(`unknown option ${unknown}${hint}; \`${commandLine(spec)} --help\` lists the options`);
    }
    const missingValue = /^Option '--([\w-]+)[^']*' argument missing/.exec(message)?.[1];
    if (missingValue) throw new UsageError(`--${missingValue}: needs a value (${spec.options[missingValue]?.value ?? 'a value'})`);
    const ambiguous = /^Option '--([\w-]+)[^']*' argument is ambiguous/.exec(message)?.[1];
    if (ambiguous) throw new UsageError(`--${ambiguous}: needs a value (${spec.options[ambiguous]?.value ?? 'a value'}); to give one starting with "-" write --${ambiguous}=<value>`);
    const positional = /^Unexpected argument '([^']*)'/.exec(message)?.[1];
    if (positional !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(positional)}; \`${commandLine(spec)} --help\` lists the options`);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const values = parsed.values as ParsedValues;
  for (const [name, value] of Object.entries(values)) {
    const problem = typeof value === 'string' ? spec.options[name]?.check?.(value) : undefined;
    if (problem) throw new UsageError(`--${name}: ${problem}`);
  }
  return { values, positionals: parsed.positionals };
}

/** `tributary <command> --help`: usage line, every option with its help, then the notes. */
export function commandHelp(spec: CommandSpec): string {
  const flags = Object.entries(spec.options).map(([name, o]) => (o.type === 'boolean' ? `--${name}` : `--${name} ${o.value ?? '<value>'}`));
  const width = Math.max(...flags.map((f) => f.length), 0);
  const lines = [
    `${commandLine(spec)}${spec.positionals?.length ? ` ${spec.positionals.join(' ')}` : ''} [options]`,
    '',
    spec.summary,
    '',
    'Options:',
    ...Object.values(spec.options).map((o, i) => `  ${flags[i].padEnd(width)}  ${o.help}`),
    `  ${'--help'.padEnd(width)}  this help`,
  ];
  for (const note of spec.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

/** `check` for a whole number ≥ 1 (underscores allowed: 1_000_000). */
export function positiveWholeNumber(what: string): (value: string) => string | undefined {
  return (value) => (parsePositiveWholeNumber(value) === undefined ? `expected a whole number of ${what}, 1 or more (e.g. 1_000_000), got ${JSON.stringify(value)}` : undefined);
}

export function parsePositiveWholeNumber(value: string): number | undefined {
  if (!/^\d[\d_]*$/.test(value.trim())) return undefined;
  const n = Number(value.trim().replace(/_/g, ''));
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/** A validated positive whole number option, or undefined when absent. */
export function optionalWholeNumber(value: string | boolean | undefined): number | undefined {
  const text = optionalString(value);
  return text === undefined ? undefined : parsePositiveWholeNumber(text);
}
