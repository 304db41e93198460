import { functionSettings, postgresUrlFromEnv } from '../config/environment';
import { UsageError } from '../config/urls';
import { envCheckpoint } from '../pipeline/faults';
import { DEFAULT_CHUNK_ROWS } from '../pipeline/run';
import { activePlan, chunksKey, finishBackfill, planBackfill, runBackfillChunk, type BackfillChunk } from '../sources/postgres/backfill';
import { TOTESYS_TABLES } from '../sources/postgres/tables';
import { instrumentHandler } from '../telemetry/handler';

/**
 * The state machine's backfill branch: `plan` lists the chunks (empty when no table needs a
 * backfill), a Map state runs `chunk` for each, then `finish` writes the manifest and moves the
 * watermarks. Every action is safe to retry.
 */
export type BackfillEvent =
  | { action: 'plan' }
  | { action: 'chunk'; backfillId: string; chunk: BackfillChunk }
  | { action: 'finish'; backfillId: string };

export type BackfillOutput =
  | { action: 'plan'; backfillId: string | null; chunkCount: number; chunksKey: string | null }
  | { action: 'chunk'; backfillId: string; table: string; index: number; rows: number; skipped: boolean }
  | { action: 'finish'; backfillId: string; manifestRunId: string; rows: number };

async function planFor(settings: ReturnType<typeof functionSettings>, backfillId: string) {
  const plan = await activePlan(settings.lake, settings.source);
  if (!plan || plan.backfillId !== backfillId) throw new UsageError(`backfill ${backfillId} is not the active backfill of ${settings.source}`);
  return plan;
}

export async function backfillStage(event: BackfillEvent, env: NodeJS.ProcessEnv = process.env): Promise<BackfillOutput> {
  const settings = functionSettings(env);
  if (event.action === 'finish') {
    const manifest = await finishBackfill(settings.lake, await planFor(settings, event.backfillId), TOTESYS_TABLES);
    return { action: 'finish', backfillId: event.backfillId, manifestRunId: manifest.runId, rows: Object.values(manifest.tables).reduce((n, t) => n + t.rows, 0) };
  }
  const sourceUrl = await postgresUrlFromEnv(env, 'TRIBUTARY_SOURCE_SECRET_ARN', 'TRIBUTARY_SOURCE_URL');
  if (event.action === 'plan') {
    const chunkRows = Number(env.TRIBUTARY_CHUNK_ROWS ?? DEFAULT_CHUNK_ROWS);
    const plan = await planBackfill({ sourceUrl, lake: settings.lake, source: settings.source, tables: TOTESYS_TABLES, chunkRows });
    // The chunk list stays in the lake (a Distributed Map reads it there): thousands of chunks
    // would not fit in a state's 256 KB payload.
    return { action: 'plan', backfillId: plan?.backfillId ?? null, chunkCount: plan?.chunks.length ?? 0, chunksKey: plan ? chunksKey(settings.source, plan.backfillId) : null };
  }
  if (event.action === 'chunk') {
    const plan = await planFor(settings, event.backfillId);
    const result = await runBackfillChunk({ sourceUrl, lake: settings.lake, tables: TOTESYS_TABLES, checkpoint: envCheckpoint(env) }, plan, event.chunk);
    return { action: 'chunk', backfillId: event.backfillId, table: event.chunk.table, index: event.chunk.index, ...result };
  }
  throw new UsageError(`unknown backfill action ${JSON.stringify((event as { action?: unknown }).action)}`);
}

export const handler = instrumentHandler<BackfillEvent, BackfillOutput>('backfill', (event) => backfillStage(event), {
  summarize: (out) => ({ action: out.action, backfill_id: out.backfillId }),
});
