import { functionSettings } from '../config/environment';
import type { ObjectStore } from '../lake/port';
import { redact } from '../telemetry/redact';
import type { DataTestResult } from '../warehouse/port';
import { readRunRecords, updateRunRecord, writeRunRecord, type AppliedRows, type RunRecord } from './run-record';

/** What a deployed step tells the run record when it ends; each step fills what it knows. */
export interface StepReport {
  rowsExtracted?: number;
  rowsLoaded?: number;
  problems?: string[];
  applied?: AppliedRows[];
  dataTests?: DataTestResult[];
  /** The extract's start, which is the run's (the state machine passes it on). */
  runStartedAt?: string;
}

/**
 * Keeps runs/<source>/<runId>.json of a deployed run, as the run observer does for `tributary
 * run`: the state machine runs one function per step, so each step adds its own part (start,
 * duration, rows) and the last one (load) closes the run. Writing the record must never fail the
 * step: the caller logs the error and goes on.
 */
export interface DeployedRunRecorder {
  started(step: string, runId: string, at: Date): Promise<void>;
  succeeded(step: string, runId: string, durationMs: number, report: StepReport, endsRun: boolean): Promise<void>;
  failed(step: string, runId: string, at: Date, durationMs: number, error: string): Promise<void>;
}

function stepOf(record: RunRecord, step: string, at: Date): RunRecord['steps'][number] {
  const open = [...record.steps].reverse().find((s) => s.step === step && s.durationMs === undefined);
  if (open) return open;
  const added = { step, startedAt: at.toISOString() };
  record.steps.push(added);
  return added;
}

export function deployedRunRecorder(lake: () => { lake: ObjectStore; source: string } = () => functionSettings(process.env)): DeployedRunRecorder {
  const update = (runId: string, at: Date, change: (r: RunRecord) => void) => {
    const { lake: store, source } = lake();
    return updateRunRecord(store, source, runId, change, () => ({ startedAt: at.toISOString(), status: 'running', steps: [] }));
  };
  return {
    async started(step, runId, at) {
      await update(runId, at, (r) => {
        // A retried step starts again: the run is running again until it ends.
        r.status = 'running';
        delete r.error;
        delete r.failedStep;
        delete r.finishedAt;
        stepOf(r, step, at);
      });
    },
    async succeeded(step, runId, durationMs, report, endsRun) {
      const now = new Date();
      const started = new Date(now.getTime() - durationMs);
      await update(runId, started, (r) => {
        if (report.runStartedAt && Date.parse(report.runStartedAt) < Date.parse(r.startedAt)) r.startedAt = report.runStartedAt;
        stepOf(r, step, started).durationMs = durationMs;
        if (report.rowsExtracted !== undefined) r.rowsExtracted = report.rowsExtracted;
        // A load taken in units reports each unit's rows: the run's are their sum.
        if (report.rowsLoaded !== undefined) r.rowsLoaded = (r.rowsLoaded ?? 0) + report.rowsLoaded;
        if (report.applied) r.applied = report.applied;
        if (report.dataTests?.length) r.dataTests = report.dataTests;
        if (report.problems?.length) r.problems = [...(r.problems ?? []), ...report.problems.map((p) => redact(p).split('\n')[0])];
        if (endsRun) {
          r.status = 'succeeded';
          r.finishedAt = now.toISOString();
        }
      });
    },
    async failed(step, runId, at, durationMs, error) {
      await update(runId, at, (r) => {
        const s = stepOf(r, step, new Date(at.getTime() - durationMs));
        s.durationMs = durationMs;
        r.status = 'failed';
        r.failedStep = step;
        r.error = redact(error).split('\n')[0];
        r.finishedAt = at.toISOString();
      });
    },
  };
}

/**
 * A state machine execution that ended badly (FAILED, TIMED_OUT, ABORTED) may leave its run
 * `running`: a function killed at its timeout never reaches its own error handling. Marks the
 * newest run of the source that started after the execution did failed, with the execution's
 * error; returns its run id, or undefined when there was none (the extract failed before it
 * made a run id: the alert names the execution).
 */
export async function closeFailedExecution(
  lake: ObjectStore,
  source: string,
  execution: { startedAt: Date; status: string; error?: string; cause?: string },
): Promise<string | undefined> {
  const recent = (await readRunRecords(lake, source, 5)).filter((r) => Date.parse(r.startedAt) >= execution.startedAt.getTime() - 60_000);
  const run = recent[recent.length - 1];
  if (!run) return undefined;
  if (run.status === 'running') {
    run.status = 'failed';
    run.failedStep ??= [...run.steps].reverse().find((s) => s.durationMs === undefined)?.step;
    const why = [execution.error, execution.cause].filter(Boolean).join(': ');
    run.error = redact(`execution ${execution.status}${why ? `: ${why}` : ''}`).split('\n')[0].slice(0, 500);
    run.finishedAt = new Date().toISOString();
    await writeRunRecord(lake, run);
  }
  return run.runId;
}
