import { DIM_DATE } from '../dim-date';
import type { DimensionTable, FactTable, StarModel } from '../star';

const varchar = (name: string, nullable = false) => ({ name, type: 'varchar' as const, nullable });
const int = (name: string, nullable = false) => ({ name, type: 'int' as const, nullable });

export { DIM_DATE };

const dimensions: DimensionTable[] = [
  DIM_DATE,
  {
    kind: 'dimension',
    name: 'dim_staff',
    key: 'staff_id',
    columns: [int('staff_id'), varchar('first_name'), varchar('last_name'), varchar('department_name'), varchar('location'), varchar('email_address')],
  },
  {
    kind: 'dimension',
    name: 'dim_location',
    key: 'location_id',
    columns: [
      int('location_id'),
      varchar('address_line_1'),
      varchar('address_line_2', true),
      varchar('district', true),
      varchar('city'),
      varchar('postal_code'),
      varchar('country'),
      varchar('phone'),
    ],
  },
  {
    kind: 'dimension',
    name: 'dim_currency',
    key: 'currency_id',
    columns: [int('currency_id'), varchar('currency_code'), varchar('currency_name')],
  },
  {
    kind: 'dimension',
    name: 'dim_design',
    key: 'design_id',
    columns: [int('design_id'), varchar('design_name'), varchar('file_location'), varchar('file_name')],
  },
  {
    kind: 'dimension',
    name: 'dim_counterparty',
    key: 'counterparty_id',
    columns: [
      int('counterparty_id'),
      varchar('counterparty_legal_name'),
      varchar('counterparty_legal_address_line_1'),
      varchar('counterparty_legal_address_line_2', true),
      varchar('counterparty_legal_district', true),
      varchar('counterparty_legal_city'),
      varchar('counterparty_legal_postal_code'),
      varchar('counterparty_legal_country'),
      varchar('counterparty_legal_phone_number'),
    ],
  },
  {
    kind: 'dimension',
    name: 'dim_payment_type',
    key: 'payment_type_id',
    columns: [int('payment_type_id'), varchar('payment_type_name')],
  },
  {
    kind: 'dimension',
    name: 'dim_transaction',
    key: 'transaction_id',
    columns: [int('transaction_id'), varchar('transaction_type'), int('sales_order_id', true), int('purchase_order_id', true)],
    unknown: { transaction_type: 'UNKNOWN' },
  },
];

const versionColumns = [
  { name: 'created_date', type: 'date' as const },
  { name: 'created_time', type: 'time' as const },
  { name: 'last_updated_date', type: 'date' as const },
  { name: 'last_updated_time', type: 'time' as const },
];

const facts: FactTable[] = [
  {
    kind: 'fact',
    name: 'fact_sales_order',
    recordId: 'sales_record_id',
    versionKey: ['sales_order_id', 'last_updated_date', 'last_updated_time'],
    columns: [
      int('sales_order_id'),
      ...versionColumns,
      int('sales_staff_id'),
      int('counterparty_id'),
      int('units_sold'),
      { name: 'unit_price', type: 'numeric(10,2)' },
      int('currency_id'),
      int('design_id'),
      { name: 'agreed_payment_date', type: 'date' },
      { name: 'agreed_delivery_date', type: 'date' },
      int('agreed_delivery_location_id'),
    ],
    foreignKeys: [
      { column: 'sales_staff_id', references: 'dim_staff' },
      { column: 'counterparty_id', references: 'dim_counterparty' },
      { column: 'currency_id', references: 'dim_currency' },
      { column: 'design_id', references: 'dim_design' },
      { column: 'agreed_delivery_location_id', references: 'dim_location' },
    ],
    dateColumns: ['created_date', 'last_updated_date', 'agreed_payment_date', 'agreed_delivery_date'],
  },
  {
    kind: 'fact',
    name: 'fact_purchase_order',
    recordId: 'purchase_record_id',
    versionKey: ['purchase_order_id', 'last_updated_date', 'last_updated_time'],
    columns: [
      int('purchase_order_id'),
      ...versionColumns,
      int('staff_id'),
      int('counterparty_id'),
      varchar('item_code'),
      int('item_quantity'),
      { name: 'item_unit_price', type: 'numeric(18,2)' },
      int('currency_id'),
      { name: 'agreed_delivery_date', type: 'date' },
      { name: 'agreed_payment_date', type: 'date' },
      int('agreed_delivery_location_id'),
    ],
    foreignKeys: [
      { column: 'staff_id', references: 'dim_staff' },
      { column: 'counterparty_id', references: 'dim_counterparty' },
      { column: 'currency_id', references: 'dim_currency' },
      { column: 'agreed_delivery_location_id', references: 'dim_location' },
    ],
    dateColumns: ['created_date', 'last_updated_date', 'agreed_delivery_date', 'agreed_payment_date'],
  },
  {
    kind: 'fact',
    name: 'fact_payment',
    recordId: 'payment_record_id',
    versionKey: ['payment_id', 'last_updated_date', 'last_updated_time'],
    columns: [
      int('payment_id'),
      ...versionColumns,
      int('transaction_id'),
      int('counterparty_id'),
      { name: 'payment_amount', type: 'numeric(18,2)' },
      int('currency_id'),
      int('payment_type_id'),
      { name: 'paid', type: 'boolean' },
      { name: 'payment_date', type: 'date' },
    ],
    foreignKeys: [
      { column: 'transaction_id', references: 'dim_transaction' },
      { column: 'counterparty_id', references: 'dim_counterparty' },
      { column: 'currency_id', references: 'dim_currency' },
      { column: 'payment_type_id', references: 'dim_payment_type' },
    ],
    dateColumns: ['created_date', 'last_updated_date', 'payment_date'],
  },
];

/** The totesys warehouse model (../shared/model/warehouse.sql): three stars sharing dimensions. */
export const TOTESYS_STAR: StarModel = { name: 'totesys', dimensions, facts, dates: DIM_DATE };
