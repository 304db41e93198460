import { withClient } from './totesys';

const SURROGATE = new Set(['sales_record_id', 'purchase_record_id', 'payment_record_id']);

/**
 * One md5 per warehouse table over every column but surrogate record ids, rows in a stable
 * order: two warehouses holding the same data give the same map.
 */
export async function warehouseChecksums(url: string): Promise<Record<string, { rows: number; md5: string }>> {
  return withClient(url, async (c) => {
    const tables = await c.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = current_schema() AND (table_name LIKE 'dim\\_%' OR table_name LIKE 'fact\\_%') ORDER BY 1`,
    );
    const out: Record<string, { rows: number; md5: string }> = {};
    for (const { table_name } of tables.rows) {
      const cols = await c.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
        [table_name],
      );
      const kept = cols.rows.map((r) => r.column_name).filter((n) => !SURROGATE.has(n));
      const row = `concat_ws('|', ${kept.map((n) => `coalesce(${n}::text, '∅')`).join(', ')})`;
      const res = await c.query<{ n: string; md5: string | null }>(
        `SELECT count(*) AS n, md5(string_agg(r, E'\\n' ORDER BY r)) AS md5 FROM (SELECT ${row} AS r FROM ${table_name}) x`,
      );
      out[table_name] = { rows: Number(res.rows[0].n), md5: res.rows[0].md5 ?? '' };
    }
    return out;
  });
}
