/** A source table extracted incrementally by a cursor column. */
export interface SourceTable {
  name: string;
  primaryKey: string;
  cursor: string;
}

/** The 11 tables of the totesys OLTP database, all incremental by `last_updated`. */
export const TOTESYS_TABLES: readonly SourceTable[] = [
  'address',
  'counterparty',
  'currency',
  'department',
  'design',
  'staff',
  'payment_type',
  'sales_order',
  'purchase_order',
  'transaction',
  'payment',
].map((name) => ({ name, primaryKey: `${name}_id`, cursor: 'last_updated' }));
