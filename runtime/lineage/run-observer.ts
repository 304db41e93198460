import { randomUUID } from 'node:crypto';
import { lineageKey, runRecordKey } from '../lake/keys';
import { readManifest, type ExtractManifest, type TransformManifest } from '../lake/manifest';
import type { ObjectStore } from '../lake/port';
import { writeRunRecord, type RunRecord } from '../state/run-record';
import { redact } from '../telemetry/redact';
import type { DataTestResult, LoadResult } from '../warehouse/port';
import { OPENLINEAGE_URL_ENV, postLineage, writeLineage } from './emit';
import { starModelFor } from './model-lineage';
import { lakeNamespace, postgresNamespace, runEvent, type LineageNamespaces, type RunEvent, type RunEventInput } from './openlineage';

export interface RunObserverOptions {
  lake: ObjectStore;
  source: string;
  runId: string;
  sourceTables: readonly string[];
  /** PostgreSQL or API URL, for dataset namespaces only (host, port, database): never its credentials. */
  sourceUrl?: string;
  warehouseUrl?: string;
  /** OpenLineage endpoint; by default TRIBUTARY_OPENLINEAGE_URL, none when unset. */
  lineageUrl?: string;
}

/** What a finished run hands over: the shape every pipeline summary has. */
export interface RunOutcome {
  runId: string;
  extract: { manifest: ExtractManifest };
  transforms: Array<{ manifest: TransformManifest }>;
  loads: LoadResult[];
  dataTests?: DataTestResult[];
}

export type StepListener<S extends string> = (step: S, detail?: string) => void;

export interface RunObserver {
  /** Wraps the orchestrator's step callback so each step's start and duration are recorded. */
  onStep<S extends string>(inner?: StepListener<S>): StepListener<S>;
  complete(outcome: RunOutcome): Promise<void>;
  /** Records the failure; never throws, so the run's own error is the one reported. */
  fail(error: unknown): Promise<void>;
}

function namespaces(options: RunObserverOptions): LineageNamespaces {
  const source = !options.sourceUrl
    ? { namespace: `tributary://${options.source}`, database: options.source }
    : /^https?:/.test(options.sourceUrl)
      ? { namespace: new URL(options.sourceUrl).origin, database: options.source }
      : postgresNamespace(options.sourceUrl);
  const warehouse = options.warehouseUrl ? postgresNamespace(options.warehouseUrl) : undefined;
  return {
    source: source.namespace,
    sourceDatabase: source.database,
    lake: lakeNamespace(options.lake.location),
    ...(warehouse ? { warehouse: warehouse.namespace, warehouseDatabase: warehouse.database } : {}),
  };
}

function oneLine(error: unknown): string {
  return redact((error instanceof Error ? error.message : String(error)).split('\n')[0]);
}

/**
 * Starts recording a pipeline run: its run record (runs/<source>/<runId>.json) and its
 * OpenLineage events (lineage/<runId>.json, and the configured endpoint). The START event and
 * a `running` record are written before the run does anything.
 */
export async function startRunObserver(options: RunObserverOptions): Promise<RunObserver> {
  const endpoint = options.lineageUrl ?? process.env[OPENLINEAGE_URL_ENV];
  const ns = namespaces(options);
  const model = starModelFor(options.source);
  const events: RunEvent[] = [];
  const lineageRunId = randomUUID();
  const record: RunRecord = {
    version: 1,
    runId: options.runId,
    source: options.source,
    lineageRunId,
    startedAt: new Date().toISOString(),
    status: 'running',
    steps: [],
  };
  let stepStarted = Date.now();
  const lineageErrors: string[] = [];

  const closeStep = () => {
    const open = record.steps[record.steps.length - 1];
    if (open && open.durationMs === undefined) open.durationMs = Date.now() - stepStarted;
  };
  const emit = async (input: Omit<RunEventInput, 'lineageRunId' | 'source' | 'namespaces' | 'sourceTables' | 'model'>) => {
    const event = runEvent({ ...input, lineageRunId, source: options.source, namespaces: ns, sourceTables: options.sourceTables, model });
    events.push(event);
    await writeLineage(options.lake, record.runId, events);
    if (endpoint) {
      const problem = await postLineage(endpoint, event);
      if (problem) lineageErrors.push(problem);
    }
  };
  const finish = async (finalRunId: string) => {
    closeStep();
    record.finishedAt = new Date().toISOString();
    if (lineageErrors.length) record.lineageError = lineageErrors[lineageErrors.length - 1];
    if (finalRunId !== record.runId) {
      // The extract moved the run id past the last run's (a clock that stepped back).
      await options.lake.delete(runRecordKey(options.source, record.runId));
      await options.lake.delete(lineageKey(record.runId));
      record.runId = finalRunId;
      await writeLineage(options.lake, record.runId, events);
    }
    await writeRunRecord(options.lake, record);
  };

  await emit({ eventType: 'START' });
  await writeRunRecord(options.lake, record);

  return {
    onStep<S extends string>(inner?: StepListener<S>): StepListener<S> {
      return (step, detail) => {
        closeStep();
        stepStarted = Date.now();
        record.steps.push({ step, startedAt: new Date(stepStarted).toISOString() });
        inner?.(step, detail);
      };
    },
    async complete(outcome) {
      record.status = 'succeeded';
      if (outcome.dataTests?.length) record.dataTests = outcome.dataTests;
      const transforms = outcome.transforms.map((t) => t.manifest);
      await emit({ eventType: 'COMPLETE', extract: outcome.extract.manifest, transforms, loads: outcome.loads });
      await finish(outcome.runId);
    },
    async fail(error) {
      try {
        record.status = 'failed';
        record.failedStep = record.steps[record.steps.length - 1]?.step;
        record.error = oneLine(error);
        const extract = await readManifest<ExtractManifest>(options.lake, 'extract', record.runId).catch(() => undefined);
        await emit({ eventType: 'FAIL', extract, error: record.error });
        await finish(record.runId);
      } catch {
        // The lake itself failing must not hide the run's own error.
      }
    },
  };
}
