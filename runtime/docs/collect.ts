import type { Client } from 'pg';
import { listManifestRunIds, readManifest, type ExtractManifest, type TransformManifest } from '../lake/manifest';
import { runIdDate, stateKey } from '../lake/keys';
import type { ObjectStore } from '../lake/port';
import { pipelineLineage, starModelFor, type PipelineLineage } from '../lineage/model-lineage';
import { postgresNamespace } from '../lineage/openlineage';
import { connectPostgres } from '../postgres/connect';
import { readRunRecords, sourcesInLake, type RunRecord } from '../state/run-record';
import { readState, type TableState } from '../state/watermarks';
import type { DataTestResult } from '../warehouse/port';
import { loadHistory, type LoadRecord } from '../warehouse/postgres/history';

export type Outcome = 'succeeded' | 'partial' | 'failed' | 'running' | 'interrupted' | 'not loaded';

export interface TableRows {
  table: string;
  extracted?: number;
  transformed?: number;
  appended?: number;
  upserted?: number;
}

export interface RunView {
  runId: string;
  source: string;
  startedAt: string;
  durationMs?: number;
  outcome: Outcome;
  failedStep?: string;
  error?: string;
  steps: Array<{ step: string; durationMs?: number }>;
  /** Source tables (extracted) first, then the model's tables (transformed, applied). */
  tables: TableRows[];
  quarantined: Array<{ table: string; rows: number; reason: string }>;
  /** Source tables the run stopped (schema drift) while it went on with the others. */
  stopped: Array<{ table: string; error: string }>;
  load?: { loadedAt: string; inferred: number; datesAdded: number };
  /** Rows the run's load step applied, as its run record says (a site built without the warehouse). */
  rowsLoaded?: number;
  /** Problems the run finished with (tables stopped, data tests failed), from its run record. */
  problems?: string[];
  dataTests?: DataTestResult[];
}

export interface FreshnessRow {
  table: string;
  watermark: string | null;
  /** When the table last brought rows (the extract that found them finished). */
  lastRowsAt?: string;
  lastRowsRunId?: string;
  minutesSince?: number;
  fresh: boolean;
}

export interface SourceView {
  source: string;
  runs: RunView[];
  freshness: FreshnessRow[];
  slaMinutes: number;
  lastLoadAt?: string;
  /** The latest data-test results a run recorded. */
  dataTests?: { runId: string; at: string; results: DataTestResult[] };
  lineage?: PipelineLineage;
  rowCounts?: Record<string, number>;
}

export interface SiteData {
  generatedAt: string;
  lake: string;
  warehouse?: string;
  sources: SourceView[];
}

export interface CollectOptions {
  lake: ObjectStore;
  /** PostgreSQL warehouse; without it the site shows what the lake holds. */
  warehouseUrl?: string;
  /** Minutes without new rows after which a source table is stale (the pipeline's freshness SLA). */
  slaMinutes?: number;
  now?: Date;
  /**
   * Only the newest this many runs (manifests and run records) are read, so a build stays
   * bounded however long the history grows (the deployed site); every run when unset.
   */
  maxRuns?: number;
}

export const DEFAULT_SLA_MINUTES = 30;

function span(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}

function outcomeOf(record: RunRecord | undefined, load: LoadRecord | undefined, lockRunId: string | undefined, view: Pick<RunView, 'stopped' | 'dataTests'>): Outcome {
  const problems = view.stopped.length > 0 || (view.dataTests ?? []).some((t) => t.failures > 0) || (record?.problems?.length ?? 0) > 0;
  if (record) {
    if (record.status === 'failed') return 'failed';
    if (record.status === 'running') return lockRunId === record.runId ? 'running' : 'interrupted';
    return problems ? 'partial' : 'succeeded';
  }
  // Runs of the deployed state machine have manifests and a load record but no run record.
  if (!load) return 'not loaded';
  return problems ? 'partial' : 'succeeded';
}

