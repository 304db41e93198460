/**
 * Typed, validated stack configuration.
 *
 * `validateStackConfig` is a plain function (no Pulumi import) so it can be tested directly and
 * reused by scripts. It takes the stack's `tributary:*` keys with the namespace stripped, as the
 * Pulumi CLI hands them over: top-level scalars arrive as strings, structured values as parsed
 * JSON. Every problem is reported with the full key path, e.g. `tributary:pipelines[0].source.kind`.
 */
import { closestName } from '../runtime/contract/closest';
import type { PlatformTags } from '../infra/tags';
import {
  DEFAULTS,
  PIPELINE_FUNCTIONS,
  REQUIRED_TAG_KEYS,
  REST_ENDPOINTS,
  SOURCE_CAPABILITIES,
  SOURCE_KINDS,
  WAREHOUSE_CAPABILITIES,
  WAREHOUSE_KINDS,
  pipelineBranches,
  type PipelineFunction,
  type SourceKind,
  type WarehouseKind,
} from '../runtime/contract';
import { pipelineNetworkNeeds } from '../runtime/contract/network';

export const CONFIG_NAMESPACE = 'tributary';

export { PIPELINE_FUNCTIONS, REST_ENDPOINTS, type PipelineFunction, type SourceKind, type WarehouseKind };
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface PipelineConfig {
  /** Pipeline name, used in resource names: lower-case letters, digits, hyphens. */
  readonly name: string;
  readonly source: {
    readonly kind: SourceKind;
    /** Source name, the `<source>` of the lake keys `raw/<source>/...`. */
    readonly name: string;
    /** An existing Secrets Manager secret with the source credentials; created when absent. */
    readonly secretArn?: string;
    /** REST only: base URL of the API (https). The runtime's default (https://v3.recurly.com) when absent. */
    readonly apiUrl?: string;
    /** REST only: endpoints to pull, a subset of REST_ENDPOINTS. All of them when absent. */
    readonly endpoints?: readonly string[];
  };
  readonly warehouse: {
    readonly kind: WarehouseKind;
    /** An existing Secrets Manager secret with the warehouse credentials; created when absent. */
    readonly secretArn?: string;
    /** Snowflake only: the external stage on the processed bucket (the Snowflake secret's `stage` must name it). */
    readonly stage?: string;
    /** Snowflake only: the storage integration's IAM user and external id (`DESC INTEGRATION`). */
    readonly snowflakeIntegration?: { readonly iamUserArn: string; readonly externalId: string };
    /** Redshift only: where the Data API runs the load (see RedshiftWarehouseConfig). */
    readonly redshift?: RedshiftWarehouseConfig;
  };
  /** PostgreSQL sources only: backfill chunking. */
  readonly backfill: { readonly chunkRows: number; readonly maxConcurrency: number };
  /** PostgreSQL source and warehouse only: the reconciliation's schedule. */
  readonly reconcileSchedule: string;
  /** EventBridge Scheduler expression: `rate(...)`, `cron(...)`. */
  readonly schedule: string;
  readonly scheduleEnabled: boolean;
  /** Minutes without a successful load after which the freshness alarm fires. */
  readonly freshnessSlaMinutes: number;
  readonly logLevel: LogLevel;
  /** Memory per function (MB); absent functions use the component defaults. */
  readonly memoryMb: Readonly<Partial<Record<PipelineFunction, number>>>;
  /**
   * Where the functions run: the pipeline's own network, `'stack'` (tributary:network, which
   * every pipeline with a private source or warehouse uses unless it names its own), or none.
   */
  readonly network?: NetworkConfig | 'stack';
}

/** An existing VPC's subnets and security groups, or a VPC the stack creates (PrivateNetwork). */
export type NetworkConfig = ExistingNetworkConfig | CreatedNetworkConfig;
export interface ExistingNetworkConfig {
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}
export interface CreatedNetworkConfig {
  readonly create: {
    readonly cidrBlock: string;
    readonly availabilityZones: number;
    /** Public subnets and one NAT gateway: needed by a REST source or a Snowflake warehouse. */
    readonly internet: boolean;
  };
}

/** A Redshift Serverless workgroup or a provisioned cluster, and the database the pipeline loads. */
export interface RedshiftWarehouseConfig {
  /** Serverless: the workgroup's name (the Data API's WorkgroupName) and id (its ARN's last part). */
  readonly workgroup?: string;
  readonly workgroupId?: string;
  /** Provisioned: the cluster identifier and the database user temporary credentials are issued for. */
  readonly clusterIdentifier?: string;
  readonly dbUser?: string;
  readonly database: string;
}

