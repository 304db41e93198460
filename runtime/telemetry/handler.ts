import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DeployedRunRecorder, StepReport } from '../state/deployed-run';
import { createLogger, type Logger } from './logger';
import { MetricName, createMetrics, flushMetrics, recordRunDuration, type Metrics } from './metrics';
import { errorMessage, redactedError } from './redact';

/** The parts of the Lambda context the wrapper reads (no dependency on @types/aws-lambda). */
export interface LambdaContextLike {
  awsRequestId?: string;
  functionName?: string;
}

/** What an instrumented function receives beside its event. */
export interface StageTelemetry {
  readonly stage: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The run id (correlation id) known so far. */
  runId(): string | undefined;
  /** Sets the run id once the stage creates it (extract starts a run without one). */
  setRunId(runId: string): void;
}

export interface InstrumentOptions<R> {
  logger?: Logger;
  metrics?: Metrics;
  /** Attributes to log with the success record, e.g. row counts per table. */
  summarize?: (result: R) => Record<string, unknown>;
  /**
   * The stage that ends a run (load): emits RunDuration from the event's `runStartedAt`
   * (ISO timestamp the extract stage returns and the state machine passes along). A function:
   * whether this result ends it (a load taken in units ends with its last one).
   */
  endsRun?: boolean | ((result: R) => boolean);
  /**
   * Keeps the run's record (runs/<source>/<runId>.json) for the docs site and `tributary status`:
   * the step's start, duration, outcome and what `report` takes from its result. A record that
   * cannot be written is logged as a warning; the step's own outcome stands.
   */
  runRecord?: { recorder: DeployedRunRecorder; report?: (result: R) => StepReport };
  now?: () => number;
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' && field.length > 0 ? field : undefined;
}

/**
 * Wraps a stage function as a Lambda handler: the run id becomes the logger's correlation id
 * (from `event.runId`, or `result.runId` for the stage that starts the run), start/success/failure
 * are logged with the duration, StageDuration (and RunDuration for the last stage) is emitted,
 * metrics are flushed whatever happens, and an error is logged and rethrown redacted (same error
 * name) so Step Functions' retry and Catch see it without the secret.
 */
export function instrumentHandler<E, R>(
  stage: string,
  fn: (event: E, telemetry: StageTelemetry) => Promise<R>,
  options: InstrumentOptions<R> = {},
): (event: E, context?: LambdaContextLike) => Promise<R> {
  const logger = options.logger ?? createLogger({ keys: { stage } });
  const metrics = options.metrics ?? createMetrics({ stage });
  const now = options.now ?? Date.now;

  return async (event: E, context?: LambdaContextLike): Promise<R> => {
    // Temporary keys belong to one invocation; a warm container must not carry the last run id.
    logger.resetKeys();
    logger.appendKeys({ stage });
    let runId: string | undefined;
    const setRunId = (id: string): void => {
      runId = id;
      logger.setCorrelationId(id);
      logger.appendKeys({ run_id: id });
    };
    const fromEvent = stringField(event, 'runId');
    if (fromEvent) setRunId(fromEvent);
    if (context?.awsRequestId) logger.appendKeys({ function_request_id: context.awsRequestId });

    const telemetry: StageTelemetry = { stage, logger, metrics, runId: () => runId, setRunId };
    const started = now();
    logger.info('stage started');
    const record = async (write: (recorder: DeployedRunRecorder) => Promise<void>): Promise<void> => {
      if (!options.runRecord) return;
      await write(options.runRecord.recorder).catch((err: unknown) => logger.warn('run record not written', { error_message: errorMessage(err) }));
    };
    if (runId) await record((r) => r.started(stage, runId!, new Date(started)));
    try {
      const result = await fn(event, telemetry);
      const fromResult = stringField(result, 'runId');
      if (fromResult && fromResult !== runId) setRunId(fromResult);
      const durationMs = now() - started;
      const ends = typeof options.endsRun === 'function' ? options.endsRun(result) : options.endsRun === true;
      if (runId) await record((r) => r.succeeded(stage, runId!, durationMs, options.runRecord?.report?.(result) ?? {}, ends));
      metrics.addMetric(MetricName.StageDuration, MetricUnit.Milliseconds, durationMs);
      const runStartedAt = stringField(event, 'runStartedAt');
      if (ends && runStartedAt && !Number.isNaN(Date.parse(runStartedAt))) {
        recordRunDuration(metrics, (now() - Date.parse(runStartedAt)) / 1000);
      }
      logger.info('stage succeeded', {
        duration_ms: durationMs,
        ...(options.summarize ? options.summarize(result) : {}),
      });
      return result;
    } catch (err) {
      const durationMs = now() - started;
      metrics.addMetric(MetricName.StageFailures, MetricUnit.Count, 1);
      metrics.addMetric(MetricName.StageDuration, MetricUnit.Milliseconds, durationMs);
      // The logger redacts every string; the message is also redacted here for the summary key.
      logger.error('stage failed', { duration_ms: durationMs, error_message: errorMessage(err), error: err });
      if (runId) await record((r) => r.failed(stage, runId!, new Date(now()), durationMs, errorMessage(err)));
      throw redactedError(err);
    } finally {
      flushMetrics(metrics);
    }
  };
}
