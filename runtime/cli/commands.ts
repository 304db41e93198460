import { parsePostgresUrl, UsageError } from '../config/urls';
import { sourceAdapter, warehouseAdapter } from '../pipeline/registry';
import { reconcile, type ReconcileReport } from '../pipeline/reconcile';
import { runPipeline, type PipelineRunSummary } from '../pipeline/run';
import { seedTotesys } from '../sources/postgres/seed';
import { readState, type TableState } from '../state/watermarks';
import { explainAwsError } from '../config/aws-credentials';
import { newRunId } from '../lake/keys';
import { lastRunRecords } from '../state/run-history';
import { updateRunRecord } from '../state/run-record';
import { RunInProgressError } from '../state/run-lock';
import { bytes, seconds, table } from './format';
import { RunProgress } from './progress';
import { redactSecrets } from './redaction';
import { LocalServices } from './local-env';
import { optionalString, optionalWholeNumber, parseCommand } from './options';
import { lakeFrom, namedWarehouse, pipelineNamed, targetsFrom, warehouseFrom } from './pipeline-options';
import { EXIT_DIFFERENCES, reconcileSpec, runSpec, SEED, statusSpec } from './specs';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal: progress is shown. */
  interactive: boolean;
  env: NodeJS.ProcessEnv;
}

/** What drifted, by name: `new columns: a, b; dropped: c; retyped: d`. */
export function driftText(drift: { added: string[]; removed: string[]; retyped: string[] }): string {
  const parts = [
    drift.added.length ? `new columns: ${drift.added.join(', ')}` : '',
    drift.removed.length ? `dropped: ${drift.removed.join(', ')}` : '',
    drift.retyped.length ? `retyped: ${drift.retyped.join(', ')}` : '',
  ].filter(Boolean);
  return `drift: ${parts.join('; ') || 'schema changed'}`;
}

/** What "rows applied" means for each kind of warehouse table. */
const APPLIED_AS: Record<string, string> = { fact: 'facts appended', dimension: 'dims upserted', table: 'new versions', quarantine: 'quarantined' };

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
      Object.entries(extracted).map(([name, t]) => [name, t.rows, t.objects.length ? bytes(t.objects.reduce((a, o) => a + o.bytes, 0)) : '-', t.error ? 'STOPPED' : t.drift ? driftText(t.drift) : 'ok']),
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
        ['warehouse table', 'rows in run', 'rows applied', 'as'],
        [...applied.entries()].map(([name, t]) => [name, t.staged, t.applied, APPLIED_AS[t.kind] ?? t.kind]),
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

/** `tributary run [--pipeline <name>] …`: one pass of any pipeline, the kind's own options beside the common ones. */
export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const pipeline = pipelineNamed(argv);
  const { values } = parseCommand(runSpec(pipeline.kind), argv);
  const lineageUrl = optionalString(values['openlineage-url']) ?? io.env.TRIBUTARY_OPENLINEAGE_URL;
  if (lineageUrl && !/^https?:\/\//.test(lineageUrl)) throw new UsageError(`--openlineage-url: expected an http(s) URL, got ${JSON.stringify(redactSecrets(lineageUrl, io.env))}`);
  const local = new LocalServices();
  try {
    const targets = await targetsFrom(pipeline.kind, pipeline.name, values, io.env, local);
    const progress = new RunProgress(io, io.interactive && values.json !== true);
    const startedAt = new Date();
    const runId = newRunId(startedAt);
    let summary: PipelineRunSummary;
    try {
      summary = await runPipeline({ ...targets, runId, lineageUrl, onStep: (step) => progress.step(step), onProgress: (name, n) => progress.amount(name, n, pipeline.kind === 'rest' ? 'records' : 'bytes') });
    } catch (err) {
      progress.done();
      if (!(err instanceof RunInProgressError)) {
        const error = redactSecrets(explainAwsError(err, io.env).message, io.env).split('\n')[0];
        // The run observer wrote the record if the run got past its checks; a run stopped before has none yet.
        const finishedAt = new Date().toISOString();
        await updateRunRecord(
          targets.lake,
          pipeline.name,
          runId,
          (r) => Object.assign(r, { status: 'failed', error, finishedAt: r.finishedAt ?? finishedAt }),
          () => ({ startedAt: startedAt.toISOString(), status: 'failed', steps: [] }),
        ).catch(() => undefined);
      }
      throw err;
    }
    progress.done();
    const problems = [...summary.failedTables.map((f) => f.error), ...summary.dataTests.filter((d) => d.failures > 0).map((t) => `data test failed: ${t.table} ${t.name}: ${t.failures} row(s)`)];
    const code = problems.length ? 1 : 0;
    const applied = summary.loads.flatMap((l) => l.tables);
    await updateRunRecord(
      targets.lake,
      pipeline.name,
      summary.runId,
      (r) =>
        Object.assign(r, {
          timingsMs: summary.timingsMs,
          rowsExtracted: Object.values(summary.extract.manifest.tables).reduce((n, t) => n + t.rows, 0),
          rowsLoaded: applied.reduce((n, t) => n + t.applied, 0),
          ...(problems.length ? { problems: problems.map((p) => redactSecrets(p, io.env).split('\n')[0]) } : {}),
        }),
      () => ({ startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), status: 'succeeded', steps: [] }),
    );
    if (values.json) io.out(JSON.stringify({ exitCode: code, ...summary }, null, 2));
    else printRunSummary(summary, io);
    return code;
  } finally {
    await local.stop();
  }
}

