import { DEFAULTS, ENV } from '../contract';
import { lakeFromEnv, required } from '../config/environment';
import { UsageError } from '../config/urls';
import { openLake } from '../lake/open';
import { closeFailedExecution } from '../state/deployed-run';
import { collectSiteData } from './collect';
import { renderSite, singleFileSite } from './render';
import { siteObject } from './site-link';

/** The parts of EventBridge's "Step Functions Execution Status Change" event the site function reads. */
export interface ExecutionStatusEvent {
  'detail-type'?: string;
  detail?: {
    executionArn?: string;
    stateMachineArn?: string;
    status?: string;
    startDate?: number;
    error?: string | null;
    cause?: string | null;
  };
}

export interface SiteBuildResult {
  key: string;
  bytes: number;
  runs: number;
  sources: string[];
  /** The run marked failed because its execution ended badly. */
  closedRun?: string;
}

const ENDED_BADLY = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

function sourcesByStateMachine(env: NodeJS.ProcessEnv): Record<string, string> {
  const text = env[ENV.siteSources];
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, string>;
  } catch {
    throw new UsageError(`${ENV.siteSources} is not JSON ({"<state machine ARN>": "<source>"})`);
  }
}

/**
 * The deployed site: after each execution of a pipeline's state machine (or on its own
 * schedule), closes the run of an execution that ended badly, then renders the site from the
 * lake alone (manifests, run records, state: never a raw or processed object, never a secret)
 * and writes it as one file into the processed bucket (`site/index.html`), the object the
 * alerts link to. Bounded: the newest DEFAULTS.siteMaxRuns runs are read.
 */
export async function buildDeployedSite(event: ExecutionStatusEvent, env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<SiteBuildResult> {
  const lake = lakeFromEnv(env);
  const { bucket, key } = siteObject(required(env, ENV.siteLocation));
  let closedRun: string | undefined;
  const detail = event.detail;
  if (detail?.status && ENDED_BADLY.has(detail.status) && detail.stateMachineArn) {
    const source = sourcesByStateMachine(env)[detail.stateMachineArn];
    if (source) {
      closedRun = await closeFailedExecution(lake, source, {
        startedAt: new Date(detail.startDate ?? now.getTime()),
        status: detail.status,
        error: detail.error ?? undefined,
        cause: detail.cause ?? undefined,
      });
    }
  }
  const maxRuns = Number(env[ENV.siteMaxRuns] ?? DEFAULTS.siteMaxRuns);
  if (!Number.isInteger(maxRuns) || maxRuns < 1) throw new UsageError(`${ENV.siteMaxRuns}=${env[ENV.siteMaxRuns]}: expected a whole number of runs`);
  const data = await collectSiteData({ lake, maxRuns, now });
  const html = singleFileSite(renderSite(data));
  const site = openLake(`s3://${bucket}`, env[ENV.s3Endpoint]);
  await site.put(key, html, 'text/html; charset=utf-8');
  return {
    key,
    bytes: Buffer.byteLength(html),
    runs: data.sources.reduce((n, s) => n + s.runs.length, 0),
    sources: data.sources.map((s) => s.source),
    ...(closedRun ? { closedRun } : {}),
  };
}
