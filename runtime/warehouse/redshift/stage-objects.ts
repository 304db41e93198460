import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TransformManifest } from '../../lake/manifest';
import type { ObjectStore } from '../../lake/port';
import { DUCK_TYPES, duckLiteral, openDuck } from '../../model/duckdb';
import type { ColumnType, StarTable } from '../../model/star';

/** DuckDB types of the staged Parquet: what Redshift's COPY reads into the staging columns by position. */
const DUCK: Record<ColumnType, string> = {
  ...DUCK_TYPES,
  // Parquet TIME is not among the types COPY reads: times travel as text and are cast on insert.
  time: 'VARCHAR',
};

/** Where a run's staged objects live, under the processed zone the COPY role may read. */
export function stagePrefix(source: string, runId: string, table: string): string {
  return `processed/_redshift/${source}/${runId}/${table}/`;
}

/**
 * Rewrites a run's processed Parquet for Redshift's COPY: the model's columns in order, each
 * with the type its staging column has. Rows stay inside DuckDB and files; one object per table.
 */
export async function writeStageObjects(lake: ObjectStore, manifest: TransformManifest, tables: readonly StarTable[], workDir: string): Promise<Array<{ table: string; prefix: string }>> {
  if (tables.length === 0) return [];
  const dir = await mkdtemp(join(workDir, 'tributary-redshift-'));
  const duck = await openDuck(dir);
  try {
    const out: Array<{ table: string; prefix: string }> = [];
    for (const table of tables) {
      const files: string[] = [];
      for (const [i, object] of manifest.tables[table.name].objects.entries()) {
        const path = join(dir, `${table.name}-${i}.parquet`);
        await lake.download(object.key, path);
        files.push(path);
      }
      const select = table.columns.map((c) => `CAST("${c.name}" AS ${DUCK[c.type]}) AS "${c.name}"`).join(', ');
      const local = join(dir, `${table.name}.stage.parquet`);
      await duck.run(`COPY (SELECT ${select} FROM read_parquet([${files.map(duckLiteral).join(', ')}], union_by_name = true)) TO ${duckLiteral(local)} (FORMAT parquet)`);
      const prefix = stagePrefix(manifest.source, manifest.runId, table.name);
      await lake.put(`${prefix}part-0.parquet`, createReadStream(local), 'application/octet-stream');
      out.push({ table: table.name, prefix });
    }
    return out;
  } finally {
    duck.close();
    await rm(dir, { recursive: true, force: true });
  }
}
