import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { parsePostgresUrl, UsageError } from '../config/urls';
import { openLake } from '../lake/open';
import type { ObjectStore } from '../lake/port';
import { runTotesysPipeline, type PipelineRunSummary } from '../pipeline/run';
import { reconcileTotesys } from '../pipeline/reconcile';
import { TOTESYS_STAR } from '../model/totesys/star';
import { seedTotesys } from '../sources/postgres/seed';
import { TOTESYS_TABLES } from '../sources/postgres/tables';
import { readState, type TableState } from '../state/watermarks';
import { PostgresWarehouse } from '../warehouse/postgres/warehouse';
import { bytes, seconds, table } from './format';
import { LOCAL_HOME, startLocalServices } from './local-env';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal: progress is shown. */
  interactive: boolean;
  env: NodeJS.ProcessEnv;
}

export function parse(argv: string[], options: ParseArgsConfig['options']): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

function optionalString(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** A whole number ≥ 1 from an option (underscores allowed: 1_000_000), or undefined when absent. */
function positiveInteger(text: string | undefined, option: string, what: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${option}: expected a positive whole number of ${what}, got ${JSON.stringify(text)}`);
  return value;
}

export function lakeFrom(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): ObjectStore {
  const location = optionalString(values.lake) ?? env.TRIBUTARY_LAKE ?? `${LOCAL_HOME}/lake`;
  const endpoint = optionalString(values['s3-endpoint']) ?? env.TRIBUTARY_S3_ENDPOINT;
  try {
    return openLake(/^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location : resolve(location), endpoint);
  } catch (err) {
    throw new UsageError(`--lake: ${(err as Error).message.replace(/^lake: /, '')}`);
  }
}

const LAKE_OPTIONS = {
  lake: { type: 'string' },
  's3-endpoint': { type: 'string' },
} as const;

function printRunSummary(summary: PipelineRunSummary, io: CliIo): void {
  const extracted = summary.extract.manifest.tables;
  io.out(`run ${summary.runId}`);
  if (summary.backfill) {
    const b = summary.backfill;
    io.out(`backfill ${b.backfillId}: ${b.chunks} chunks (${b.chunksRun} extracted now, ${b.chunksSkipped} already done)`);
  }
  io.out('');
  io.out(
    table(
      ['source table', 'rows extracted', 'raw size', 'status'],
      Object.entries(extracted).map(([name, t]) => [name, t.rows, t.objects.length ? bytes(t.objects.reduce((a, o) => a + o.bytes, 0)) : '-', t.error ? 'STOPPED' : t.drift ? 'drift: new columns' : 'ok']),
    ),
  );
  const applied = new Map<string, { staged: number; applied: number; kind: string }>();
  for (const load of summary.loads) {
    for (const t of load.tables) {
      const prev = applied.get(t.table) ?? { staged: 0, applied: 0, kind: t.kind };
      applied.set(t.table, { staged: prev.staged + t.staged, applied: prev.applied + t.applied, kind: t.kind });
    }
  }
  io.out('');
  if (applied.size) {
    io.out(
      table(
        ['warehouse table', 'rows in run', 'facts appended', 'dims upserted'],
        [...applied.entries()].map(([name, t]) => [name, t.staged, t.kind === 'fact' ? t.applied : '-', t.kind === 'dimension' ? t.applied : '-']),
      ),
    );
  } else {
    io.out('warehouse: nothing new to load');
  }
  const dates = summary.loads.reduce((a, l) => a + l.datesAdded, 0);
  const inferred = summary.loads.reduce((a, l) => a + l.inferred, 0);
  const quarantined = summary.transforms.flatMap((t) => t.manifest.quarantined);
  io.out('');
  io.out(`dim_date rows added: ${dates}; inferred dimension members: ${inferred}; runs loaded: ${summary.loads.filter((l) => l.loaded).length}`);
  for (const q of quarantined) io.out(`quarantined ${q.rows} ${q.table} row(s): ${q.reason}`);
  const unindexed = Object.entries(extracted).filter(([, t]) => t.cursorIndexed === false).map(([name]) => name);
  if (unindexed.length) {
    io.out(`note: no index on the cursor column of ${unindexed.join(', ')}: each run reads these tables whole to find changes (CREATE INDEX ON <table> (last_updated) in the source keeps runs flat)`);
  }
  for (const f of summary.failedTables) io.err(`table stopped: ${f.error}`);
  for (const t of summary.dataTests.filter((d) => d.failures > 0)) io.err(`data test failed: ${t.table} ${t.name}: ${t.failures} row(s)`);
  const t = summary.timingsMs;
  io.out(`timings: extract ${seconds(t.extract)}, transform ${seconds(t.transform)}, load ${seconds(t.load)}, total ${seconds(t.total)}`);
}

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  // The recurly pipeline takes its own options (runtime/cli/recurly-command.ts), and loads
  // snowflake-sdk, which the totesys run never needs.
  if (argv.some((a, i) => a === '--pipeline=recurly' || (a === '--pipeline' && argv[i + 1] === 'recurly'))) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use
    return (require('./recurly-command') as typeof import('./recurly-command')).recurlyRunCommand(argv, io);
  }
  const values = parse(argv, {
    ...LAKE_OPTIONS,
    source: { type: 'string' },
    warehouse: { type: 'string' },
    lookback: { type: 'string' },
    pipeline: { type: 'string' },
    'chunk-rows': { type: 'string' },
    concurrency: { type: 'string' },
  });
  const chunkRows = positiveInteger(optionalString(values['chunk-rows']), '--chunk-rows', 'rows');
  const concurrency = positiveInteger(optionalString(values.concurrency), '--concurrency', 'chunks');
  const pipeline = optionalString(values.pipeline) ?? 'totesys';
  if (pipeline !== 'totesys') throw new UsageError(`--pipeline: unknown pipeline ${JSON.stringify(pipeline)} (known: totesys, recurly)`);
  let sourceUrl = optionalString(values.source) ?? io.env.TRIBUTARY_SOURCE_URL;
  let warehouseUrl = optionalString(values.warehouse) ?? io.env.TRIBUTARY_WAREHOUSE_URL;
  if (sourceUrl) parsePostgresUrl(sourceUrl, '--source');
  if (warehouseUrl) parsePostgresUrl(warehouseUrl, '--warehouse');
  const lake = lakeFrom(values, io.env);
  const local = await startLocalServices(!sourceUrl, !warehouseUrl);
  try {
    sourceUrl ??= local.sourceUrl!;
    warehouseUrl ??= local.warehouseUrl!;
    let lastProgress = 0;
    const summary = await runTotesysPipeline({
      sourceUrl,
      warehouseUrl,
      lake,
      lookback: optionalString(values.lookback),
      chunkRows,
      concurrency,
      onStep: (step) => {
        if (io.interactive) io.err(`\r\x1b[K${step}…`);
      },
      onProgress: (name, n) => {
        if (!io.interactive || Date.now() - lastProgress < 200) return;
        lastProgress = Date.now();
        io.err(`\r\x1b[Kextract ${name}: ${bytes(n)}`);
      },
    });
    if (io.interactive) io.err('\r\x1b[K');
    printRunSummary(summary, io);
    return summary.failedTables.length || summary.dataTests.some((d) => d.failures > 0) ? 1 : 0;
  } finally {
    await local.stop();
  }
}

export async function seedCommand(argv: string[], io: CliIo): Promise<number> {
  const values = parse(argv, {
    source: { type: 'string' },
    data: { type: 'string' },
    generate: { type: 'string' },
    reset: { type: 'boolean' },
  });
  const data = optionalString(values.data);
  const generateText = optionalString(values.generate);
  if (data && generateText) throw new UsageError('--data and --generate cannot be used together');
  const generate = positiveInteger(generateText, '--generate', 'sales orders');
  const sourceUrl = optionalString(values.source) ?? io.env.TRIBUTARY_SOURCE_URL;
  if (!sourceUrl) throw new UsageError('--source: required (a postgres:// URL, or TRIBUTARY_SOURCE_URL)');
  parsePostgresUrl(sourceUrl, '--source');
  const started = Date.now();
  const result = await seedTotesys({ sourceUrl, dataDir: data, generate, reset: values.reset === true });
  io.out(table(['table', 'rows'], Object.entries(result.rows).map(([t, n]) => [t, n])));
  io.out(`seeded in ${seconds(Date.now() - started)}`);
  return 0;
}

export async function statusCommand(argv: string[], io: CliIo): Promise<number> {
  const values = parse(argv, { ...LAKE_OPTIONS, warehouse: { type: 'string' }, json: { type: 'boolean' } });
  let warehouseUrl = optionalString(values.warehouse) ?? io.env.TRIBUTARY_WAREHOUSE_URL;
  if (warehouseUrl) parsePostgresUrl(warehouseUrl, '--warehouse');
  const lake = lakeFrom(values, io.env);
  const watermarks: Record<string, { watermark: string | null; runId: string } | null> = {};
  for (const t of TOTESYS_TABLES) {
    const state = await readState<TableState>(lake, 'totesys', t.name);
    watermarks[t.name] = state ? { watermark: state.value.watermark, runId: state.value.runId } : null;
  }
  const local = await startLocalServices(false, !warehouseUrl);
  try {
    warehouseUrl ??= local.warehouseUrl!;
    const warehouse = await PostgresWarehouse.connect(warehouseUrl, TOTESYS_STAR);
    try {
      await warehouse.ensureSchema();
      const runs = await warehouse.lastRuns(10);
      const counts = await warehouse.rowCounts();
      if (values.json) {
        io.out(JSON.stringify({ lake: lake.location, watermarks, runs, rowCounts: counts }, null, 2));
        return 0;
      }
      io.out(`lake: ${lake.location}`);
      io.out(table(['source table', 'watermark', 'last run'], Object.entries(watermarks).map(([t, w]) => [t, w?.watermark ?? '(never extracted)', w?.runId ?? '-'])));
      io.out('');
      io.out(runs.length ? table(['loaded run', 'source', 'loaded at'], runs.map((r) => [r.runId, r.source, r.loadedAt])) : 'no runs loaded yet');
      io.out('');
      io.out(table(['warehouse table', 'rows'], Object.entries(counts).map(([t, n]) => [t, n])));
      return 0;
    } finally {
      await warehouse.close();
    }
  } finally {
    await local.stop();
  }
}

export async function reconcileCommand(argv: string[], io: CliIo): Promise<number> {
  const values = parse(argv, {
    ...LAKE_OPTIONS,
    source: { type: 'string' },
    warehouse: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'chunk-size': { type: 'string' },
  });
  let sourceUrl = optionalString(values.source) ?? io.env.TRIBUTARY_SOURCE_URL;
  let warehouseUrl = optionalString(values.warehouse) ?? io.env.TRIBUTARY_WAREHOUSE_URL;
  if (sourceUrl) parsePostgresUrl(sourceUrl, '--source');
  if (warehouseUrl) parsePostgresUrl(warehouseUrl, '--warehouse');
  const chunkSize = positiveInteger(optionalString(values['chunk-size']), '--chunk-size', 'ids');
  const lake = lakeFrom(values, io.env);
  const local = await startLocalServices(!sourceUrl, !warehouseUrl);
  try {
    sourceUrl ??= local.sourceUrl!;
    warehouseUrl ??= local.warehouseUrl!;
    const report = await reconcileTotesys({ sourceUrl, warehouseUrl, lake, repair: values['dry-run'] !== true, chunkSize });
    io.out(
      table(
        ['source table', 'source rows', 'warehouse rows', 'chunks differing', 'changed', 'missing', 'extra'],
        report.tables.map((t) => [t.table, t.sourceRows, t.warehouseRows, `${t.differingChunks}/${t.chunks}`, t.changed.length, t.missing.length, t.extra.length]),
      ),
    );
    for (const t of report.tables) {
      if (t.changed.length) io.out(`${t.table}: changed without last_updated changing: ids ${t.changed.slice(0, 20).join(', ')}${t.changed.length > 20 ? ', …' : ''}`);
      if (t.extra.length) io.out(`${t.table}: in the warehouse but no longer in the source (left as is): ids ${t.extra.slice(0, 20).join(', ')}`);
    }
    const fixed = report.repaired.flatMap((r) => r.tables).reduce((n, t) => n + t.applied, 0);
    if (report.runId) io.out(`repaired in reconcile run ${report.runId}: ${fixed} warehouse row(s) corrected or added`);
    else io.out(values['dry-run'] ? 'dry run: nothing repaired' : 'source and warehouse agree');
    return 0;
  } finally {
    await local.stop();
  }
}
