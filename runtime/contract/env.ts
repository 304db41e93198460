/**
 * The environment variables the pipeline functions read, set by the IngestionPipeline component.
 * One name each, shared by infra/ (which writes them) and runtime/ (which reads them).
 */
export const ENV = {
  pipeline: 'TRIBUTARY_PIPELINE',
  environment: 'TRIBUTARY_ENVIRONMENT',
  sourceKind: 'TRIBUTARY_SOURCE_KIND',
  sourceName: 'TRIBUTARY_SOURCE_NAME',
  sourceSecretArn: 'TRIBUTARY_SOURCE_SECRET_ARN',
  /** Local runs: the source's postgres:// URL instead of a secret. */
  sourceUrl: 'TRIBUTARY_SOURCE_URL',
  /** REST sources: the API's base URL and the endpoints to pull (comma-separated). */
  apiUrl: 'TRIBUTARY_API_URL',
  endpoints: 'TRIBUTARY_ENDPOINTS',
  /** REST sources, local runs: the API key instead of a secret. */
  recurlyApiKey: 'TRIBUTARY_RECURLY_API_KEY',
  /** PostgreSQL sources: how far back each incremental read reaches behind the watermark. */
  lookback: 'TRIBUTARY_LOOKBACK',
  /** PostgreSQL sources: rows per backfill chunk. */
  chunkRows: 'TRIBUTARY_CHUNK_ROWS',
  /** Transform and load: rows per unit of work (a larger run is cut into units). */
  unitRows: 'TRIBUTARY_UNIT_ROWS',
  lake: 'TRIBUTARY_LAKE',
  rawLake: 'TRIBUTARY_RAW_LAKE',
  processedLake: 'TRIBUTARY_PROCESSED_LAKE',
  s3Endpoint: 'TRIBUTARY_S3_ENDPOINT',
  secretsEndpoint: 'TRIBUTARY_SECRETS_ENDPOINT',
  warehouseKind: 'TRIBUTARY_WAREHOUSE_KIND',
  warehouseSecretArn: 'TRIBUTARY_WAREHOUSE_SECRET_ARN',
  /** Local runs: the warehouse's postgres:// URL instead of a secret. */
  warehouseUrl: 'TRIBUTARY_WAREHOUSE_URL',
  snowflakeStage: 'TRIBUTARY_SNOWFLAKE_STAGE',
  /** Redshift: Serverless workgroup or provisioned cluster (with its database user), database, COPY role. */
  redshiftWorkgroup: 'TRIBUTARY_REDSHIFT_WORKGROUP',
  redshiftCluster: 'TRIBUTARY_REDSHIFT_CLUSTER',
  redshiftDbUser: 'TRIBUTARY_REDSHIFT_DB_USER',
  redshiftDatabase: 'TRIBUTARY_REDSHIFT_DATABASE',
  redshiftSecretArn: 'TRIBUTARY_REDSHIFT_SECRET_ARN',
  redshiftCopyRoleArn: 'TRIBUTARY_REDSHIFT_COPY_ROLE_ARN',
  alertTopicArn: 'TRIBUTARY_ALERT_TOPIC_ARN',
  /** The deployed docs site: `s3://<processed bucket>/site/index.html` (site function writes it, notifier presigns it). */
  siteLocation: 'TRIBUTARY_SITE_LOCATION',
  /** Site function: `{"<state machine ARN>": "<source>"}`, to close the run of an execution that failed. */
  siteSources: 'TRIBUTARY_SITE_SOURCES',
  /** Site function: newest runs shown (bounds the build); default DEFAULTS.siteMaxRuns. */
  siteMaxRuns: 'TRIBUTARY_SITE_MAX_RUNS',
  /** OpenLineage endpoint (Marquez-style `/api/v1/lineage`) the run's events are POSTed to. */
  openLineageUrl: 'TRIBUTARY_OPENLINEAGE_URL',
  fault: 'TRIBUTARY_FAULT',
  slackSecretArn: 'TRIBUTARY_SLACK_SECRET_ARN',
  slackChannel: 'TRIBUTARY_SLACK_CHANNEL',
  logGroupPrefix: 'TRIBUTARY_LOG_GROUP_PREFIX',
  powertoolsServiceName: 'POWERTOOLS_SERVICE_NAME',
  powertoolsMetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  powertoolsLogLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