function tableRows(extract: ExtractManifest | undefined, transform: TransformManifest | undefined, load: LoadRecord | undefined, record: RunRecord | undefined): TableRows[] {
  const rows = new Map<string, TableRows>();
  const row = (table: string) => rows.get(table) ?? rows.set(table, { table }).get(table)!;
  for (const [table, t] of Object.entries(extract?.tables ?? {})) row(table).extracted = t.rows;
  for (const [table, t] of Object.entries(transform?.tables ?? {})) row(table).transformed = t.rows;
  for (const t of load?.tables ?? record?.applied ?? []) {
    if (t.kind === 'fact' || t.kind === 'table') row(t.table).appended = t.applied;
    else if (t.kind === 'dimension') row(t.table).upserted = t.applied;
  }
  return [...rows.values()];
}

function runView(
  runId: string,
  source: string,
  parts: { record?: RunRecord; extract?: ExtractManifest; transform?: TransformManifest; load?: LoadRecord; lockRunId?: string },
): RunView {
  const { record, extract, transform, load } = parts;
  const startedAt = record?.startedAt ?? extract?.startedAt ?? runIdDate(runId).toISOString();
  const finishedAt = record?.finishedAt ?? load?.loadedAt ?? transform?.finishedAt ?? extract?.finishedAt;
  const steps = record?.steps.length
    ? record.steps.map((s) => ({ step: s.step, durationMs: s.durationMs }))
    : [
        ...(extract ? [{ step: 'extract', durationMs: span(extract.startedAt, extract.finishedAt) }] : []),
        ...(transform ? [{ step: 'transform', durationMs: span(transform.startedAt, transform.finishedAt) }] : []),
      ];
  const stopped = Object.entries(extract?.tables ?? {})
    .filter(([, t]) => t.error)
    .map(([table, t]) => ({ table, error: t.error! }));
  const view: RunView = {
    runId,
    source,
    startedAt,
    durationMs: finishedAt ? span(startedAt, finishedAt) : undefined,
    outcome: 'not loaded',
    failedStep: record?.failedStep,
    error: record?.error,
    steps,
    tables: tableRows(extract, transform, load, record),
    quarantined: transform?.quarantined ?? [],
    stopped,
    load: load ? { loadedAt: load.loadedAt, inferred: load.inferred, datesAdded: load.datesAdded } : undefined,
    rowsLoaded: record?.rowsLoaded,
    problems: record?.problems,
    dataTests: record?.dataTests,
  };
  view.outcome = outcomeOf(record, load, parts.lockRunId, view);
  return view;
}

async function lockHolder(lake: ObjectStore, source: string): Promise<string | undefined> {
  const text = await lake.getText(stateKey(source, '_lock'));
  try {
    return text ? (JSON.parse(text) as { runId?: string }).runId : undefined;
  } catch {
    return undefined;
  }
}

function freshness(extracts: ExtractManifest[], states: Map<string, TableState | undefined>, slaMinutes: number, now: Date): FreshnessRow[] {
  return [...states.entries()].map(([table, state]) => {
    const last = [...extracts].reverse().find((m) => m.purpose !== 'reconcile' && (m.tables[table]?.rows ?? 0) > 0);
    const minutesSince = last ? (now.getTime() - Date.parse(last.finishedAt)) / 60000 : undefined;
    return {
      table,
      watermark: state?.watermark ?? null,
      lastRowsAt: last?.finishedAt,
      lastRowsRunId: last?.runId,
      minutesSince,
      fresh: minutesSince !== undefined && minutesSince <= slaMinutes,
    };
  });
}

