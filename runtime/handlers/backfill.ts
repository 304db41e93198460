import { DEFAULTS, ENV } from '../contract';
import { UsageError } from '../config/urls';
import { pipelineFromEnv } from '../pipeline/deployed';
import { envCheckpoint } from '../pipeline/faults';
import type { BackfillChunkRef } from '../pipeline/kinds';
import { instrumentHandler } from '../telemetry/handler';

/**
 * The state machine's backfill branch: `plan` lists the chunks (empty when no table needs a
 * backfill), a Map state runs `chunk` for each, then `finish` writes the manifest and moves the
 * watermarks. Every action is safe to retry.
 */
export type BackfillEvent =
  | { action: 'plan' }
  | { action: 'chunk'; backfillId: string; chunk: BackfillChunkRef }
  | { action: 'finish'; backfillId: string };

export type BackfillOutput =
  | { action: 'plan'; backfillId: string | null; chunkCount: number; chunksKey: string | null }
  | { action: 'chunk'; backfillId: string; table: string; index: number; rows: number; skipped: boolean }
  | { action: 'finish'; backfillId: string; manifestRunId: string; rows: number };

export async function backfillStage(event: BackfillEvent, env: NodeJS.ProcessEnv = process.env): Promise<BackfillOutput> {
  const pipeline = pipelineFromEnv(env);
  const backfill = pipeline.source.backfill;
  if (!backfill) throw new UsageError(`a ${pipeline.source.kind} source has no backfill`);
  const ctx = { lake: pipeline.lake, source: pipeline.sourceName, checkpoint: envCheckpoint(env) };
  if (event.action === 'finish') {
    return { action: 'finish', backfillId: event.backfillId, ...(await backfill.finish(ctx, event.backfillId)) };
  }
  if (event.action === 'plan') {
    const chunkRows = Number(env[ENV.chunkRows] ?? DEFAULTS.chunkRows);
    const plan = await backfill.plan({ ...ctx, chunkRows });
    // The chunk list stays in the lake (a Distributed Map reads it there): thousands of chunks
    // would not fit in a state's 256 KB payload.
    return { action: 'plan', backfillId: plan?.backfillId ?? null, chunkCount: plan?.chunkCount ?? 0, chunksKey: plan?.chunksKey ?? null };
  }
  if (event.action === 'chunk') {
    const result = await backfill.chunk(ctx, event.backfillId, event.chunk);
    return { action: 'chunk', backfillId: event.backfillId, table: event.chunk.table, index: event.chunk.index, ...result };
  }
  throw new UsageError(`unknown backfill action ${JSON.stringify((event as { action?: unknown }).action)}`);
}

export const handler = instrumentHandler<BackfillEvent, BackfillOutput>('backfill', (event) => backfillStage(event), {
  summarize: (out) => ({ action: out.action, backfill_id: out.backfillId }),
});
