/**
 * `npx tsx bench/probe-extract.ts [N]`: what the extract's gzip level costs. Generates N sales
 * orders (default 1000000) on an embedded PostgreSQL, then runs a full `extractPostgres` into
 * fresh lakes alternately as is (gzip level 6) and with `zlib.createGzip` forced to level 1,
 * printing wall time, CPU time and bytes written. Findings in docs/benchmarks.md.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../runtime/cli/embedded';
import { LocalObjectStore } from '../runtime/lake/local';
import { extractPostgres } from '../runtime/sources/postgres/extract';
import { seedTotesys } from '../runtime/sources/postgres/seed';
import { TOTESYS_TABLES } from '../runtime/sources/postgres/tables';

// The module object itself (an import binding is read-only), which extract.ts reads at call time.
const zlib = createRequire(__filename)('node:zlib') as typeof Zlib;

function cpuMs(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
}

async function main(n: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tributary-probe-'));
  chmodSync(work, 0o711);
  const server = await startEmbeddedPostgres({ dataDir: join(work, 'pg') });
  try {
    const admin = new Client({ connectionString: server.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE probe_source');
    await admin.end();
    const url = new URL(server.adminUrl);
    url.pathname = '/probe_source';
    await seedTotesys({ sourceUrl: url.toString(), generate: n });
    const createGzip = zlib.createGzip;
    for (const [i, level] of [6, 1, 6, 1].entries()) {
      // zlib defines its create* functions read-only but configurable.
      Object.defineProperty(zlib, 'createGzip', { configurable: true, value: (options?: Zlib.ZlibOptions) => createGzip({ ...options, level }) });
      const lake = new LocalObjectStore(join(work, `lake-${i}`));
      const t0 = performance.now();
      const c0 = cpuMs();
      const res = await extractPostgres({ sourceUrl: url.toString(), lake, source: 'totesys', tables: TOTESYS_TABLES });
      const tables = Object.values(res.manifest.tables);
      const rows = tables.reduce((a, t) => a + t.rows, 0);
      const bytes = tables.reduce((a, t) => a + t.objects.reduce((b, o) => b + o.bytes, 0), 0);
      console.log(
        `gzip level ${level}: ${rows.toLocaleString('en-US')} rows in ${((performance.now() - t0) / 1000).toFixed(2)} s, ` +
          `CPU ${((cpuMs() - c0) / 1000).toFixed(2)} s, ${(bytes / 2 ** 20).toFixed(1)} MiB written`,
      );
      rmSync(join(work, `lake-${i}`), { recursive: true, force: true });
    }
    Object.defineProperty(zlib, 'createGzip', { configurable: true, value: createGzip });
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main(Number(process.argv[2] ?? 1_000_000)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