async function withWarehouse<T>(url: string | undefined, use: (client: Client) => Promise<T>, fallback: T): Promise<T> {
  if (!url) return fallback;
  const client = await connectPostgres(url, 'warehouse');
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A warehouse that has never been loaded has no bookkeeping tables yet: nothing to show. */
function undefinedTable(err: unknown): boolean {
  return (err as { code?: string }).code === '42P01';
}

async function rowCounts(client: Client, source: string): Promise<Record<string, number> | undefined> {
  const model = starModelFor(source);
  if (!model) return undefined;
  const counts: Record<string, number> = {};
  for (const table of [...model.dimensions, ...model.facts]) {
    try {
      counts[table.name] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${table.name}"`)).rows[0].n);
    } catch (err) {
      if (!undefinedTable(err)) throw err;
    }
  }
  return counts;
}

function warehouseLabel(url: string): string {
  const { namespace, database } = postgresNamespace(url);
  return `${namespace}/${database}`;
}

/** Reads everything the site shows from the lake (manifests, state, run records) and the warehouse. */
export async function collectSiteData(options: CollectOptions): Promise<SiteData> {
  const now = options.now ?? new Date();
  const slaMinutes = options.slaMinutes ?? DEFAULT_SLA_MINUTES;
  const { lake } = options;
  const warehouse = await withWarehouse(
    options.warehouseUrl,
    async (client) => {
      const history = await loadHistory(client).catch((err: unknown) => {
        if (undefinedTable(err)) return [];
        throw err;
      });
      const counts = new Map<string, Record<string, number> | undefined>();
      for (const source of new Set(history.map((h) => h.source))) counts.set(source, await rowCounts(client, source));
      return { history, counts };
    },
    { history: [] as LoadRecord[], counts: new Map<string, Record<string, number> | undefined>() },
  );
  const newest = (ids: string[]) => (options.maxRuns === undefined ? ids : ids.slice(-options.maxRuns));
  const extractIds = newest(await listManifestRunIds(lake, 'extract'));
  const extracts: ExtractManifest[] = [];
  for (const id of extractIds) {
    const m = await readManifest<ExtractManifest>(lake, 'extract', id);
    if (m) extracts.push(m);
  }
  const transforms = new Map<string, TransformManifest>();
  for (const id of newest(await listManifestRunIds(lake, 'transform'))) {
    const m = await readManifest<TransformManifest>(lake, 'transform', id);
    if (m) transforms.set(id, m);
  }
  const sourceNames = new Set([...(await sourcesInLake(lake)), ...extracts.map((m) => m.source), ...warehouse.history.map((h) => h.source)]);
  const sources: SourceView[] = [];
  for (const source of [...sourceNames].sort()) {
    const records = new Map((await readRunRecords(lake, source, options.maxRuns)).map((r) => [r.runId, r]));
    const ownExtracts = extracts.filter((m) => m.source === source);
    const byRun = new Map(ownExtracts.map((m) => [m.runId, m]));
    const loads = new Map(warehouse.history.filter((h) => h.source === source).map((h) => [h.runId, h]));
    const lockRunId = await lockHolder(lake, source);
    const runIds = [...new Set([...records.keys(), ...byRun.keys()])].sort();
    const runs = runIds
      .filter((id) => byRun.get(id)?.purpose !== 'reconcile' || records.has(id))
      .map((id) => runView(id, source, { record: records.get(id), extract: byRun.get(id), transform: transforms.get(id), load: loads.get(id), lockRunId }));
    const lineage = await pipelineLineage(source);
    const tables = lineage?.sourceTables.map((t) => t.name) ?? [...new Set(ownExtracts.flatMap((m) => Object.keys(m.tables)))];
    const states = new Map<string, TableState | undefined>();
    for (const table of tables) states.set(table, (await readState<TableState>(lake, source, table))?.value);
    const tested = [...records.values()].filter((r) => r.dataTests?.length).pop();
    const loadTimes = [...loads.values()].map((l) => l.loadedAt).sort();
    sources.push({
      source,
      runs,
      freshness: freshness(ownExtracts, states, slaMinutes, now),
      slaMinutes,
      lastLoadAt: loadTimes[loadTimes.length - 1],
      dataTests: tested ? { runId: tested.runId, at: tested.finishedAt ?? tested.startedAt, results: tested.dataTests! } : undefined,
      lineage,
      rowCounts: warehouse.counts.get(source),
    });
  }
  return {
    generatedAt: now.toISOString(),
    lake: lake.location,
    // Host, port and database only: the site never shows a user or a password.
    warehouse: options.warehouseUrl ? warehouseLabel(options.warehouseUrl) : undefined,
    sources,
  };
}
