import type { Client } from 'pg';
import type { StarTable } from '../../model/star';
import { typedLiteral } from './ddl';
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

/** Where a batch copied straight into its table is: the relation holding exactly its rows. */
export interface DirectCopy {
  rows: number;
  /** The table itself (it was empty), or a temp view of the table's rows past the old greatest key. */
  batch: string;
}

/** The column that orders a table's rows by arrival: a dimension's key, a fact's version key's first column. */
export function leadingKey(table: StarTable): string {
  return table.kind === 'dimension' ? table.key : table.versionKey[0];
}

export function batchViewName(table: string): string {
  return `batch_${table}`;
}

/**
 * Copies a table's batch straight into it, not through a stage and INSERT … SELECT (rows written
 * once, not twice), when that cannot change what the stage path would do:
 * - the table is empty (the initial load): a dimension keeps its primary key (facts' foreign keys
 *   are declared against it), a fact's unique indexes are built after the COPY;
 * - every row of the batch comes after the table's greatest key (the next units of a backfill,
 *   an incremental run of new rows only): the COPY maintains the indexes as it appends, and a
 *   temp view of the rows past the old greatest key is the batch for the reference checks, read
 *   through the key's index, so its cost follows the batch, not the table.
 * Otherwise — the table holds a key of the batch (unique violation), or a copied row sorts at or
 * below the old greatest key (its count differs) — nothing of this is applied (savepoint) and the
 * caller stages the batch. `newKeysOnly` off: the empty case only (a reconcile corrects in place).
 * `least`, the batch's least leading key when known: a batch that revisits old keys (new versions
 * of old ids, the usual incremental run) is sent to the stage before any COPY, instead of being
 * copied, counted and rolled back; PostgreSQL compares it, so its collation decides, and the count
 * still guards the append whatever `least` says.
 */
export async function copyStraightIn(client: Client, table: StarTable, csvPath: string, columns: string[], newKeysOnly = true, least?: string | null): Promise<DirectCopy | undefined> {
  const lead = q(leadingKey(table));
  const leadType = table.columns.find((c) => c.name === leadingKey(table))?.type;
  const revisits = typeof least === 'string' ? `max(${lead}) >= ${typedLiteral(least, leadType)}` : 'false';
  // The leading key is never NULL (a primary key, a version key), so no greatest means no row.
  const res = await client.query<{ greatest: string | null; revisits: boolean | null }>(`SELECT max(${lead})::text AS greatest, ${revisits} AS revisits FROM ${q(table.name)}`);
  const { greatest } = res.rows[0];
  const empty = greatest === null;
  if (!empty && (!newKeysOnly || res.rows[0].revisits === true)) return undefined;
  await client.query('SAVEPOINT tributary_direct_load');
  try {
    let batch = table.name;
    let rows: number;
    if (empty) {
      const dropped = table.kind === 'fact' ? await dropUniqueConstraints(client, table.name) : [];
      rows = await copyInto(client, table.name, csvPath, columns);
      await restoreConstraints(client, table.name, dropped);
    } else {
      // The table's statistics stand (ANALYZE would sample the whole table); the planner reads a
      // range past the histogram's end from the index itself.
      rows = await copyInto(client, table.name, csvPath, columns, false);
      batch = batchViewName(table.name);
      const bound = typedLiteral(greatest, leadType);
      await client.query(`CREATE OR REPLACE TEMP VIEW ${q(batch)} AS SELECT * FROM ${q(table.name)} WHERE ${lead} > ${bound}`);
      const past = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(batch)}`);
      if (Number(past.rows[0].n) !== rows) {
        await client.query('ROLLBACK TO SAVEPOINT tributary_direct_load');
        return undefined;
      }
    }
    await client.query('RELEASE SAVEPOINT tributary_direct_load');
    return { rows, batch };
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT tributary_direct_load');
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
