import type { ReconcileSpec } from '../reconcile-spec';

export type { ReconcileSpec };

const latestFact = (fact: string, id: string) =>
  `(SELECT DISTINCT ON (${id}) * FROM ${fact} ORDER BY ${id}, last_updated_date DESC, last_updated_time DESC)`;

export const TOTESYS_RECONCILE: ReconcileSpec[] = [
  {
    table: 'sales_order',
    id: 'sales_order_id',
    source: `(SELECT sales_order_id AS id, concat_ws('|', created_at::date, created_at::time, last_updated::date, last_updated::time, staff_id, counterparty_id,
               units_sold, unit_price, currency_id, design_id, agreed_payment_date, agreed_delivery_date, agreed_delivery_location_id) AS row FROM sales_order) s`,
    warehouse: `(SELECT sales_order_id AS id, concat_ws('|', created_date, created_time, last_updated_date, last_updated_time, sales_staff_id, counterparty_id,
               units_sold, unit_price, currency_id, design_id, agreed_payment_date, agreed_delivery_date, agreed_delivery_location_id) AS row
               FROM ${latestFact('fact_sales_order', 'sales_order_id')} f) w`,
  },
  {
    table: 'purchase_order',
    id: 'purchase_order_id',
    source: `(SELECT purchase_order_id AS id, concat_ws('|', created_at::date, created_at::time, last_updated::date, last_updated::time, staff_id, counterparty_id,
               item_code, item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id) AS row FROM purchase_order) s`,
    warehouse: `(SELECT purchase_order_id AS id, concat_ws('|', created_date, created_time, last_updated_date, last_updated_time, staff_id, counterparty_id,
               item_code, item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id) AS row
               FROM ${latestFact('fact_purchase_order', 'purchase_order_id')} f) w`,
  },
  {
    table: 'payment',
    id: 'payment_id',
    source: `(SELECT payment_id AS id, concat_ws('|', created_at::date, created_at::time, last_updated::date, last_updated::time, transaction_id, counterparty_id,
               payment_amount, currency_id, payment_type_id, paid, payment_date) AS row FROM payment) s`,
    warehouse: `(SELECT payment_id AS id, concat_ws('|', created_date, created_time, last_updated_date, last_updated_time, transaction_id, counterparty_id,
               payment_amount, currency_id, payment_type_id, paid, payment_date) AS row FROM ${latestFact('fact_payment', 'payment_id')} f) w`,
  },
  {
    table: 'design',
    id: 'design_id',
    source: `(SELECT design_id AS id, concat_ws('|', design_name, file_location, file_name) AS row FROM design) s`,
    warehouse: `(SELECT design_id AS id, concat_ws('|', design_name, file_location, file_name) AS row FROM dim_design) w`,
  },
  {
    table: 'address',
    id: 'address_id',
    source: `(SELECT address_id AS id, concat_ws('|', address_line_1, coalesce(address_line_2, '∅'), coalesce(district, '∅'), city, postal_code, country, phone) AS row FROM address) s`,
    warehouse: `(SELECT location_id AS id, concat_ws('|', address_line_1, coalesce(address_line_2, '∅'), coalesce(district, '∅'), city, postal_code, country, phone) AS row FROM dim_location) w`,
  },
  {
    table: 'transaction',
    id: 'transaction_id',
    source: `(SELECT transaction_id AS id, concat_ws('|', transaction_type, coalesce(sales_order_id::text, '∅'), coalesce(purchase_order_id::text, '∅')) AS row FROM "transaction") s`,
    warehouse: `(SELECT transaction_id AS id, concat_ws('|', transaction_type, coalesce(sales_order_id::text, '∅'), coalesce(purchase_order_id::text, '∅')) AS row FROM dim_transaction) w`,
  },
  {
    table: 'payment_type',
    id: 'payment_type_id',
    source: `(SELECT payment_type_id AS id, payment_type_name::text AS row FROM payment_type) s`,
    warehouse: `(SELECT payment_type_id AS id, payment_type_name AS row FROM dim_payment_type) w`,
  },
  {
    table: 'currency',
    id: 'currency_id',
    source: `(SELECT currency_id AS id, currency_code AS row FROM currency) s`,
    warehouse: `(SELECT currency_id AS id, currency_code AS row FROM dim_currency) w`,
  },
  {
    table: 'staff',
    id: 'staff_id',
    source: `(SELECT s.staff_id AS id, concat_ws('|', s.first_name, s.last_name, coalesce(d.department_name, 'Unknown'), coalesce(d.location, 'Unknown'), s.email_address) AS row
               FROM staff s LEFT JOIN department d ON d.department_id = s.department_id) s`,
    warehouse: `(SELECT staff_id AS id, concat_ws('|', first_name, last_name, department_name, location, email_address) AS row FROM dim_staff) w`,
    related: [{ table: 'department', idsFrom: 'SELECT DISTINCT department_id AS id FROM staff WHERE staff_id = ANY($1)' }],
  },
  {
    table: 'counterparty',
    id: 'counterparty_id',
    source: `(SELECT c.counterparty_id AS id, concat_ws('|', c.counterparty_legal_name, coalesce(a.address_line_1, 'Unknown'), coalesce(a.address_line_2, '∅'),
               coalesce(a.district, '∅'), coalesce(a.city, 'Unknown'), coalesce(a.postal_code, 'Unknown'), coalesce(a.country, 'Unknown'), coalesce(a.phone, 'Unknown')) AS row
               FROM counterparty c LEFT JOIN address a ON a.address_id = c.legal_address_id) s`,
    warehouse: `(SELECT counterparty_id AS id, concat_ws('|', counterparty_legal_name, counterparty_legal_address_line_1, coalesce(counterparty_legal_address_line_2, '∅'),
               coalesce(counterparty_legal_district, '∅'), counterparty_legal_city, counterparty_legal_postal_code, counterparty_legal_country, counterparty_legal_phone_number) AS row
               FROM dim_counterparty) w`,
    related: [{ table: 'address', idsFrom: 'SELECT DISTINCT legal_address_id AS id FROM counterparty WHERE counterparty_id = ANY($1)' }],
  },
];
