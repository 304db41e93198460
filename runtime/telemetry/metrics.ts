import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export type { Metrics } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of every Tributary metric unless POWERTOOLS_METRICS_NAMESPACE says otherwise. */
export const DEFAULT_NAMESPACE = 'Tributary';

/** Metric names: alarms and dashboards in infra/ refer to these. */
export const MetricName = {
  RowsExtracted: 'RowsExtracted',
  RowsTransformed: 'RowsTransformed',
  RowsLoaded: 'RowsLoaded',
  StageDuration: 'StageDuration',
  RunDuration: 'RunDuration',
  FreshnessLagSeconds: 'FreshnessLagSeconds',
  StageFailures: 'StageFailures',
} as const;

export type RowMetric =
  typeof MetricName.RowsExtracted | typeof MetricName.RowsTransformed | typeof MetricName.RowsLoaded;

export interface MetricsOptions {
  stage: string;
  namespace?: string;
  service?: string;
  /** Default: TRIBUTARY_PIPELINE. Becomes the `pipeline` dimension when set. */
  pipeline?: string;
  /** Default: TRIBUTARY_ENVIRONMENT. Becomes the `environment` dimension when set. */
  environment?: string;
}

/**
 * EMF metrics for one stage. Default dimensions are service, stage and, when known, pipeline and
 * environment; every metric carries them, so an alarm names them all.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const dims: Record<string, string> = { stage: options.stage };
  const pipeline = options.pipeline ?? process.env.TRIBUTARY_PIPELINE;
  const environment = options.environment ?? process.env.TRIBUTARY_ENVIRONMENT;
  if (pipeline) dims.pipeline = pipeline;
  if (environment) dims.environment = environment;
  return new Metrics({
    namespace: options.namespace ?? (process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_NAMESPACE),
    serviceName: options.service ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'tributary',
    defaultDimensions: dims,
  });
}

/**
 * Emits a row count with a `table` dimension. A single-metric document is written at once: EMF
 * gives all metrics of a document the same dimensions, so per-table values need one each.
 */
export function recordTableRows(metrics: Metrics, name: RowMetric, table: string, rows: number): void {
  const single = metrics.singleMetric();
  single.addDimension('table', table);
  single.addMetric(name, MetricUnit.Count, rows);
}

/** Seconds from the run's start (the schedule firing) to the end of its last stage. */
export function recordRunDuration(metrics: Metrics, seconds: number): void {
  metrics.addMetric(MetricName.RunDuration, MetricUnit.Seconds, seconds);
}

/** Seconds between now and the newest source change the warehouse holds; the freshness SLA alarm reads it. */
export function recordFreshnessLag(metrics: Metrics, seconds: number): void {
  metrics.addMetric(MetricName.FreshnessLagSeconds, MetricUnit.Seconds, Math.max(0, seconds));
}

/** Writes buffered metrics if there are any (Powertools warns on an empty flush). */
export function flushMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
