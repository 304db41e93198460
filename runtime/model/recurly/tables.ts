import type { ColumnType, FactTable, StarModel } from '../star';

/** A typed column of a landed REST table: its warehouse type and where it sits in the record. */
export interface RestColumn {
  name: string;
  type: ColumnType;
  /** JSON path in the record, e.g. `$.account.id`. */
  path: string;
}

export interface RestTableModel {
  /** The endpoint (raw table) it is built from. */
  source: string;
  /** Warehouse table name. */
  table: string;
  columns: RestColumn[];
}

const col = (name: string, type: ColumnType, path = `$.${name}`): RestColumn => ({ name, type, path });
const ts = (name: string) => col(name, 'timestamp');
const text = (name: string, path?: string) => col(name, 'varchar', path);
const money = (name: string) => col(name, 'numeric');

/** Every table keeps the whole record too, so fields not typed here are never lost. */
const RAW_JSON = 'raw_json';

/**
 * Typed Recurly tables, one row per record version (`id` + `updated_at`). The field choice
 * follows Recurly API v2021-02-25; nested objects are flattened to the ids that join them.
 */
export const RECURLY_TABLES: RestTableModel[] = [
  {
    source: 'accounts',
    table: 'recurly_accounts',
    columns: [
      text('id'),
      ts('updated_at'),
      text('code'),
      text('state'),
      text('email'),
      text('first_name'),
      text('last_name'),
      text('company'),
      text('bill_to'),
      text('preferred_locale'),
      col('tax_exempt', 'boolean'),
      text('billing_country', '$.address.country'),
      ts('created_at'),
      ts('deleted_at'),
    ],
  },
  {
    source: 'subscriptions',
    table: 'recurly_subscriptions',
    columns: [
      text('id'),
      ts('updated_at'),
      text('uuid'),
      text('account_id', '$.account.id'),
      text('plan_code', '$.plan.code'),
      text('state'),
      text('currency'),
      money('unit_amount'),
      col('quantity', 'int'),
      money('subtotal'),
      col('auto_renew', 'boolean'),
      ts('current_period_started_at'),
      ts('current_period_ends_at'),
      ts('activated_at'),
      ts('canceled_at'),
      ts('expires_at'),
      ts('created_at'),
    ],
  },
  {
    source: 'invoices',
    table: 'recurly_invoices',
    columns: [
      text('id'),
      ts('updated_at'),
      text('number'),
      text('account_id', '$.account.id'),
      text('type'),
      text('origin'),
      text('state'),
      text('collection_method'),
      text('currency'),
      money('subtotal'),
      money('discount'),
      money('tax'),
      money('total'),
      money('paid'),
      money('balance'),
      ts('due_at'),
      ts('closed_at'),
      ts('created_at'),
    ],
  },
  {
    source: 'transactions',
    table: 'recurly_transactions',
    columns: [
      text('id'),
      ts('updated_at'),
      text('uuid'),
      text('account_id', '$.account.id'),
      text('invoice_id', '$.invoice.id'),
      text('subscription_id', '$.subscription_ids[0]'),
      text('type'),
      text('origin'),
      text('status'),
      col('success', 'boolean'),
      text('currency'),
      money('amount'),
      text('payment_method', '$.payment_method.object'),
      ts('collected_at'),
      ts('voided_at'),
      ts('created_at'),
    ],
  },
].map((t) => ({ ...t, columns: [...t.columns, col(RAW_JSON, 'varchar', '$')] }));

function asFact(t: RestTableModel): FactTable {
  return {
    kind: 'fact',
    name: t.table,
    recordId: 'record_id',
    versionKey: ['id', 'updated_at'],
    // id and updated_at identify a version; every other field may be absent in a record.
    columns: t.columns.map((c) => ({ name: c.name, type: c.type, nullable: !['id', 'updated_at', RAW_JSON].includes(c.name) })),
    foreignKeys: [],
    dateColumns: [],
  };
}

/**
 * The warehouse model of the Recurly tables: append-only versioned tables (a fact without
 * dimensions), so any warehouse adapter loads them with its fact path: one row per version.
 */
export const RECURLY_MODEL: StarModel = { name: 'recurly', dimensions: [], facts: RECURLY_TABLES.map(asFact) };

export function recurlyTablesFor(endpoints: readonly string[]): RestTableModel[] {
  return RECURLY_TABLES.filter((t) => endpoints.includes(t.source));
}
