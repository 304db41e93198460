import { redact } from './redact';

/**
 * Reads back what the handlers log (see handler.ts) to reconstruct runs: the correlation id is
 * the run id, `stage started/succeeded/failed` records give each step's outcome and duration.
 */

export interface LogEvent {
  logGroup: string;
  timestamp: number;
  message: string;
}

/** `logged`: records of a function without the stage lifecycle (e.g. the notifier's, for an alert of the run). */
export type StepStatus = 'running' | 'succeeded' | 'failed' | 'logged';

export interface StepSummary {
  stage: string;
  status: StepStatus;
  startedAt?: number;
  durationMs?: number;
  /** Row counts per table logged during the step (`table` + `rows` keys). */
  rows: Record<string, number>;
  errors: string[];
}

export interface RunSummary {
  runId: string;
  firstSeen: number;
  lastSeen: number;
  steps: StepSummary[];
  status: Exclude<StepStatus, 'logged'>;
}

export interface Summary {
  runs: RunSummary[];
  /** Errors without a run id (timeouts, crashes before the wrapper ran), with their log group. */
  unattributed: Array<{ logGroup: string; timestamp: number; message: string }>;
}

/** A JSON record inside a log line (Lambda's text format prefixes timestamp/request id/level). */
export function parseRecord(message: string): Record<string, unknown> | undefined {
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  try {
    const v = JSON.parse(message.slice(start)) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const STAGE_ORDER = ['extract', 'transform', 'load'];
/** Lambda platform lines that mean the function died without our wrapper logging it. */
const PLATFORM_ERROR = /Task timed out|Runtime\.\w+|Process exited|\tERROR\t|out of memory/i;

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function stageFromGroup(logGroup: string): string {
  const last = logGroup.split(/[-/]/).pop() ?? logGroup;
  return last.toLowerCase();
}

function errorText(rec: Record<string, unknown>): string {
  const msg = text(rec.error_message);
  if (msg) return msg;
  const err = rec.error;
  if (typeof err === 'object' && err !== null) {
    const e = err as Record<string, unknown>;
    const m = text(e.message);
    if (m) return text(e.name) ? `${String(e.name)}: ${m}` : m;
  }
  return text(rec.message) ?? 'error';
}

/** Groups log events into runs and steps; `runFilter` keeps one run. */
export function summarizeRuns(events: LogEvent[], runFilter?: string): Summary {
  const runs = new Map<string, RunSummary>();
  const unattributed: Summary['unattributed'] = [];
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  for (const ev of sorted) {
    const rec = parseRecord(ev.message);
    const runId = rec ? (text(rec.correlation_id) ?? text(rec.run_id)) : undefined;
    if (!rec || !runId) {
      const isError = rec
        ? String(rec.level ?? '').toUpperCase() === 'ERROR'
        : PLATFORM_ERROR.test(ev.message);
      if (isError && !runFilter)
        unattributed.push({
          logGroup: ev.logGroup,
          timestamp: ev.timestamp,
          message: redact(ev.message.trim()),
        });
      continue;
    }
    if (runFilter && runId !== runFilter) continue;
    let run = runs.get(runId);
    if (!run) {
      run = { runId, firstSeen: ev.timestamp, lastSeen: ev.timestamp, steps: [], status: 'running' as const };
      runs.set(runId, run);
    }
    run.lastSeen = ev.timestamp;
    const stage = text(rec.stage) ?? stageFromGroup(ev.logGroup);
    let step = run.steps.find((s) => s.stage === stage);
    if (!step) {
      step = { stage, status: 'logged', rows: {}, errors: [] };
      run.steps.push(step);
    }
    const message = text(rec.message);
    if (message === 'stage started') {
      // A retried step starts again: its latest attempt decides the outcome.
      step.status = 'running';
      step.startedAt = ev.timestamp;
    } else if (message === 'stage succeeded') {
      step.status = 'succeeded';
      if (typeof rec.duration_ms === 'number') step.durationMs = rec.duration_ms;
    } else if (message === 'stage failed') {
      step.status = 'failed';
      if (typeof rec.duration_ms === 'number') step.durationMs = rec.duration_ms;
    }
    if (String(rec.level ?? '').toUpperCase() === 'ERROR') step.errors.push(redact(errorText(rec)));
    const table = text(rec.table);
    if (table && typeof rec.rows === 'number') step.rows[table] = rec.rows;
  }
  for (const run of runs.values()) {
    run.steps.sort((a, b) => rank(a.stage) - rank(b.stage));
    const lifecycle = run.steps.filter((s) => s.status !== 'logged');
    run.status = lifecycle.some((s) => s.status === 'failed')
      ? 'failed'
      : lifecycle.every((s) => s.status === 'succeeded') && lifecycle.some((s) => s.stage === 'load')
        ? 'succeeded'
        : 'running';
  }
  return { runs: [...runs.values()].sort((a, b) => a.firstSeen - b.firstSeen), unattributed };
}

function rank(stage: string): number {
  const i = STAGE_ORDER.indexOf(stage);
  return i < 0 ? STAGE_ORDER.length : i;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`;
}

/** Human-readable lines: one header per run, one line per step, its errors indented below. */
export function formatSummary(summary: Summary): string[] {
  const lines: string[] = [];
  for (const run of summary.runs) {
    lines.push(`run ${run.runId}  ${new Date(run.firstSeen).toISOString()}  ${run.status}`);
    for (const step of run.steps) {
      const total = Object.values(step.rows).reduce((a, b) => a + b, 0);
      const rows = Object.keys(step.rows).length
        ? `  rows ${total} (${Object.keys(step.rows).length} tables)`
        : '';
      lines.push(
        `  ${step.stage.padEnd(10)} ${step.status.padEnd(9)} ${seconds(step.durationMs).padStart(8)}${rows}`,
      );
      for (const e of step.errors) lines.push(`    error: ${e}`);
    }
  }
  if (summary.unattributed.length) {
    lines.push('errors without a run id:');
    for (const u of summary.unattributed)
      lines.push(`  ${new Date(u.timestamp).toISOString()}  ${u.logGroup}  ${u.message}`);
  }
  return lines;
}