export interface DeliveryDeployment {
  /** Stack deployed by this stage (`pulumi up --stack <stack>`). */
  readonly stack: string;
  /** Role in the stack's account the deploy assumes. */
  readonly roleArn: string;
  /** A manual approval gates this deployment. */
  readonly approval: boolean;
  /** The stack's own secrets-provider KMS key (the bootstrap's output `secretsKeyArns`). */
  readonly secretsKeyArn: string;
}

export interface DeliveryConfig {
  /** `owner/name` of the Git repository. */
  readonly repository: string;
  readonly branch: string;
  readonly connectionProvider: 'GitHub' | 'GitHubEnterpriseServer' | 'Bitbucket' | 'GitLab';
  /** The Pulumi state bucket, `s3://bucket`: each stack's state lives under `<stack>/`. */
  readonly stateBackendUrl: string;
  /** KMS key of the state bucket (the bootstrap's output `stateKeyArn`). */
  readonly stateKeyArn: string;
  readonly deployments: readonly DeliveryDeployment[];
}

export interface StackConfig {
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  /** Role the stack's AWS provider assumes in `accountId`. */
  readonly deployRoleArn: string;
  readonly logRetentionDays: number;
  readonly tags: PlatformTags;
  readonly lake: {
    readonly rawInfrequentAccessAfterDays: number;
    readonly rawArchiveAfterDays: number;
    readonly noncurrentVersionExpirationDays: number;
    readonly forceDestroy: boolean;
  };
  readonly alerting: {
    readonly slackChannel: string;
    readonly email?: string;
  };
  readonly pipelines: readonly PipelineConfig[];
  readonly delivery?: DeliveryConfig;
  /** The stack's network, used by the pipelines with a private source or warehouse. */
  readonly network?: NetworkConfig;
}

/** Secret keys (namespace stripped) the stack must have; values never appear in errors. */
export const REQUIRED_SECRET_KEYS = ['slackBotToken'] as const;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Raw = Readonly<Record<string, unknown>>;

/** Collects problems instead of stopping at the first one, so one run reports them all. */
class Reader {
  readonly problems: string[] = [];

  private key(path: string): string {
    return `${CONFIG_NAMESPACE}:${path}`;
  }

  /**
   * A key the validator does not read would be silently ignored (a misspelt optional key keeps
   * its default without a word): every map names its keys, and any other is a problem.
   */
  onlyKnown(obj: Raw, path: string, known: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const at = path ? `${path}.${key}` : key;
      const closest = closestName(key, known, { anyDistance: true });
      const prefix = path ? `${path}.` : '';
      this.problems.push(`unknown key "${this.key(at)}"${closest ? ` (closest valid key: "${this.key(prefix + closest)}")` : ''}`);
    }
  }

  missing(path: string, what: string): undefined {
    this.problems.push(`missing required key "${this.key(path)}" (${what})`);
    return undefined;
  }

  bad(path: string, message: string): undefined {
    this.problems.push(`"${this.key(path)}" ${message}`);
    return undefined;
  }

  string(obj: Raw, field: string, path: string, what: string, opts: { optional?: boolean; pattern?: RegExp } = {}): string | undefined {
    const value = obj[field];
    if (value === undefined || value === null || value === '') return opts.optional ? undefined : this.missing(path, what);
    if (typeof value !== 'string') return this.bad(path, `must be a string (${what}), got ${describe(value)}`);
    if (opts.pattern && !opts.pattern.test(value)) return this.bad(path, `must be ${what}, got ${JSON.stringify(value)}`);
    return value;
  }

  number(obj: Raw, field: string, path: string, what: string, opts: { optional?: boolean; min?: number; max?: number } = {}): number | undefined {
    const value = obj[field];
    if (value === undefined || value === null || value === '') return opts.optional ? undefined : this.missing(path, what);
    // eslint-disable-next-line security/detect-unsafe-regex -- anchored, applied to one config value
    const n = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) return this.bad(path, `must be a number (${what}), got ${describe(value)}`);
    if (opts.min !== undefined && n < opts.min) return this.bad(path, `must be at least ${opts.min} (${what}), got ${n}`);
    if (opts.max !== undefined && n > opts.max) return this.bad(path, `must be at most ${opts.max} (${what}), got ${n}`);
    return n;
  }

  boolean(obj: Raw, field: string, path: string, fallback: boolean): boolean {
    const value = obj[field];
    if (value === undefined || value === null) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    this.bad(path, `must be true or false, got ${describe(value)}`);
    return fallback;
  }

  oneOf<T extends string>(obj: Raw, field: string, path: string, allowed: readonly T[], opts: { optional?: boolean } = {}): T | undefined {
    const value = this.string(obj, field, path, `one of ${allowed.join(', ')}`, opts);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) return this.bad(path, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    return value as T;
  }

  object(obj: Raw, field: string, path: string, what: string, opts: { optional?: boolean } = {}): Raw | undefined {
    const value = parseJsonString(obj[field]);
    if (value === undefined || value === null) return opts.optional ? undefined : this.missing(path, what);
    if (typeof value !== 'object' || Array.isArray(value)) return this.bad(path, `must be a map (${what}), got ${describe(value)}`);
    return value as Raw;
  }

  list(obj: Raw, field: string, path: string, what: string): readonly unknown[] | undefined {
    const value = parseJsonString(obj[field]);
    if (value === undefined || value === null) return this.missing(path, what);
    if (!Array.isArray(value)) return this.bad(path, `must be a list (${what}), got ${describe(value)}`);
    if (value.length === 0) return this.bad(path, `must list at least one entry (${what})`);
    return value;
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The CLI passes structured values as JSON text; accept both forms. */
function parseJsonString(value: unknown): unknown {
  if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

const NAME = /^[a-z][a-z0-9-]{0,19}$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:[\w/+=.@-]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/;
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\)|at\(.+\))$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const REPOSITORY = /^[\w.-]+\/[\w.-]+$/;
// eslint-disable-next-line security/detect-unsafe-regex -- anchored; each repeated group starts with a literal character
const HTTPS_URL = /^https:\/\/[a-z0-9.-]+(:\d+)?(\/[\w./-]*)?$/i;
// eslint-disable-next-line security/detect-unsafe-regex -- anchored; each repeated group starts with a literal character
const SNOWFLAKE_IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,254}(\.[A-Za-z_][A-Za-z0-9_$]{0,254}){0,2}$/;
const IAM_USER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:user\/[\w+=,.@/-]+$/;
const STATE_BACKEND = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/?$/;

