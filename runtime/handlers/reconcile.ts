import { functionSettings, postgresUrlFromEnv } from '../config/environment';
import { reconcileTotesys } from '../pipeline/reconcile';
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
  const settings = functionSettings(env);
  const report = await reconcileTotesys({
    sourceUrl: await postgresUrlFromEnv(env, 'TRIBUTARY_SOURCE_SECRET_ARN', 'TRIBUTARY_SOURCE_URL'),
    warehouseUrl: await postgresUrlFromEnv(env, 'TRIBUTARY_WAREHOUSE_SECRET_ARN', 'TRIBUTARY_WAREHOUSE_URL'),
    lake: settings.lake,
    source: settings.source,
    repair: event.dryRun !== true,
  });
  const differing = report.tables.filter((t) => t.changed.length || t.missing.length || t.extra.length);
  if (differing.length) {
    await publishAlert(
      {
        kind: 'data-quality',
        pipeline: settings.pipeline,
        environment: env.TRIBUTARY_ENVIRONMENT ?? 'unknown',
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
