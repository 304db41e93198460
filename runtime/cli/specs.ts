import { intervalProblem } from '../config/interval';
import type { SourceKind } from '../contract';
import { EXIT_CODES_NOTE, positiveWholeNumber, type CommandSpec, type OptionSpecs } from './options';

/**
 * Every command's options, declared once: parsing, validation and each command's `--help` read
 * them (runtime/cli/options.ts). Light to import: `--help` loads no SDK. A source kind's own
 * options (runtime/sources/<kind>/kind.ts `cliOptions`) are declared here with their help;
 * tests/integration/cli-bad-input.test.ts checks none is missing.
 */

const DEFAULTS_NOTE =
  'Every omitted option means the embedded default: an embedded PostgreSQL server under ./.tributary holding a seeded totesys source and a warehouse database, and the lake ./.tributary/lake.';

const LAKE: OptionSpecs = {
  lake: { type: 'string', value: '<dir | s3://bucket/prefix>', help: 'the lake: a local folder or an S3 location (env TRIBUTARY_LAKE; default ./.tributary/lake)' },
  's3-endpoint': { type: 'string', value: '<url>', help: 'S3-compatible endpoint for an s3:// lake, e.g. MinIO or moto (env TRIBUTARY_S3_ENDPOINT)' },
};
const SOURCE = { type: 'string', value: '<postgres-url>', help: 'the totesys source database (env TRIBUTARY_SOURCE_URL; default: embedded)' } as const;
const WAREHOUSE = { type: 'string', value: '<postgres-url | snowflake://…>', help: 'the warehouse (env TRIBUTARY_WAREHOUSE_URL; default: embedded PostgreSQL)' } as const;
const WAREHOUSE_SECRET = { type: 'string', value: '<secret id>', help: 'Secrets Manager secret with the Snowflake settings (env TRIBUTARY_SNOWFLAKE_SECRET)' } as const;
/** Options a warehouse kind adds (runtime/warehouse/<kind>/kind.ts `cliOptions`). */
const WAREHOUSE_KIND_OPTIONS: OptionSpecs = {
  'redshift-copy-role': { type: 'string', value: '<role arn>', help: 'Redshift warehouse: the IAM role its COPY reads the processed bucket with' },
};
const PIPELINE = { type: 'string', value: '<name>', help: 'totesys (default) or recurly (`tributary run --pipeline recurly --help`)' } as const;
const OPENLINEAGE_URL = {
  type: 'string',
  value: '<url>',
  help: 'also POST the run\'s OpenLineage events to this endpoint (Marquez-style; /api/v1/lineage is added to a base URL; env TRIBUTARY_OPENLINEAGE_URL)',
} as const;
const JSON_OUTPUT = { type: 'boolean', help: 'print one JSON document on stdout instead of tables (no progress)' } as const;

export const RUN: CommandSpec = {
  name: 'run',
  summary: 'One extract → transform → load pass of the totesys pipeline (source → lake → warehouse).',
  options: {
    source: SOURCE,
    ...LAKE,
    warehouse: WAREHOUSE,
    'warehouse-secret': WAREHOUSE_SECRET,
    ...WAREHOUSE_KIND_OPTIONS,
    lookback: {
      type: 'string',
      value: '<interval>',
      help: 'late-commit look-back below the watermark, e.g. "1 hour" (default), "90 minutes"',
      check: intervalProblem,
    },
    'chunk-rows': {
      type: 'string',
      value: '<rows>',
      help: 'tables with no watermark and more rows than this are backfilled in key-range chunks (default 1_000_000)',
      check: positiveWholeNumber('rows'),
    },
    concurrency: { type: 'string', value: '<chunks>', help: 'backfill chunks extracted at once', check: positiveWholeNumber('chunks') },
    'openlineage-url': OPENLINEAGE_URL,
    pipeline: PIPELINE,
    json: JSON_OUTPUT,
  },
  notes: [DEFAULTS_NOTE, `${EXIT_CODES_NOTE} Another run already in progress: 0, nothing done.`],
};

