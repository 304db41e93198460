import type { Client } from 'pg';
import type { StarTable } from '../../model/star';
import { copyInto } from './load';

/**
 * The initial load: a target table that is empty when the load transaction holds the load lock
 * receives the batch by COPY straight into it, not COPY into a stage then INSERT … SELECT (the
 * rows are written once, not twice), and a fact's unique indexes are built once after the COPY
 * (one sorted build instead of a B-tree insertion per row). Both stay inside the one load
 * transaction: a crash rolls the table back to empty, DDL included, and readers never see a
 * part of the batch.
 */

function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Whether `table` holds no row; asked under the load lock, so no other load fills it meanwhile. */
export async function isEmpty(client: Client, table: string): Promise<boolean> {
  const res = await client.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${q(table)}) AS empty`);
  return res.rows[0].empty;
}

export interface DroppedConstraint {
  name: string;
  definition: string;
}

/**
 * Drops the primary key and unique constraints of `table` and returns their definitions for
 * `restoreConstraints`. A constraint another table's foreign key depends on is left in place
 * (dropping it would need CASCADE). Dropping takes an ACCESS EXCLUSIVE lock until commit: a
 * reader of the (empty) table waits for the load rather than seeing it half-filled.
 */
export async function dropUniqueConstraints(client: Client, table: string): Promise<DroppedConstraint[]> {
  const res = await client.query<{ name: string; definition: string }>(
    `SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c
      WHERE c.conrelid = to_regclass($1) AND c.contype IN ('p', 'u')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid AND f.conrelid <> c.conrelid)
      ORDER BY c.contype, c.conname`,
    [q(table)],
  );
  for (const c of res.rows) await client.query(`ALTER TABLE ${q(table)} DROP CONSTRAINT ${q(c.name)}`);
  return res.rows;
}

/** Re-adds what `dropUniqueConstraints` dropped, under the same names: the schema ends as it began. */
export async function restoreConstraints(client: Client, table: string, constraints: DroppedConstraint[]): Promise<void> {
  if (constraints.length === 0) return;
  // One ALTER TABLE builds every index in one pass over the table's rows per index.
  await client.query(`ALTER TABLE ${q(table)} ${constraints.map((c) => `ADD CONSTRAINT ${q(c.name)} ${c.definition}`).join(', ')}`);
}

/** The batch held a key twice: the stage path (ON CONFLICT) then decides, as for any later load. */
function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/**
 * Copies a table's batch straight into it when it is empty: a dimension with its primary key in
 * place (facts' foreign keys are declared against it), a fact with its unique indexes built after
 * the COPY. Returns the rows copied, or undefined when the table already holds rows or the batch
 * repeats a key; then nothing of this was applied (savepoint) and the caller stages the batch.
 */
export async function copyStraightIn(client: Client, table: StarTable, csvPath: string, columns: string[]): Promise<number | undefined> {
  if (!(await isEmpty(client, table.name))) return undefined;
  await client.query('SAVEPOINT tributary_initial_load');
  try {
    const dropped = table.kind === 'fact' ? await dropUniqueConstraints(client, table.name) : [];
    const rows = await copyInto(client, table.name, csvPath, columns);
    await restoreConstraints(client, table.name, dropped);
    await client.query('RELEASE SAVEPOINT tributary_initial_load');
    return rows;
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT tributary_initial_load');
    if (isUniqueViolation(err)) return undefined;
    throw err;
  }
}

/**
 * Hash aggregates and anti-joins over millions of staged keys spill to disk at PostgreSQL's
 * default 4MB work_mem, and index builds sort in maintenance_work_mem: both are raised for the
 * load transaction only (SET LOCAL semantics), never lowered below what the server sets.
 */
export async function raiseWorkMem(client: Client, workMem = '64MB', maintenanceWorkMem = '256MB'): Promise<void> {
  await client.query(
    `SELECT CASE WHEN pg_size_bytes(current_setting('work_mem')) < pg_size_bytes($1) THEN set_config('work_mem', $1, true) END,
            CASE WHEN pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes($2) THEN set_config('maintenance_work_mem', $2, true) END`,
    [workMem, maintenanceWorkMem],
  );
}
