import type { Client } from 'pg';

/**
 * The row filter of an incremental read, as SQL with literals inlined (COPY takes no bind
 * parameters; every literal goes through the driver's escaping).
 *
 * Rows with a cursor past the watermark are new. Rows at or below it are re-checked inside a
 * look-back window: any of them that the previous run's snapshot could not see — committed
 * late, by a transaction still open when that run read, or sharing the boundary value — is
 * new too. Rows the previous snapshot saw are not read twice.
 */
export interface IncrementalBounds {
  cursor: string;
  /** The cursor column's SQL type, e.g. `timestamp(3) without time zone`. */
  cursorType: string;
  watermark: string | null;
  previousSnapshot: string | null;
  /** xmax of the current snapshot: the 64-bit epoch reference for a row's 32-bit xmin. */
  currentXmax: bigint;
  lookback: string;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The row's inserting transaction as a 64-bit txid comparable with txid_snapshot values. */
function rowTxid(currentXmax: bigint): string {
  const epochBase = (currentXmax >> 32n) << 32n;
  const candidate = `(${epochBase.toString()} + xmin::text::bigint)`;
  // A 32-bit xid above the current one's low bits belongs to the previous epoch.
  return `(CASE WHEN ${candidate} > ${currentXmax.toString()} THEN ${candidate} - 4294967296 ELSE ${candidate} END)`;
}

/** A type name as format_type prints it (`timestamp(3) without time zone`, `bigint`): pasted after `::`. */
// eslint-disable-next-line security/detect-unsafe-regex -- anchored, applied to a catalog type name (at most a few dozen characters)
const TYPE_NAME = /^[a-z][a-z0-9_ ]*(\(\d+(,\d+)?\))?[a-z ]*$/;

export function incrementalPredicate(client: Client, bounds: IncrementalBounds): string {
  if (bounds.watermark === null) return 'TRUE';
  if (typeof bounds.watermark !== 'string') throw new Error(`watermark of ${bounds.cursor} is not text`);
  if (bounds.previousSnapshot !== null && typeof bounds.previousSnapshot !== 'string') throw new Error(`snapshot of ${bounds.cursor} is not text`);
  if (!TYPE_NAME.test(bounds.cursorType)) throw new Error(`cursor ${bounds.cursor} has a type name that cannot be used in a cast`);
  const cursor = quoteIdent(bounds.cursor);
  const wm = client.escapeLiteral(bounds.watermark);
  const after = `${cursor} > ${wm}`;
  if (bounds.previousSnapshot === null) return `${after}`;
  const snap = client.escapeLiteral(bounds.previousSnapshot);
  const isTime = /^timestamp|^date/.test(bounds.cursorType);
  // Time cursors look back by an interval; other cursors re-check only the boundary value.
  const window = isTime
    ? `${cursor} >= (${wm}::${bounds.cursorType} - ${client.escapeLiteral(bounds.lookback)}::interval)`
    : `${cursor} >= ${wm}`;
  const unseen = `NOT txid_visible_in_snapshot(${rowTxid(bounds.currentXmax)}, ${snap}::txid_snapshot)`;
  return `(${after} OR (${window} AND ${unseen}))`;
}
