import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../config/urls';
import { openLake } from '../lake/open';
import { runRecurlyPipeline, type RecurlyPipelineSummary, type WarehouseTarget } from '../pipeline/recurly';
import { getApiKeySecret } from '../sources/rest/credentials';
import { RECURLY_API_URL } from '../sources/rest/recurly';
import { registerSecret } from '../telemetry/redact';
import { getSnowflakeSecret, parseSnowflakeUrl } from '../warehouse/snowflake/config';
import type { CliIo } from './commands';
import { bytes, seconds, table } from './format';
import { LOCAL_HOME } from './local-env';

function parse(argv: string[], options: ParseArgsConfig['options']): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

function opt(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

async function apiKeyFrom(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): Promise<string> {
  const secretId = opt(values['api-key-secret']) ?? env.TRIBUTARY_RECURLY_API_KEY_SECRET;
  if (secretId) return getApiKeySecret(secretId);
  const key = env.TRIBUTARY_RECURLY_API_KEY;
  if (!key) throw new UsageError('recurly: give --api-key-secret <secret id> or set TRIBUTARY_RECURLY_API_KEY');
  registerSecret(key);
  return key;
}

async function warehouseFrom(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): Promise<WarehouseTarget> {
  const secretId = opt(values['warehouse-secret']) ?? env.TRIBUTARY_SNOWFLAKE_SECRET;
  if (secretId) return { kind: 'snowflake', config: await getSnowflakeSecret(secretId) };
  const url = opt(values.warehouse) ?? env.TRIBUTARY_WAREHOUSE_URL;
  if (!url) throw new UsageError('recurly: give --warehouse snowflake://… (or postgres://…) or --warehouse-secret <secret id>');
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  try {
    return { kind: 'snowflake', config: parseSnowflakeUrl(url) };
  } catch (err) {
    throw new UsageError(`--warehouse: ${(err as Error).message}`);
  }
}

function printSummary(summary: RecurlyPipelineSummary, io: CliIo): void {
  io.out(`run ${summary.runId}`);
  io.out('');
  io.out(
    table(
      ['endpoint', 'records extracted', 'raw size', 'watermark', 'status'],
      Object.entries(summary.extract.manifest.tables).map(([name, t]) => [
        name,
        t.rows,
        t.objects.length ? bytes(t.objects.reduce((a, o) => a + o.bytes, 0)) : '-',
        t.watermark.to ?? '-',
        t.error ? 'STOPPED' : t.drift ? `new fields: ${t.drift.added.join(', ')}` : 'ok',
      ]),
    ),
  );
  const rows = summary.loads.flatMap((l) => l.tables.map((t) => [t.table, t.staged, t.applied] as [string, number, number]));
  io.out('');
  io.out(rows.length ? table(['warehouse table', 'rows in run', 'new versions'], rows) : 'warehouse: nothing new to load');
  for (const f of summary.failedTables) io.err(`table stopped: ${f.error}`);
  const t = summary.timingsMs;
  io.out(`timings: extract ${seconds(t.extract)}, transform ${seconds(t.transform)}, load ${seconds(t.load)}, total ${seconds(t.total)}`);
}

/** `tributary run --pipeline recurly …`: the Recurly → lake → Snowflake pipeline. */
export async function recurlyRunCommand(argv: string[], io: CliIo): Promise<number> {
  const values = parse(argv, {
    pipeline: { type: 'string' },
    'api-url': { type: 'string' },
    'api-key-secret': { type: 'string' },
    endpoints: { type: 'string' },
    lake: { type: 'string' },
    's3-endpoint': { type: 'string' },
    warehouse: { type: 'string' },
    'warehouse-secret': { type: 'string' },
  });
  const location = opt(values.lake) ?? io.env.TRIBUTARY_LAKE ?? `${LOCAL_HOME}/lake`;
  let lake;
  try {
    lake = openLake(location.startsWith('s3://') ? location : resolve(location), opt(values['s3-endpoint']) ?? io.env.TRIBUTARY_S3_ENDPOINT);
  } catch (err) {
    throw new UsageError(`--lake: ${(err as Error).message.replace(/^lake: /, '')}`);
  }
  const apiUrl = opt(values['api-url']) ?? io.env.TRIBUTARY_RECURLY_API_URL ?? RECURLY_API_URL;
  if (!/^https?:\/\//.test(apiUrl)) throw new UsageError(`--api-url: expected an http(s) URL`);
  const endpoints = opt(values.endpoints)?.split(',').map((e) => e.trim()).filter(Boolean);
  const warehouse = await warehouseFrom(values, io.env);
  const apiKey = await apiKeyFrom(values, io.env);
  let summary: RecurlyPipelineSummary;
  try {
    summary = await runRecurlyPipeline({
      apiKey,
      apiUrl,
      lake,
      warehouse,
      endpoints,
      onStep: (step) => {
        if (io.interactive) io.err(`\r\x1b[K${step}…`);
      },
    });
  } catch (err) {
    if (/unknown Recurly endpoint/.test((err as Error).message)) throw new UsageError(`--endpoints: ${(err as Error).message}`);
    throw err;
  }
  if (io.interactive) io.err('\r\x1b[K');
  printSummary(summary, io);
  return summary.failedTables.length ? 1 : 0;
}
