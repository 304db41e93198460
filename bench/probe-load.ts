/**
 * `npx tsx bench/probe-load.ts [N]`: why the load step is slow. Runs one full pipeline pass
 * on N generated sales orders (default 100000) on an embedded PostgreSQL, then re-inserts
 * fact_sales_order's rows from a staging copy the way `appendFacts` does, and with one cost
 * removed at a time (each variant in a transaction rolled back), plus a set-based orphan
 * check that could replace the per-row foreign-key triggers; and the whole load again into a
 * warehouse whose fact foreign keys are NOT ENFORCED. Findings in docs/benchmarks.md.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../runtime/cli/embedded';
import { LocalObjectStore } from '../runtime/lake/local';
import { transformPending } from '../runtime/model/transform';
import { TOTESYS_STAR } from '../runtime/model/totesys/star';
import { extractPostgres } from '../runtime/sources/postgres/extract';
import { seedTotesys } from '../runtime/sources/postgres/seed';
import { TOTESYS_TABLES } from '../runtime/sources/postgres/tables';
import { PostgresWarehouse } from '../runtime/warehouse/postgres/warehouse';
import { loadPendingRuns } from '../runtime/pipeline/load-step';

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function main(n: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tributary-probe-'));
  chmodSync(work, 0o711);
  const server = await startEmbeddedPostgres({ dataDir: join(work, 'pg') });
  const c = new Client({ connectionString: server.adminUrl });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('CREATE DATABASE probe_source');
    await c.query('CREATE DATABASE probe_warehouse');
    await c.query('CREATE DATABASE probe_warehouse_unenforced');
    await c.end();
    const sourceUrl = withDatabase(server.adminUrl, 'probe_source');
    const warehouseUrl = withDatabase(server.adminUrl, 'probe_warehouse');
    await seedTotesys({ sourceUrl, generate: n });
    const lake = new LocalObjectStore(join(work, 'lake'));
    await extractPostgres({ sourceUrl, lake, source: 'totesys', tables: TOTESYS_TABLES });
    await transformPending({ lake, source: 'totesys', workDir: work });
    const wh = await PostgresWarehouse.connect(warehouseUrl, TOTESYS_STAR, work);
    await wh.ensureSchema();
    const t0 = performance.now();
    await loadPendingRuns(wh, lake, 'totesys');
    console.log(`full load, as is: ${Math.round(performance.now() - t0)} ms`);
    await wh.close();

    // The same load into a warehouse whose fact foreign keys are NOT ENFORCED (PostgreSQL 18).
    const unenforcedUrl = withDatabase(server.adminUrl, 'probe_warehouse_unenforced');
    const ne = await PostgresWarehouse.connect(unenforcedUrl, TOTESYS_STAR, work);
    await ne.ensureSchema();
    const fks = await ne.connection.query<{ t: string; name: string }>(
      `SELECT conrelid::regclass::text AS t, conname AS name FROM pg_constraint WHERE contype = 'f' AND conenforced AND conrelid::regclass::text LIKE 'fact\\_%'`,
    );
    for (const fk of fks.rows) await ne.connection.query(`ALTER TABLE ${fk.t} ALTER CONSTRAINT "${fk.name}" NOT ENFORCED`);
    const t1 = performance.now();
    await loadPendingRuns(ne, lake, 'totesys');
    console.log(`full load, after altering ${fks.rowCount} enforced fact foreign keys to NOT ENFORCED: ${Math.round(performance.now() - t1)} ms`);
    await ne.close();

    const w = new Client({ connectionString: warehouseUrl });
    w.on('error', () => undefined);
    await w.connect();
    const fact = TOTESYS_STAR.facts.find((f) => f.name === 'fact_sales_order')!;
    const cols = fact.columns.map((x) => x.name).join(', ');
    const key = fact.versionKey.join(', ');
    await w.query(`CREATE TABLE probe_stage AS SELECT ${cols} FROM ${fact.name}`);
    await w.query('ANALYZE');
    const insert = `INSERT INTO ${fact.name} (${cols}) SELECT ${cols} FROM probe_stage`;
    const timed = async (name: string, setup: string[], sql: string): Promise<void> => {
      await w.query('BEGIN');
      try {
        await w.query(`TRUNCATE ${fact.name}`);
        for (const s of setup) await w.query(s);
        const t = performance.now();
        const res = await w.query(sql);
        console.log(`${name.padEnd(58)} ${String(Math.round(performance.now() - t)).padStart(6)} ms  ${res.rowCount ?? ''}`);
      } finally {
        await w.query('ROLLBACK');
      }
    };
    const noTriggers = 'SET LOCAL session_replication_role = replica';
    const enforced = await w.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = '${fact.name}'::regclass AND contype = 'f' AND conenforced`,
    );
    await timed(`appendFacts as is (ORDER BY, ON CONFLICT, ${enforced.rows[0].n} FK triggers)`, [], `${insert} ORDER BY ${key} ON CONFLICT (${key}) DO NOTHING`);
    await timed('without ORDER BY', [], `${insert} ON CONFLICT (${key}) DO NOTHING`);
    await timed('without FK triggers', [noTriggers], `${insert} ORDER BY ${key} ON CONFLICT (${key}) DO NOTHING`);
    await timed('without FK triggers and ON CONFLICT', [noTriggers], insert);
    const refs = fact.foreignKeys
      .map((fk) => {
        const dim = TOTESYS_STAR.dimensions.find((d) => d.name === fk.references)!;
        return { column: fk.column, dim: dim.name, key: dim.key };
      })
      .concat(fact.dateColumns.map((column) => ({ column, dim: 'dim_date', key: 'date_id' })));
    const orphans = refs
      .map((r) => `(SELECT count(*) FROM probe_stage s WHERE s.${r.column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${r.dim} d WHERE d.${r.key} = s.${r.column}))`)
      .join(' + ');
    await timed(`set-based orphan check of the ${refs.length} references`, [], `SELECT ${orphans} AS orphans`);
    await w.end();
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main(Number(process.argv[2] ?? 100_000)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
