/**
 * Runs one benchmark step in its own process, so its peak RSS is its own:
 *   node --require tsx/cjs bench/step.ts   (the step is given as JSON in TRIBUTARY_BENCH_STEP)
 * Writes a StepMeasure as JSON to the file the parent named.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { LocalObjectStore } from '../runtime/lake/local';
import { transformPending, totesysUnits } from '../runtime/model/transform';
import { transformNextUnit } from '../runtime/model/pending';
import { activePlan, finishBackfill, planBackfill, runBackfillChunk, type BackfillChunk } from '../runtime/sources/postgres/backfill';
import { DEFAULTS } from '../runtime/contract';
import { TOTESYS_STAR } from '../runtime/model/totesys/star';
import { extractPostgres } from '../runtime/sources/postgres/extract';
import { seedTotesys } from '../runtime/sources/postgres/seed';
import { TOTESYS_TABLES } from '../runtime/sources/postgres/tables';
import { PostgresWarehouse } from '../runtime/warehouse/postgres/warehouse';
import { loadNextUnit, loadPendingRuns } from '../runtime/pipeline/load-step';
import { copyInAll, copyOutAll } from './baseline';
import { watchPeakBytes } from './disk';
import { installProfiler, topTimings } from './profile';
import type { StepMeasure } from './report';

/**
 * The `*-unit`, `backfill-*` steps are one invocation's work each, as the deployed state machine
 * runs them (BackfillPlan, one BackfillChunks child per chunk, BackfillFinish, Transform ⟲,
 * Load ⟲); `extract`, `transform`, `load` are the CLI's whole steps.
 */
export type StepName = 'seed' | 'baseline-out' | 'baseline-in' | 'extract' | 'transform' | 'load' | 'data-tests' | 'change'
  | 'backfill-plan' | 'backfill-chunk' | 'backfill-finish' | 'transform-unit' | 'load-unit';

export interface StepRequest {
  step: StepName;
  sourceUrl: string;
  warehouseUrl: string;
  lakeDir: string;
  workDir: string;
  salesOrders: number;
  /** Let seeding replace totesys tables already in the source database. */
  reset: boolean;
  resultFile: string;
  /** backfill-chunk: the chunk, as the Distributed Map's ItemReader hands it over. */
  chunk?: BackfillChunk;
  /** Rows per backfill chunk and per unit of work (DEFAULTS otherwise). */
  chunkRows?: number;
  unitRows?: number;
}

const SOURCE = 'totesys';

function mb(kb: number): number {
  return Math.round((kb / 1024) * 10) / 10;
}

function cpuMs(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
}

/** 1% of sales orders and payments get a new `last_updated` and a changed value. */
export async function changeOnePercent(sourceUrl: string): Promise<number> {
  const client = new Client({ connectionString: sourceUrl, application_name: 'tributary-bench' });
  await client.connect();
  try {
    await client.query('BEGIN');
    const so = await client.query(
      `UPDATE sales_order SET units_sold = units_sold + 1,
              last_updated = (SELECT max(last_updated) FROM sales_order) + interval '1 day'
       WHERE sales_order_id % 100 = 0`,
    );
    const pay = await client.query(
      `UPDATE payment SET payment_amount = payment_amount + 1, paid = true,
              last_updated = (SELECT max(last_updated) FROM payment) + interval '1 day'
       WHERE payment_id % 100 = 0`,
    );
    await client.query('COMMIT');
    return (so.rowCount ?? 0) + (pay.rowCount ?? 0);
  } finally {
    await client.end();
  }
}

/** The warehouse as a load invocation opens it (schema ensured), closed after `work`. */
async function withWarehouse<T>(req: StepRequest, scratch: string, work: (warehouse: PostgresWarehouse) => Promise<T>): Promise<T> {
  const warehouse = await PostgresWarehouse.connect(req.warehouseUrl, TOTESYS_STAR, scratch);
  try {
    await warehouse.ensureSchema();
    return await work(warehouse);
  } finally {
    await warehouse.close();
  }
}

/**
 * `scratch` is the step's own /tmp: the folder transform and load create their DuckDB spill and
 * staging files in, measured as the step's peak /tmp.
 */
