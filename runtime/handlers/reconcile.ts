import { ENV } from '../contract';
import { pipelineFromEnv } from '../pipeline/deployed';
import { reconcilePipeline } from '../pipeline/reconcile';
import { instrumentHandler } from '../telemetry/handler';
import { publishAlert } from '../telemetry/publish';

export interface ReconcileEvent {
  /** Report only; the scheduled branch repairs by default. */
  dryRun?: boolean;
}

export interface ReconcileOutput {
  runId?: string;
  changed: number;
  missing: number;
  extra: number;
  repairedRows: number;
}

/** The scheduled reconciliation branch: compare source and warehouse, repair, report. */
export async function reconcileStage(event: ReconcileEvent, env: NodeJS.ProcessEnv = process.env): Promise<ReconcileOutput> {
  const pipeline = pipelineFromEnv(env);
  const report = await reconcilePipeline(pipeline, { repair: event.dryRun !== true });
  const differing = report.tables.filter((t) => t.changed.length || t.missing.length || t.extra.length);
  if (differing.length) {
    await publishAlert(
      {
        kind: 'data-quality',
        pipeline: pipeline.pipeline,
        environment: env[ENV.environment] ?? 'unknown',
        runId: report.runId ?? 'reconcile',
        checks: differing.map((t) => ({
          name: 'reconciliation',
          table: t.table,
          passed: false,
          detail: `${t.changed.length} changed, ${t.missing.length} missing, ${t.extra.length} only in warehouse${report.runId ? ' (repaired)' : ''}`,
        })),
      },
      env,
    );
  }
  return {
    runId: report.runId,
    changed: report.tables.reduce((n, t) => n + t.changed.length, 0),
    missing: report.tables.reduce((n, t) => n + t.missing.length, 0),
    extra: report.tables.reduce((n, t) => n + t.extra.length, 0),
    repairedRows: report.repaired.flatMap((r) => r.tables).reduce((n, t) => n + t.applied, 0),
  };
}

export const handler = instrumentHandler<ReconcileEvent, ReconcileOutput>('reconcile', (event) => reconcileStage(event), {
  summarize: (out) => ({ ...out }),
});
