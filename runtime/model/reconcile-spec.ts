/**
 * How each source table shows up in the warehouse, as one comparable text per id on each side.
 * Reconciliation hashes these texts per chunk of ids on both databases and narrows to rows
 * only where a chunk differs. Facts compare with their latest version.
 */
export interface ReconcileSpec {
  /** Source table whose ids are compared (and re-read on repair). */
  table: string;
  id: string;
  /** FROM clause on the source, exposing `id` and `row`. */
  source: string;
  /** FROM clause on the warehouse, exposing `id` and `row`. */
  warehouse: string;
  /** Other source tables to re-read with the ids of this one, for dimensions built by joins. */
  /** `idsFrom` selects `id` of the related table for the differing ids given as $1. */
  related?: Array<{ table: string; idsFrom: string }>;
}
