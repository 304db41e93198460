import { buildDeployedSite, type ExecutionStatusEvent, type SiteBuildResult } from '../docs/deployed';
import { instrumentHandler } from '../telemetry/handler';

/**
 * Lambda entry point of the deployed docs site: EventBridge invokes it when an execution of a
 * pipeline's state machine ends (and on its schedule); it rebuilds `site/index.html`.
 */
export const handler = instrumentHandler<ExecutionStatusEvent, SiteBuildResult>('site', (event) => buildDeployedSite(event), {
  summarize: (out) => ({ site_key: out.key, site_bytes: out.bytes, runs: out.runs, sources: out.sources, closed_run: out.closedRun }),
});