export const RECURLY_RUN: CommandSpec = {
  name: 'run --pipeline recurly',
  summary: 'One pass of the Recurly (REST) → lake → Snowflake pipeline (docs/recurly-snowflake.md).',
  options: {
    pipeline: { type: 'string', value: 'recurly', help: 'selects this pipeline' },
    'api-url': { type: 'string', value: '<url>', help: 'the Recurly API (env TRIBUTARY_RECURLY_API_URL; default https://v3.recurly.com)' },
    'api-key-secret': {
      type: 'string',
      value: '<secret id>',
      help: 'Secrets Manager secret holding the API key (env TRIBUTARY_RECURLY_API_KEY_SECRET; or the key itself in TRIBUTARY_RECURLY_API_KEY)',
    },
    endpoints: { type: 'string', value: '<a,b,…>', help: 'endpoints to pull: accounts, subscriptions, invoices, transactions (default all)' },
    ...LAKE,
    warehouse: { type: 'string', value: '<snowflake://… | postgres://…>', help: 'the warehouse (env TRIBUTARY_WAREHOUSE_URL; required)' },
    'warehouse-secret': WAREHOUSE_SECRET,
    ...WAREHOUSE_KIND_OPTIONS,
    'openlineage-url': OPENLINEAGE_URL,
    json: JSON_OUTPUT,
  },
  notes: ['Secrets Manager is reached with the standard AWS settings: AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_REGION.', EXIT_CODES_NOTE],
};

export const SEED: CommandSpec = {
  name: 'seed',
  summary: 'Create the totesys schema in a database and load the bundled real extract, a folder of CSVs, or generated data.',
  options: {
    source: { type: 'string', value: '<postgres-url>', help: 'the database to seed (env TRIBUTARY_SOURCE_URL; required)' },
    data: { type: 'string', value: '<dir of CSVs>', help: 'load these CSVs instead of the bundled extract' },
    generate: { type: 'string', value: '<sales orders>', help: 'generate this many sales orders (and matching rows) instead', check: positiveWholeNumber('sales orders') },
    reset: { type: 'boolean', help: 'drop and recreate the tables when they already hold data' },
  },
  notes: [EXIT_CODES_NOTE],
};

export const STATUS: CommandSpec = {
  name: 'status',
  summary: 'Watermarks, the last runs (outcome, timings, rows, error) and row counts per warehouse table.',
  options: { pipeline: PIPELINE, ...LAKE, warehouse: WAREHOUSE, 'warehouse-secret': WAREHOUSE_SECRET, ...WAREHOUSE_KIND_OPTIONS, json: JSON_OUTPUT },
  notes: [EXIT_CODES_NOTE],
};

const { json: _json, ...RUN_ONLY } = RUN.options;

export const RECONCILE: CommandSpec = {
  name: 'reconcile',
  summary: 'Compare source and warehouse (chunk hashes, narrowed to rows) and repair rows that changed without last_updated changing.',
  options: {
    ...RUN_ONLY,
    'dry-run': { type: 'boolean', help: 'report the differences, repair nothing' },
    'chunk-size': { type: 'string', value: '<ids>', help: 'ids per compared chunk', check: positiveWholeNumber('ids') },
    json: JSON_OUTPUT,
  },
  notes: [DEFAULTS_NOTE, `${EXIT_CODES_NOTE} With --dry-run: 3 when differences were found (nothing repaired), so a scheduler can alert on it.`],
};

/** `reconcile --dry-run` found differences. */
export const EXIT_DIFFERENCES = 3;

/** `run`'s options for a pipeline of this source kind. */
export function runSpec(kind: SourceKind): CommandSpec {
  return kind === 'rest' ? RECURLY_RUN : RUN;
}

export function reconcileSpec(kind: SourceKind): CommandSpec {
  return kind === 'rest' ? { ...RECONCILE, options: { ...RECURLY_RUN.options, ...RECONCILE.options } } : RECONCILE;
}

export function statusSpec(): CommandSpec {
  return STATUS;
}

/** True when `run`'s arguments pick the recurly pipeline, whose options differ. */
export function isRecurly(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--pipeline=recurly' || (a === '--pipeline' && argv[i + 1] === 'recurly'));
}

export const LOGS: CommandSpec = {
  name: 'logs',
  summary: "A deployed stack's runs, their steps and errors, read from CloudWatch Logs.",
  options: {
    stack: { type: 'string', value: '<name>', help: 'the stack (required), e.g. dev' },
    run: { type: 'string', value: '<id>', help: 'only this run' },
    since: { type: 'string', value: '<duration | ISO time>', help: 'how far back: 30s, 45m, 6h, 2d or an ISO timestamp (default 24h)' },
    'log-group-prefix': { type: 'string', value: '<prefix>', help: 'default /aws/lambda/tributary-<stack>-' },
    region: { type: 'string', value: '<region>', help: 'default AWS_REGION, AWS_DEFAULT_REGION, then eu-west-2' },
    'endpoint-url': { type: 'string', value: '<url>', help: 'CloudWatch Logs endpoint (env AWS_ENDPOINT_URL), e.g. moto' },
  },
  notes: [
    'Credentials: the standard AWS settings (AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, SSO, instance role).',
    'Exit codes: 0 success, 1 no logs found or AWS failed, 2 bad usage.',
  ],
};