const TOP_LEVEL_KEYS = ['environment', 'accountId', 'region', 'deployRoleArn', 'logRetentionDays', 'tags', 'lake', 'alerting', 'pipelines', 'delivery', 'network'] as const;
const PIPELINE_KEYS = ['name', 'source', 'warehouse', 'backfill', 'reconcileSchedule', 'schedule', 'scheduleEnabled', 'freshnessSlaMinutes', 'logLevel', 'memoryMb', 'network'] as const;

/** Validates the raw `tributary:*` config of one stack; throws a ConfigError naming every bad key. */
export function validateStackConfig(raw: Raw): StackConfig {
  const r = new Reader();
  r.onlyKnown(raw, '', [...TOP_LEVEL_KEYS, ...REQUIRED_SECRET_KEYS]);
  const environment = r.string(raw, 'environment', 'environment', 'environment name, lower-case', { pattern: NAME });
  const accountId = r.string(raw, 'accountId', 'accountId', 'a 12-digit AWS account id', { pattern: ACCOUNT_ID });
  const region = r.string(raw, 'region', 'region', 'an AWS region such as eu-west-2', { pattern: REGION });
  const deployRoleArn = r.string(raw, 'deployRoleArn', 'deployRoleArn', 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)', { pattern: ROLE_ARN });
  if (deployRoleArn && accountId && ROLE_ARN.exec(deployRoleArn)?.[1] !== accountId) {
    r.bad('deployRoleArn', `must be a role in the stack's account ${accountId}, got ${JSON.stringify(deployRoleArn)}`);
  }
  const retention = r.number(raw, 'logRetentionDays', 'logRetentionDays', 'days CloudWatch keeps logs');
  if (retention !== undefined && !(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
    r.bad('logRetentionDays', `must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${retention}`);
  }

  const tagsRaw = r.object(raw, 'tags', 'tags', `a map with ${REQUIRED_TAG_KEYS.join(', ')}`);
  const tags: Record<string, string> = {};
  if (tagsRaw) {
    for (const [key, value] of Object.entries(tagsRaw)) {
      if (typeof value !== 'string' || value.trim() === '') r.bad(`tags.${key}`, `must be a non-empty string, got ${describe(value)}`);
      else tags[key] = value;
    }
    for (const key of REQUIRED_TAG_KEYS) if (!(key in tagsRaw)) r.missing(`tags.${key}`, 'required tag');
    if (environment && tags.environment !== undefined && tags.environment !== environment) {
      r.bad('tags.environment', `must equal tributary:environment (${JSON.stringify(environment)}), got ${JSON.stringify(tags.environment)}`);
    }
  }

  const lakeRaw = r.object(raw, 'lake', 'lake', 'lake lifecycle settings') ?? {};
  r.onlyKnown(lakeRaw, 'lake', ['rawInfrequentAccessAfterDays', 'rawArchiveAfterDays', 'noncurrentVersionExpirationDays', 'forceDestroy']);
  const ia = r.number(lakeRaw, 'rawInfrequentAccessAfterDays', 'lake.rawInfrequentAccessAfterDays', 'days before raw objects move to STANDARD_IA', { min: 30 });
  const archive = r.number(lakeRaw, 'rawArchiveAfterDays', 'lake.rawArchiveAfterDays', 'days before raw objects move to GLACIER_IR');
  if (ia !== undefined && archive !== undefined && archive < ia + 30) {
    r.bad('lake.rawArchiveAfterDays', `must be at least 30 days after lake.rawInfrequentAccessAfterDays (${ia}), as S3 requires, got ${archive}`);
  }
  const noncurrent = r.number(lakeRaw, 'noncurrentVersionExpirationDays', 'lake.noncurrentVersionExpirationDays', 'days old object versions are kept', { min: 1 });
  const forceDestroy = r.boolean(lakeRaw, 'forceDestroy', 'lake.forceDestroy', false);

  const alertingRaw = r.object(raw, 'alerting', 'alerting', 'Slack channel and optional e-mail') ?? {};
  r.onlyKnown(alertingRaw, 'alerting', ['slackChannel', 'email']);
  const slackChannel = r.string(alertingRaw, 'slackChannel', 'alerting.slackChannel', 'a Slack channel such as #alerts', { pattern: /^[#@]?[\w.-]+$/ });
  const email = r.string(alertingRaw, 'email', 'alerting.email', 'an e-mail address', { optional: true, pattern: EMAIL });

  for (const key of REQUIRED_SECRET_KEYS) {
    const value = raw[key];
    if (typeof value !== 'string' || value === '') {
      r.missing(key, `secret; set it with \`pulumi config set --secret ${CONFIG_NAMESPACE}:${key} <value>\``);
    }
  }

  const stackNetwork = networkConfig(r, raw, 'network');
  const pipelines: PipelineConfig[] = [];
  const seen = new Set<string>();
  const pipelinesRaw = r.list(raw, 'pipelines', 'pipelines', 'the pipelines to deploy') ?? [];
  pipelinesRaw.forEach((entry, i) => {
    const at = `pipelines[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      r.bad(at, `must be a map, got ${describe(entry)}`);
      return;
    }
    const p = entry as Raw;
    r.onlyKnown(p, at, PIPELINE_KEYS);
    const name = r.string(p, 'name', `${at}.name`, 'lower-case letters, digits and hyphens, at most 20 characters', { pattern: NAME });
    if (name && seen.has(name)) r.bad(`${at}.name`, `duplicates another pipeline's name ${JSON.stringify(name)}`);
    if (name) seen.add(name);
    const src = r.object(p, 'source', `${at}.source`, 'kind and name of the source') ?? {};
    r.onlyKnown(src, `${at}.source`, ['kind', 'name', 'secretArn', 'apiUrl', 'endpoints']);
    const sourceKind = r.oneOf<SourceKind>(src, 'kind', `${at}.source.kind`, SOURCE_KINDS);
    const sourceName = r.string(src, 'name', `${at}.source.name`, 'lower-case source name', { pattern: /^[a-z][a-z0-9_-]{0,39}$/ });
    const sourceSecretArn = secretArn(r, src, `${at}.source.secretArn`, accountId, region);
    const rest = restSource(r, src, `${at}.source`, sourceKind);
    const wh = r.object(p, 'warehouse', `${at}.warehouse`, 'kind of the warehouse') ?? {};
    r.onlyKnown(wh, `${at}.warehouse`, ['kind', 'secretArn', 'stage', 'snowflakeIntegration', ...REDSHIFT_FIELDS]);
    const warehouseKind = r.oneOf<WarehouseKind>(wh, 'kind', `${at}.warehouse.kind`, WAREHOUSE_KINDS);
    const warehouseSecretArn = secretArn(r, wh, `${at}.warehouse.secretArn`, accountId, region);
    const snowflake = snowflakeWarehouse(r, wh, `${at}.warehouse`, warehouseKind);
    const redshift = redshiftWarehouse(r, wh, `${at}.warehouse`, warehouseKind, warehouseSecretArn);
    const branches = sourceKind && warehouseKind ? pipelineBranches(sourceKind, warehouseKind) : undefined;
    const backfillKinds = SOURCE_KINDS.filter((k) => SOURCE_CAPABILITIES[k].backfill).join(', ');
    const reconcileKinds = `${SOURCE_KINDS.filter((k) => SOURCE_CAPABILITIES[k].reconcile).join(', ')} sources with a ${WAREHOUSE_KINDS.filter((k) => WAREHOUSE_CAPABILITIES[k].reconcile).join(', ')} warehouse`;
    const branchOnly = (field: string, what: string, supported: boolean | undefined): boolean => {
      if (p[field] === undefined || p[field] === null) return true;
      if (supported === false) {
        r.bad(`${at}.${field}`, `applies only to ${what}, got it for a ${sourceKind ?? 'unknown'} source and ${warehouseKind ?? 'unknown'} warehouse`);
        return false;
      }
      return true;
    };
    const backfillRaw = branchOnly('backfill', `${backfillKinds} sources`, branches?.backfill) ? (r.object(p, 'backfill', `${at}.backfill`, 'chunkRows, maxConcurrency', { optional: true }) ?? {}) : {};
    r.onlyKnown(backfillRaw, `${at}.backfill`, ['chunkRows', 'maxConcurrency']);
    const chunkRows = r.number(backfillRaw, 'chunkRows', `${at}.backfill.chunkRows`, 'rows per backfill chunk', { optional: true, min: 1000 }) ?? DEFAULTS.chunkRows;
    // A Distributed Map runs at most 10,000 child executions at a time.
    const maxConcurrency = r.number(backfillRaw, 'maxConcurrency', `${at}.backfill.maxConcurrency`, 'chunks at a time', { optional: true, min: 1, max: 10_000 }) ?? DEFAULTS.backfillMaxConcurrency;
    const reconcileSchedule = branchOnly('reconcileSchedule', reconcileKinds, branches?.reconcile)
      ? (r.string(p, 'reconcileSchedule', `${at}.reconcileSchedule`, 'an EventBridge Scheduler expression such as rate(1 day)', { optional: true, pattern: SCHEDULE }) ?? DEFAULTS.reconcileSchedule)
      : DEFAULTS.reconcileSchedule;
    const schedule = r.string(p, 'schedule', `${at}.schedule`, 'an EventBridge Scheduler expression such as rate(20 minutes)', { pattern: SCHEDULE });
    const sla = r.number(p, 'freshnessSlaMinutes', `${at}.freshnessSlaMinutes`, 'minutes', { optional: true, min: 5, max: 1440 }) ?? DEFAULTS.freshnessSlaMinutes;
    const logLevel = r.oneOf<LogLevel>(p, 'logLevel', `${at}.logLevel`, ['DEBUG', 'INFO', 'WARN', 'ERROR'], { optional: true }) ?? (DEFAULTS.logLevel as LogLevel);
    const memRaw = r.object(p, 'memoryMb', `${at}.memoryMb`, 'memory per step', { optional: true }) ?? {};
    const memoryMb: Partial<Record<PipelineFunction, number>> = {};
    r.onlyKnown(memRaw, `${at}.memoryMb`, PIPELINE_FUNCTIONS);
    for (const key of Object.keys(memRaw)) {
      if (!isPipelineFunction(key)) continue;
      const mb = r.number(memRaw, key, `${at}.memoryMb.${key}`, 'MB of memory', { min: 128, max: 10240 });
      if (mb !== undefined) memoryMb[key] = mb;
    }
    const ownNetwork = networkConfig(r, p, `${at}.network`);
    const needs = sourceKind && warehouseKind ? pipelineNetworkNeeds(sourceKind, warehouseKind) : undefined;
    const network = ownNetwork ?? (needs?.private && stackNetwork ? ('stack' as const) : undefined);
    const chosen = network === 'stack' ? stackNetwork : network;
    if (chosen && 'create' in chosen && needs?.internet && !chosen.create.internet) {
      const reaches = sourceKind === 'rest' ? 'a REST API' : `a ${warehouseKind} warehouse`;
      r.bad(`${ownNetwork ? `${at}.network` : 'network'}.create.internet`, `must be true: pipeline ${JSON.stringify(name)} reaches ${reaches} over the internet, and a created network has no NAT gateway without it`);
    }
    if (name && sourceKind && sourceName && warehouseKind && schedule) {
      pipelines.push({
        name,
        source: { kind: sourceKind, name: sourceName, ...(sourceSecretArn ? { secretArn: sourceSecretArn } : {}), ...rest },
        warehouse: { kind: warehouseKind, ...(warehouseSecretArn ? { secretArn: warehouseSecretArn } : {}), ...snowflake, ...(redshift ? { redshift } : {}) },
        backfill: { chunkRows, maxConcurrency },
        reconcileSchedule,
        schedule,
        scheduleEnabled: r.boolean(p, 'scheduleEnabled', `${at}.scheduleEnabled`, true),
        freshnessSlaMinutes: sla,
        logLevel,
        memoryMb,
        ...(network ? { network } : {}),
      });
    }
  });

  const delivery = validateDelivery(r, raw);

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return {
    environment: environment!,
    accountId: accountId!,
    region: region!,
    deployRoleArn: deployRoleArn!,
    logRetentionDays: retention!,
    tags: tags as PlatformTags,
    lake: {
      rawInfrequentAccessAfterDays: ia!,
      rawArchiveAfterDays: archive!,
      noncurrentVersionExpirationDays: noncurrent!,
      forceDestroy,
    },
    alerting: { slackChannel: slackChannel!, ...(email ? { email } : {}) },
    pipelines,
    ...(delivery ? { delivery } : {}),
    ...(stackNetwork ? { network: stackNetwork } : {}),
  };
}

const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const PRIVATE_CIDR = /^(10\.\d{1,3}|172\.(1[6-9]|2\d|3[01])|192\.168)\.\d{1,3}\.\d{1,3}\/(1[6-9]|2[0-4])$/;

/** `network`: `{ subnetIds, securityGroupIds }` of an existing VPC, or `{ create: { ... } }`. */
function networkConfig(r: Reader, obj: Raw, path: string): NetworkConfig | undefined {
  const n = r.object(obj, 'network', path, 'subnetIds and securityGroupIds of an existing VPC, or create: {...}', { optional: true });
  if (!n) return undefined;
  r.onlyKnown(n, path, ['subnetIds', 'securityGroupIds', 'create']);
  if (n.create !== undefined && n.create !== null) {
    if (n.subnetIds !== undefined || n.securityGroupIds !== undefined) return r.bad(path, 'names an existing VPC (subnetIds, securityGroupIds) and create: give one or the other');
    const c = r.object(n, 'create', `${path}.create`, 'cidrBlock, availabilityZones, internet (all optional)') ?? {};
    r.onlyKnown(c, `${path}.create`, ['cidrBlock', 'availabilityZones', 'internet']);
    const cidrBlock =
      r.string(c, 'cidrBlock', `${path}.create.cidrBlock`, 'a private IPv4 range from /16 to /24, such as 10.40.0.0/16', { optional: true, pattern: PRIVATE_CIDR }) ?? '10.40.0.0/16';
    const availabilityZones = r.number(c, 'availabilityZones', `${path}.create.availabilityZones`, 'availability zones with a private subnet', { optional: true, min: 1, max: 6 }) ?? 2;
    return { create: { cidrBlock, availabilityZones, internet: r.boolean(c, 'internet', `${path}.create.internet`, false) } };
  }
  const ids = (key: 'subnetIds' | 'securityGroupIds', pattern: RegExp, what: string, max: number): string[] | undefined => {
    const items = r.list(n, key, `${path}.${key}`, what);
    if (!items) return undefined;
    const bad = items.filter((i) => typeof i !== 'string' || !pattern.test(i));
    if (bad.length) return r.bad(`${path}.${key}`, `must list only ${what}, got ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
    if (items.length > max) return r.bad(`${path}.${key}`, `may list at most ${max} (Lambda's limit), got ${items.length}`);
    return items as string[];
  };
  const subnetIds = ids('subnetIds', SUBNET_ID, 'private subnet ids (subnet-0123abcd...)', 16);
  const securityGroupIds = ids('securityGroupIds', SECURITY_GROUP_ID, 'security group ids (sg-0123abcd...)', 5);
  return subnetIds && securityGroupIds ? { subnetIds, securityGroupIds } : undefined;
}

function isPipelineFunction(key: string): key is PipelineFunction {
  return (PIPELINE_FUNCTIONS as readonly string[]).includes(key);
}

/** `source.apiUrl` and `source.endpoints`: REST sources only. */
function restSource(r: Reader, src: Raw, at: string, kind: SourceKind | undefined): { apiUrl?: string; endpoints?: string[] } {
  if (kind !== 'rest') {
    for (const field of ['apiUrl', 'endpoints']) {
      if (src[field] !== undefined && src[field] !== null) r.bad(`${at}.${field}`, `applies only to rest sources, got it for a ${kind ?? 'unknown'} source`);
    }
    return {};
  }
  const apiUrl = r.string(src, 'apiUrl', `${at}.apiUrl`, 'an https:// URL such as https://v3.recurly.com', { optional: true, pattern: HTTPS_URL });
  const raw = parseJsonString(src.endpoints);
  let endpoints: string[] | undefined;
  if (raw !== undefined && raw !== null) {
    const items = typeof raw === 'string' ? raw.split(',').map((e) => e.trim()) : raw;
    if (!Array.isArray(items) || items.length === 0) {
      r.bad(`${at}.endpoints`, `must be a non-empty list of ${REST_ENDPOINTS.join(', ')}, got ${describe(raw)}`);
    } else {
      const bad = items.filter((e) => typeof e !== 'string' || !(REST_ENDPOINTS as readonly string[]).includes(e));
      if (bad.length) r.bad(`${at}.endpoints`, `must list only ${REST_ENDPOINTS.join(', ')}, got ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
      else if (new Set(items).size !== items.length) r.bad(`${at}.endpoints`, 'lists an endpoint twice');
      else endpoints = items as string[];
    }
  }
  return { ...(apiUrl ? { apiUrl } : {}), ...(endpoints ? { endpoints } : {}) };
}

/** `warehouse.stage` and `warehouse.snowflakeIntegration`: Snowflake warehouses only. */
function snowflakeWarehouse(
  r: Reader,
  wh: Raw,
  at: string,
  kind: WarehouseKind | undefined,
): { stage?: string; snowflakeIntegration?: { iamUserArn: string; externalId: string } } {
  if (kind !== 'snowflake') {
    for (const field of ['stage', 'snowflakeIntegration']) {
      if (wh[field] !== undefined && wh[field] !== null) r.bad(`${at}.${field}`, `applies only to snowflake warehouses, got it for a ${kind ?? 'unknown'} warehouse`);
    }
    return {};
  }
  const stage = r.string(wh, 'stage', `${at}.stage`, 'a Snowflake stage name such as TRIBUTARY_PROCESSED_STAGE (optionally database.schema.stage)', {
    optional: true,
    pattern: SNOWFLAKE_IDENT,
  });
  const integrationRaw = r.object(wh, 'snowflakeIntegration', `${at}.snowflakeIntegration`, 'iamUserArn and externalId from DESC INTEGRATION', { optional: true });
  let snowflakeIntegration: { iamUserArn: string; externalId: string } | undefined;
  if (integrationRaw) {
    r.onlyKnown(integrationRaw, `${at}.snowflakeIntegration`, ['iamUserArn', 'externalId']);
    const iamUserArn = r.string(integrationRaw, 'iamUserArn', `${at}.snowflakeIntegration.iamUserArn`, "the integration's STORAGE_AWS_IAM_USER_ARN (arn:aws:iam::<account>:user/<name>)", {
      pattern: IAM_USER_ARN,
    });
    const externalId = r.string(integrationRaw, 'externalId', `${at}.snowflakeIntegration.externalId`, "the integration's STORAGE_AWS_EXTERNAL_ID", { pattern: /^[\w+=,.@:\/-]{2,1224}$/ });
    if (iamUserArn && externalId) snowflakeIntegration = { iamUserArn, externalId };
  }
  return { ...(stage ? { stage } : {}), ...(snowflakeIntegration ? { snowflakeIntegration } : {}) };
}

const REDSHIFT_NAME = /^[a-z][a-z0-9-]{2,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REDSHIFT_DATABASE = /^[a-z_][a-z0-9_$]{0,63}$/;
const REDSHIFT_FIELDS = ['workgroup', 'workgroupId', 'clusterIdentifier', 'dbUser', 'database'];

/** `warehouse.workgroup | clusterIdentifier`, `database` …: Redshift warehouses only. */
function redshiftWarehouse(r: Reader, wh: Raw, at: string, kind: WarehouseKind | undefined, secretArn: string | undefined): RedshiftWarehouseConfig | undefined {
  if (kind !== 'redshift') {
    for (const field of REDSHIFT_FIELDS) {
      if (wh[field] !== undefined && wh[field] !== null) r.bad(`${at}.${field}`, `applies only to redshift warehouses, got it for a ${kind ?? 'unknown'} warehouse`);
    }
    return undefined;
  }
  const workgroup = r.string(wh, 'workgroup', `${at}.workgroup`, 'a Redshift Serverless workgroup name', { optional: true, pattern: REDSHIFT_NAME });
  const clusterIdentifier = r.string(wh, 'clusterIdentifier', `${at}.clusterIdentifier`, 'a Redshift cluster identifier', { optional: true, pattern: REDSHIFT_NAME });
  if (!wh.workgroup && !wh.clusterIdentifier) {
    r.missing(`${at}.workgroup`, 'a Serverless workgroup, or clusterIdentifier for a provisioned cluster');
  }
  if (wh.workgroup && wh.clusterIdentifier) r.bad(`${at}.clusterIdentifier`, 'cannot be given with workgroup: name one or the other');
  const workgroupId = workgroup
    ? r.string(wh, 'workgroupId', `${at}.workgroupId`, 'the workgroup id (the last part of its ARN, `aws redshift-serverless get-workgroup`), which scopes the Data API permissions', { pattern: UUID })
    : undefined;
  const dbUser = clusterIdentifier ? r.string(wh, 'dbUser', `${at}.dbUser`, 'the database user the load runs as', { optional: secretArn !== undefined, pattern: /^[a-z_][a-z0-9_$]{0,126}$/ }) : undefined;
  if (!clusterIdentifier && wh.dbUser !== undefined) r.bad(`${at}.dbUser`, 'applies only with clusterIdentifier');
  const database = r.string(wh, 'database', `${at}.database`, 'the Redshift database the pipeline loads', { pattern: REDSHIFT_DATABASE });
  if (!database || (!workgroup && !clusterIdentifier)) return undefined;
  return {
    ...(workgroup ? { workgroup, ...(workgroupId ? { workgroupId } : {}) } : { clusterIdentifier: clusterIdentifier!, ...(dbUser ? { dbUser } : {}) }),
    database,
  };
}

function secretArn(r: Reader, obj: Raw, path: string, accountId: string | undefined, region: string | undefined): string | undefined {
  const arn = r.string(obj, 'secretArn', path, 'a Secrets Manager secret ARN', { optional: true, pattern: SECRET_ARN });
  if (!arn) return undefined;
  const [, arnRegion, arnAccount] = SECRET_ARN.exec(arn) ?? [];
  if ((accountId && arnAccount !== accountId) || (region && arnRegion !== region)) {
    return r.bad(path, `must be a secret in the stack's account and region (${accountId}, ${region}), got ${JSON.stringify(arn)}`);
  }
  return arn;
}

function validateDelivery(r: Reader, raw: Raw): DeliveryConfig | undefined {
  const d = r.object(raw, 'delivery', 'delivery', 'the delivery pipeline', { optional: true });
  if (!d) return undefined;
  r.onlyKnown(d, 'delivery', ['repository', 'branch', 'connectionProvider', 'stateBackendUrl', 'stateKeyArn', 'deployments']);
  const repository = r.string(d, 'repository', 'delivery.repository', 'owner/name of the Git repository', { pattern: REPOSITORY });
  const branch = r.string(d, 'branch', 'delivery.branch', 'the branch to deliver');
  const connectionProvider =
    r.oneOf(d, 'connectionProvider', 'delivery.connectionProvider', ['GitHub', 'GitHubEnterpriseServer', 'Bitbucket', 'GitLab'] as const, {
      optional: true,
    }) ?? 'GitHub';
  const stateBackendUrl = r.string(d, 'stateBackendUrl', 'delivery.stateBackendUrl', 'the state bucket as s3://bucket (no prefix: each stack has its own)', { pattern: STATE_BACKEND });
  const stateKeyArn = r.string(d, 'stateKeyArn', 'delivery.stateKeyArn', 'the state bucket KMS key ARN', { pattern: KMS_KEY_ARN });
  const deployments: DeliveryDeployment[] = [];
  const list = r.list(d, 'deployments', 'delivery.deployments', 'the stacks to deploy, in order') ?? [];
  list.forEach((entry, i) => {
    const at = `delivery.deployments[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      r.bad(at, `must be a map, got ${describe(entry)}`);
      return;
    }
    const e = entry as Raw;
    r.onlyKnown(e, at, ['stack', 'roleArn', 'secretsKeyArn', 'approval']);
    const stack = r.string(e, 'stack', `${at}.stack`, 'a stack name', { pattern: NAME });
    const roleArn = r.string(e, 'roleArn', `${at}.roleArn`, 'the deploy role ARN in that stack account', { pattern: ROLE_ARN });
    const secretsKeyArn = r.string(e, 'secretsKeyArn', `${at}.secretsKeyArn`, "the stack's own secrets-provider KMS key ARN", { pattern: KMS_KEY_ARN });
    if (stack && roleArn && secretsKeyArn) deployments.push({ stack, roleArn, secretsKeyArn, approval: r.boolean(e, 'approval', `${at}.approval`, false) });
  });
  const keys = deployments.map((x) => x.secretsKeyArn);
  if (new Set(keys).size !== keys.length) r.bad('delivery.deployments', 'each stack needs its own secretsKeyArn (a shared key lets one stage decrypt another stack\'s secrets)');
  if (!repository || !branch || !stateBackendUrl || !stateKeyArn) return undefined;
  return { repository, branch, connectionProvider, stateBackendUrl, stateKeyArn, deployments };
}
