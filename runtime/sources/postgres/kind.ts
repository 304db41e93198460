import { DEFAULTS, ENV } from '../../contract';
import { postgresUrlFromEnv } from '../../config/environment';
import { optionalString, positiveInteger } from '../../config/options';
import { parsePostgresUrl, UsageError } from '../../config/urls';
import { TOTESYS_RECONCILE } from '../../model/totesys/reconcile';
import { TOTESYS_STAR } from '../../model/totesys/star';
import { totesysUnits, transformPending } from '../../model/transform';
import type { TransformPointerBase, UnitTransform } from '../../model/pending';
import { connectPostgres } from '../../postgres/connect';
import type { BackfillChunkRef, CliValues, SourceBinding, SourceKindAdapter } from '../../pipeline/kinds';
import { once } from '../../config/once';
import { activePlan, chunksKey, finishBackfill, planBackfill, runBackfill, runBackfillChunk, type BackfillChunk } from './backfill';
import { extractPostgres } from './extract';
import { TOTESYS_TABLES } from './tables';

/** A PostgreSQL source holding the totesys tables. */
export interface PostgresSourceSettings {
  kind: 'postgres';
  url: string;
  /** How far below the watermark late commits are looked for (a PostgreSQL interval). */
  lookback?: string;
  /** Tables with no watermark and more rows than this are first backfilled in key-range chunks. */
  chunkRows?: number;
  /** Chunks extracted at once during a backfill. */
  concurrency?: number;
}

function sourceUrlFrom(values: CliValues, env: NodeJS.ProcessEnv): string | undefined {
  const url = optionalString(values.source) ?? env[ENV.sourceUrl];
  if (url) parsePostgresUrl(url, '--source');
  return url;
}

export const postgresSource: SourceKindAdapter<PostgresSourceSettings> = {
  kind: 'postgres',
  model: TOTESYS_STAR,
  tables: TOTESYS_TABLES.map((t) => t.name),
  fromEnv(env) {
    const chunkRows = env[ENV.chunkRows];
    return bindPostgres(once(() => postgresUrlFromEnv(env, ENV.sourceSecretArn, ENV.sourceUrl)), {
      lookback: env[ENV.lookback],
      chunkRows: chunkRows ? Number(chunkRows) : undefined,
    });
  },
  cliOptions: {
    source: { type: 'string' },
    lookback: { type: 'string' },
    'chunk-rows': { type: 'string' },
    concurrency: { type: 'string' },
  },
  async fromCli({ values, env, embedded }) {
    const chunkRows = positiveInteger(optionalString(values['chunk-rows']), '--chunk-rows', 'rows');
    const concurrency = positiveInteger(optionalString(values.concurrency), '--concurrency', 'chunks');
    const url = sourceUrlFrom(values, env) ?? (await embedded('source'));
    return { kind: 'postgres', url, lookback: optionalString(values.lookback), chunkRows, concurrency };
  },
  embeddedWarehouse: true,
  bind: (settings) => bindPostgres(async () => settings.url, settings),
};

/** The binding, with the source URL resolved on first use (a secret read, in a function). */
function bindPostgres(url: () => Promise<string>, settings: Omit<PostgresSourceSettings, 'kind' | 'url'>): SourceBinding {
    const tables = TOTESYS_TABLES;
    return {
      kind: 'postgres',
      model: TOTESYS_STAR,
      tables: tables.map((t) => t.name),
      backfillSettings: { chunkRows: settings.chunkRows ?? DEFAULTS.chunkRows, concurrency: settings.concurrency },
      extract: async (req) =>
        extractPostgres({ sourceUrl: await url(), lake: req.lake, source: req.source, tables, runId: req.runId, lookback: settings.lookback, onProgress: req.onProgress, only: req.only, checkpoint: req.checkpoint, objectRows: req.unitRows }),
      check: async () => {
        const client = await connectPostgres(await url(), 'source');
        await client.end();
      },
      transform: (ctx) => transformPending({ lake: ctx.lake, source: ctx.source, checkpoint: ctx.checkpoint, unitRows: ctx.unitRows }),
      transformUnits: (ctx) => totesysUnits({ lake: ctx.lake, source: ctx.source, checkpoint: ctx.checkpoint }) as UnitTransform<TransformPointerBase>,
      backfill: {
        async runAll(ctx) {
          const done = await runBackfill({ sourceUrl: await url(), lake: ctx.lake, source: ctx.source, tables, chunkRows: ctx.chunkRows, concurrency: ctx.concurrency, checkpoint: ctx.checkpoint });
          return done && { backfillId: done.plan.backfillId, chunks: done.plan.chunks.length, chunksRun: done.chunksRun, chunksSkipped: done.chunksSkipped };
        },
        async plan(ctx) {
          const plan = await planBackfill({ sourceUrl: await url(), lake: ctx.lake, source: ctx.source, tables, chunkRows: ctx.chunkRows });
          return plan && { backfillId: plan.backfillId, chunkCount: plan.chunks.length, chunksKey: chunksKey(ctx.source, plan.backfillId) };
        },
        async chunk(ctx, backfillId, chunk: BackfillChunkRef) {
          const plan = await activeBackfill(ctx.lake, ctx.source, backfillId);
          return runBackfillChunk({ sourceUrl: await url(), lake: ctx.lake, tables, checkpoint: ctx.checkpoint }, plan, chunk as BackfillChunk);
        },
        async finish(ctx, backfillId) {
          const manifest = await finishBackfill(ctx.lake, await activeBackfill(ctx.lake, ctx.source, backfillId), tables);
          return { manifestRunId: manifest.runId, rows: Object.values(manifest.tables).reduce((n, t) => n + t.rows, 0) };
        },
      },
      reconcile: { specs: TOTESYS_RECONCILE, connect: async () => connectPostgres(await url(), 'source') },
    };
}

async function activeBackfill(lake: Parameters<typeof activePlan>[0], source: string, backfillId: string) {
  const plan = await activePlan(lake, source);
  if (!plan || plan.backfillId !== backfillId) throw new UsageError(`backfill ${backfillId} is not the active backfill of ${source}`);
  return plan;
}