export async function seedCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(SEED, argv);
  const data = optionalString(values.data);
  const generate = optionalWholeNumber(values.generate);
  if (data && generate !== undefined) throw new UsageError('--data and --generate cannot be used together');
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
  const pipeline = pipelineNamed(argv);
  const { values } = parseCommand(statusSpec(), argv);
  const lake = lakeFrom(values, io.env);
  const source = sourceAdapter(pipeline.kind);
  namedWarehouse(values, io.env);
  const watermarks: Record<string, { watermark: string | null; runId: string } | null> = {};
  for (const t of source.tables) {
    const state = await readState<TableState>(lake, pipeline.name, t);
    watermarks[t] = state ? { watermark: state.value.watermark, runId: state.value.runId } : null;
  }
  const local = new LocalServices();
  try {
    const settings = await warehouseFrom(values, io.env, local, { name: pipeline.name, embedded: source.embeddedWarehouse });
    const warehouse = await warehouseAdapter(settings.kind).open(settings, source.model);
    try {
      await warehouse.ensureSchema();
      const runs = await warehouse.lastRuns(10);
      const counts = await warehouse.rowCounts();
      const history = await lastRunRecords(lake, pipeline.name, 10);
      if (values.json) {
        io.out(JSON.stringify({ lake: lake.location, watermarks, history, runs, rowCounts: counts }, null, 2));
        return 0;
      }
      io.out(`lake: ${lake.location}`);
      io.out(table(['source table', 'watermark', 'last run'], Object.entries(watermarks).map(([t, w]) => [t, w?.watermark ?? '(never extracted)', w?.runId ?? '-'])));
      io.out('');
      io.out(
        history.length
          ? table(
              ['run', 'outcome', 'started', 'took', 'rows extracted', 'rows loaded', 'error'],
              history.map((r) => [r.runId, r.outcome === 'failed' ? 'FAILED' : r.outcome === 'running' ? 'running' : 'ok', r.startedAt, r.timingsMs ? seconds(r.timingsMs.total) : r.finishedAt ? seconds(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : '-', r.rowsExtracted ?? '-', r.rowsLoaded ?? '-', r.error ?? '']),
            )
          : 'no runs recorded in this lake yet',
      );
      if (history[0]?.outcome === 'failed') io.out(`last run FAILED: ${history[0].error ?? 'see above'}`);
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

function printReconcileReport(report: ReconcileReport, dryRun: boolean, differing: boolean, io: CliIo): void {
  const ids = (list: number[]) => `ids ${list.slice(0, 20).join(', ')}${list.length > 20 ? ', …' : ''}`;
  io.out(
    table(
      ['source table', 'source rows', 'warehouse rows', 'chunks differing', 'changed', 'missing', 'extra'],
      report.tables.map((t) => [t.table, t.sourceRows, t.warehouseRows, `${t.differingChunks}/${t.chunks}`, t.changed.length, t.missing.length, t.extra.length]),
    ),
  );
  for (const t of report.tables) {
    if (t.changed.length) io.out(`${t.table}: changed without last_updated changing: ${ids(t.changed)}`);
    if (t.missing.length && dryRun) io.out(`${t.table}: in the source but not in the warehouse: ${ids(t.missing)}`);
    if (t.extra.length) io.out(`${t.table}: in the warehouse but no longer in the source (left as is): ${ids(t.extra)}`);
  }
  const fixed = report.repaired.flatMap((r) => r.tables).reduce((n, t) => n + t.applied, 0);
  if (report.runId) io.out(`repaired in reconcile run ${report.runId}: ${fixed} warehouse row(s) corrected or added`);
  else if (!differing) io.out('source and warehouse agree');
  else if (dryRun) io.out(`dry run: nothing repaired; exit ${EXIT_DIFFERENCES} (differences found)`);
}

export async function reconcileCommand(argv: string[], io: CliIo): Promise<number> {
  const pipeline = pipelineNamed(argv);
  const { values } = parseCommand(reconcileSpec(pipeline.kind), argv);
  const chunkSize = optionalWholeNumber(values['chunk-size']);
  const lineageUrl = optionalString(values['openlineage-url']) ?? io.env.TRIBUTARY_OPENLINEAGE_URL;
  if (lineageUrl && !/^https?:\/\//.test(lineageUrl)) throw new UsageError(`--openlineage-url: expected an http(s) URL, got ${JSON.stringify(redactSecrets(lineageUrl, io.env))}`);
  const local = new LocalServices();
  try {
    const targets = await targetsFrom(pipeline.kind, pipeline.name, values, io.env, local);
    const dryRun = values['dry-run'] === true;
    const report = await reconcile({ ...targets, repair: !dryRun, chunkSize });
    const differing = report.tables.some((t) => t.changed.length || t.missing.length || t.extra.length);
    const code = dryRun && differing ? EXIT_DIFFERENCES : 0;
    if (values.json) io.out(JSON.stringify({ dryRun, differing, exitCode: code, ...report }, null, 2));
    else printReconcileReport(report, dryRun, differing, io);
    return code;
  } finally {
    await local.stop();
  }
}
