import type { Client } from 'pg';
import type { ColumnSchema } from '../../lake/manifest';

/** Columns of each named table in the connection's current schema, in table order. */
export async function readColumns(client: Client, tables: readonly string[]): Promise<Map<string, ColumnSchema[]>> {
  const res = await client.query<{ table_name: string; name: string; type: string }>(
    `SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relnamespace = current_schema()::regnamespace
        AND c.relname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [tables],
  );
  const byTable = new Map<string, ColumnSchema[]>();
  for (const row of res.rows) {
    const cols = byTable.get(row.table_name) ?? [];
    cols.push({ name: row.name, type: row.type });
    byTable.set(row.table_name, cols);
  }
  return byTable;
}

export interface Drift {
  added: string[];
  removed: string[];
  retyped: string[];
}

export function compareColumns(previous: ColumnSchema[], current: ColumnSchema[]): Drift | undefined {
  const prev = new Map(previous.map((c) => [c.name, c.type]));
  const curr = new Map(current.map((c) => [c.name, c.type]));
  const added = current.filter((c) => !prev.has(c.name)).map((c) => c.name);
  const removed = previous.filter((c) => !curr.has(c.name)).map((c) => c.name);
  const retyped = current.filter((c) => prev.has(c.name) && prev.get(c.name) !== c.type).map((c) => `${c.name}: ${prev.get(c.name)} -> ${c.type}`);
  return added.length || removed.length || retyped.length ? { added, removed, retyped } : undefined;
}

/** Tables (of those named) that have an index leading with their cursor column. */
export async function tablesWithCursorIndex(client: Client, cursors: ReadonlyArray<{ name: string; cursor: string }>): Promise<Set<string>> {
  const res = await client.query<{ table_name: string; column_name: string }>(
    `SELECT t.relname AS table_name, a.attname AS column_name
       FROM pg_index i
       JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
      WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1)`,
    [cursors.map((c) => c.name)],
  );
  const indexed = new Set<string>();
  for (const c of cursors) if (res.rows.some((r) => r.table_name === c.name && r.column_name === c.cursor)) indexed.add(c.name);
  return indexed;
}