async function runStep(req: StepRequest, scratch: string, timed: <T>(work: () => Promise<T>) => Promise<T>): Promise<{ rows: number; detail?: Record<string, number> }> {
  const lake = new LocalObjectStore(req.lakeDir);
  switch (req.step) {
    case 'seed': {
      const { rows } = await timed(() => seedTotesys({ sourceUrl: req.sourceUrl, generate: req.salesOrders, reset: req.reset }));
      return { rows: Object.values(rows).reduce((a, b) => a + b, 0), detail: rows };
    }
    case 'baseline-out': {
      const out = await timed(() => copyOutAll(req.sourceUrl));
      return { rows: out.rows, detail: { bytes: out.bytes, ...out.perTable } };
    }
    case 'baseline-in': {
      const out = await copyInAll(req.sourceUrl, req.warehouseUrl, req.workDir, timed);
      return { rows: out.rows, detail: out.perTable };
    }
    case 'extract': {
      const res = await timed(() => extractPostgres({ sourceUrl: req.sourceUrl, lake, source: SOURCE, tables: TOTESYS_TABLES }));
      const tables = Object.entries(res.manifest.tables);
      const detail: Record<string, number> = {};
      for (const [name, t] of tables) detail[name] = t.rows;
      detail.gzipBytes = tables.reduce((a, [, t]) => a + t.objects.reduce((b, o) => b + o.bytes, 0), 0);
      if (res.failedTables.length) throw new Error(`extract failed for ${res.failedTables.join(', ')}`);
      return { rows: tables.reduce((a, [, t]) => a + t.rows, 0), detail };
    }
    case 'transform': {
      const results = await timed(() => transformPending({ lake, source: SOURCE, workDir: scratch }));
      const detail: Record<string, number> = { runs: results.length };
      let rows = 0;
      for (const r of results) {
        for (const [name, t] of Object.entries(r.manifest.tables)) {
          detail[name] = (detail[name] ?? 0) + t.rows;
          rows += t.rows;
        }
      }
      return { rows, detail };
    }
    case 'load': {
      const loads = await timed(() => withWarehouse(req, scratch, (warehouse) => loadPendingRuns(warehouse, lake, SOURCE)));
      const detail: Record<string, number> = { runs: loads.length };
      let rows = 0;
      for (const l of loads) {
        for (const t of l.tables) {
          detail[t.table] = (detail[t.table] ?? 0) + t.staged;
          rows += t.staged;
        }
      }
      return { rows, detail };
    }
    case 'backfill-plan': {
      const plan = await timed(() => planBackfill({ sourceUrl: req.sourceUrl, lake, source: SOURCE, tables: TOTESYS_TABLES, chunkRows: req.chunkRows ?? DEFAULTS.chunkRows }));
      return { rows: 0, detail: { chunks: plan?.chunks.length ?? 0 } };
    }
    case 'backfill-chunk': {
      const out = await timed(async () => {
        const plan = await activePlan(lake, SOURCE);
        if (!plan) throw new Error('backfill-chunk: no active backfill plan');
        return runBackfillChunk({ sourceUrl: req.sourceUrl, lake, tables: TOTESYS_TABLES }, plan, req.chunk);
      });
      return { rows: out.rows, detail: { [req.chunk!.table]: out.rows } };
    }
    case 'backfill-finish': {
      await timed(async () => {
        const plan = await activePlan(lake, SOURCE);
        if (!plan) throw new Error('backfill-finish: no active backfill plan');
        return finishBackfill(lake, plan, TOTESYS_TABLES);
      });
      return { rows: 0 };
    }
    case 'transform-unit': {
      const step = await timed(() => transformNextUnit(lake, SOURCE, totesysUnits({ lake, source: SOURCE, workDir: scratch }), req.unitRows ?? DEFAULTS.unitRows));
      let rows = 0;
      const detail: Record<string, number> = { more: step.more ? 1 : 0, runs: step.finished ? 1 : 0 };
      for (const [name, t] of Object.entries(step.finished?.manifest.tables ?? {})) {
        detail[name] = t.rows;
        rows += t.rows;
      }
      return { rows, detail };
    }
    case 'load-unit': {
      const step = await timed(() => withWarehouse(req, scratch, (warehouse) => loadNextUnit(warehouse, lake, SOURCE, { model: TOTESYS_STAR, unitRows: req.unitRows ?? DEFAULTS.unitRows })));
      const detail: Record<string, number> = { more: step.more ? 1 : 0, runs: step.finished ? 1 : 0 };
      let rows = 0;
      for (const t of step.load?.tables ?? []) {
        detail[t.table] = t.staged;
        rows += t.staged;
      }
      return { rows, detail };
    }
    case 'data-tests': {
      // What `tributary run` does after every load (runtime/pipeline/run.ts): whole-table checks.
      const results = await timed(async () => {
        const warehouse = await PostgresWarehouse.connect(req.warehouseUrl, TOTESYS_STAR, scratch);
        try {
          return await warehouse.dataTests();
        } finally {
          await warehouse.close();
        }
      });
      return { rows: results.length, detail: { failures: results.reduce((a, r) => a + r.failures, 0) } };
    }
    case 'change': {
      const rows = await timed(() => changeOnePercent(req.sourceUrl));
      return { rows };
    }
  }
}

async function main(): Promise<void> {
  const raw = process.env.TRIBUTARY_BENCH_STEP;
  if (!raw) throw new Error('bench/step.ts is started by bench/run.ts (TRIBUTARY_BENCH_STEP is not set)');
  const req = JSON.parse(raw) as StepRequest;
  installProfiler();
  const startRssMb = mb(process.resourceUsage().maxRSS);
  let ms = 0;
  let cpu = 0;
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const c0 = cpuMs();
    try {
      return await work();
    } finally {
      ms += performance.now() - t0;
      cpu += cpuMs() - c0;
    }
  };
  const scratch = mkdtempSync(join(req.workDir, `scratch-${req.step}-`));
  const tmpWatch = watchPeakBytes(scratch);
  let tmpPeak = 0;
  let result: Awaited<ReturnType<typeof runStep>>;
  try {
    result = await runStep(req, scratch, timed);
  } finally {
    tmpPeak = await tmpWatch.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  const { rows, detail } = result;
  const measure: StepMeasure = {
    step: req.step,
    rows,
    ms: Math.round(ms),
    cpuMs: Math.round(cpu),
    maxRssMb: mb(process.resourceUsage().maxRSS),
    startRssMb,
    tmpPeakMb: Math.round((tmpPeak / 2 ** 20) * 10) / 10,
    statements: topTimings(),
    ...(detail ? { detail } : {}),
  };
  writeFileSync(req.resultFile, JSON.stringify(measure));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench step failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