export const ALERT: CommandSpec = {
  name: 'alert',
  positionals: ['test'],
  summary:
    "Publishes a test alert to the stack's alerting topic (default tributary-<stack>-alerts), exercising the whole path SNS → notifier → Slack; --direct posts to Slack from here instead.",
  options: {
    stack: { type: 'string', value: '<name>', help: 'the stack (required), e.g. dev' },
    'topic-arn': { type: 'string', value: '<arn>', help: 'the topic, when not found by name' },
    'topic-name': { type: 'string', value: '<name>', help: 'default tributary-<stack>-alerts' },
    pipeline: { type: 'string', value: '<name>', help: 'pipeline named in the alert' },
    message: { type: 'string', value: '<text>', help: 'text of the alert (default: who sent it and when)' },
    region: { type: 'string', value: '<region>', help: 'default AWS_REGION, AWS_DEFAULT_REGION, then eu-west-2' },
    'endpoint-url': { type: 'string', value: '<url>', help: 'SNS / Secrets Manager endpoint (env AWS_ENDPOINT_URL), e.g. moto' },
    direct: { type: 'boolean', help: 'post to Slack from here (needs --slack-secret-arn and --channel)' },
    'slack-secret-arn': { type: 'string', value: '<arn>', help: 'with --direct: the Secrets Manager secret holding the Slack bot token' },
    channel: { type: 'string', value: '<channel>', help: 'with --direct: the Slack channel' },
    'slack-api-url': { type: 'string', value: '<url>', help: 'with --direct: Slack API base URL (tests)' },
  },
  notes: [
    'Credentials: the standard AWS settings (AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, SSO, instance role).',
    'Exit codes: 0 sent, 1 topic missing or AWS/Slack failed, 2 bad usage.',
  ],
};

export const CLEAN: CommandSpec = {
  name: 'clean',
  summary:
    "Removes what the embedded defaults made: the local folder (default ./.tributary: lake, embedded PostgreSQL data, generated password) and, when run as root from a private folder, the server's home outside the clone (recorded in <home>/pg.home, a folder named tributary-pg-* in /tmp). Stop any running tributary command first.",
  options: { home: { type: 'string', value: '<dir>', help: 'the local folder to remove (default ./.tributary)' } },
  notes: [EXIT_CODES_NOTE],
};

export const REEXTRACT: CommandSpec = {
  name: 'reextract',
  summary:
    'Recovery for a damaged raw object (a run that stops with "… does not match manifests/extract/<run>.json"): undoes that extract run and every later one the transform has not consumed, moving their tables\' watermarks back, so the next `tributary run` extracts the range again. Only the lake is touched; the raw objects stay (ignored without a manifest).',
  options: {
    run: { type: 'string', value: '<run id>', help: 'the extract run the error names (required)' },
    pipeline: PIPELINE,
    ...LAKE,
  },
  notes: [`${EXIT_CODES_NOTE} A run that is not waiting to be transformed: 2, nothing changed.`],
};

export const DOCS: CommandSpec = {
  name: 'docs',
  summary:
    'Writes the run history and data-docs site (runs, freshness, lineage, data tests; static files that open from disk) with --out, or serves it on 127.0.0.1 with --serve until Ctrl-C. Reads the lake and a PostgreSQL warehouse (embedded defaults when omitted).',
  options: {
    out: { type: 'string', value: '<dir>', help: 'write the site into this folder' },
    serve: { type: 'boolean', help: 'serve the site on 127.0.0.1' },
    port: { type: 'string', value: '<n>', help: 'with --serve: the port (default 8765)' },
    'sla-minutes': { type: 'string', value: '<n>', help: 'freshness SLA shown against each table (default 30)' },
    warehouse: { type: 'string', value: '<postgres-url>', help: 'the warehouse (env TRIBUTARY_WAREHOUSE_URL; default: embedded PostgreSQL)' },
    ...LAKE,
  },
  notes: [EXIT_CODES_NOTE],
};
