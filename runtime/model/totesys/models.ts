/**
 * The totesys → star-schema models, one SQL query per output table (DuckDB dialect).
 *
 * Inputs, all columns VARCHAR exactly as extracted:
 *   src_<table>  the rows of the extract run being transformed (every source table), one row
 *                per id (a run reads each table in one snapshot), quarantined rows left out
 *   cur_<table>  the latest version of every row of the reference tables (address,
 *                counterparty, department, staff), this run included
 *   iso_currency(code, name)
 *
 * Facts keep one row per source version (id, last_updated); dimensions one row per id, the
 * latest version. Rows a fact cannot be built from go to quarantine with the reason.
 */

const versionColumns = `
  CAST(CAST(created_at AS TIMESTAMP) AS DATE)   AS created_date,
  CAST(CAST(created_at AS TIMESTAMP) AS TIME)   AS created_time,
  CAST(CAST(last_updated AS TIMESTAMP) AS DATE) AS last_updated_date,
  CAST(CAST(last_updated AS TIMESTAMP) AS TIME) AS last_updated_time`;

/** Reason a source row cannot become a fact, or NULL when it can. */
const dateProblems = (columns: string[]) =>
  `CASE ${columns
    .map((c) => `WHEN TRY_CAST(${c} AS DATE) IS NULL THEN 'unparseable ${c}: ' || coalesce('"' || ${c} || '"', 'NULL')`)
    .join(' ')} END`;

export interface ModelQuery {
  table: string;
  kind: 'dimension' | 'fact';
  sql: string;
  /**
   * The one source table this model reads, when it reads no other (no `cur_` table, no join):
   * its rows then transform in any grouping, so a large run of that table is cut into units.
   */
  rowLocal?: string;
  /** For facts: the source table and id, and the SQL of the reason a row is quarantined. */
  quarantine?: { source: string; id: string; reason: string };
}

export const TOTESYS_MODELS: ModelQuery[] = [
  {
    table: 'dim_location',
    kind: 'dimension',
    sql: `
SELECT CAST(address_id AS INTEGER) AS location_id, address_line_1, address_line_2, district, city,
       postal_code, country, phone
FROM src_address`,
  },
  {
    table: 'dim_counterparty',
    kind: 'dimension',
    // A change to a counterparty or to the address it uses rebuilds the row; an address not
    // extracted yet gives 'Unknown' until it arrives (its arrival rebuilds the row).
    sql: `
SELECT CAST(c.counterparty_id AS INTEGER)            AS counterparty_id,
       c.counterparty_legal_name,
       coalesce(a.address_line_1, 'Unknown')         AS counterparty_legal_address_line_1,
       a.address_line_2                              AS counterparty_legal_address_line_2,
       a.district                                    AS counterparty_legal_district,
       coalesce(a.city, 'Unknown')                   AS counterparty_legal_city,
       coalesce(a.postal_code, 'Unknown')            AS counterparty_legal_postal_code,
       coalesce(a.country, 'Unknown')                AS counterparty_legal_country,
       coalesce(a.phone, 'Unknown')                  AS counterparty_legal_phone_number
FROM cur_counterparty c
LEFT JOIN cur_address a ON a.address_id = c.legal_address_id
WHERE c.counterparty_id IN (SELECT counterparty_id FROM src_counterparty)
   OR c.legal_address_id IN (SELECT address_id FROM src_address)`,
  },
  {
    table: 'dim_staff',
    kind: 'dimension',
    sql: `
SELECT CAST(s.staff_id AS INTEGER)              AS staff_id,
       s.first_name, s.last_name,
       coalesce(d.department_name, 'Unknown')   AS department_name,
       coalesce(d.location, 'Unknown')          AS location,
       s.email_address
FROM cur_staff s
LEFT JOIN cur_department d ON d.department_id = s.department_id
WHERE s.staff_id IN (SELECT staff_id FROM src_staff)
   OR s.department_id IN (SELECT department_id FROM src_department)`,
  },
  {
    table: 'dim_currency',
    kind: 'dimension',
    sql: `
SELECT CAST(c.currency_id AS INTEGER) AS currency_id, c.currency_code,
       coalesce(i.name, c.currency_code) AS currency_name
FROM src_currency c
LEFT JOIN iso_currency i ON i.code = upper(trim(c.currency_code))`,
  },
  {
    table: 'dim_design',
    kind: 'dimension',
    sql: `
SELECT CAST(design_id AS INTEGER) AS design_id, design_name, file_location, file_name
FROM src_design`,
  },
  {
    table: 'dim_payment_type',
    kind: 'dimension',
    sql: `
SELECT CAST(payment_type_id AS INTEGER) AS payment_type_id, payment_type_name
FROM src_payment_type`,
  },
  {
    table: 'dim_transaction',
    rowLocal: 'transaction',
    kind: 'dimension',
    sql: `
SELECT CAST(transaction_id AS INTEGER) AS transaction_id, transaction_type,
       CAST(sales_order_id AS INTEGER) AS sales_order_id, CAST(purchase_order_id AS INTEGER) AS purchase_order_id
FROM src_transaction`,
  },
  {
    table: 'fact_sales_order',
    rowLocal: 'sales_order',
    kind: 'fact',
    quarantine: { source: 'sales_order', id: 'sales_order_id', reason: dateProblems(['agreed_payment_date', 'agreed_delivery_date']) },
    sql: `
SELECT CAST(sales_order_id AS INTEGER) AS sales_order_id, ${versionColumns},
       CAST(staff_id AS INTEGER)                    AS sales_staff_id,
       CAST(counterparty_id AS INTEGER)             AS counterparty_id,
       CAST(units_sold AS INTEGER)                  AS units_sold,
       CAST(unit_price AS DECIMAL(10,2))            AS unit_price,
       CAST(currency_id AS INTEGER)                 AS currency_id,
       CAST(design_id AS INTEGER)                   AS design_id,
       CAST(agreed_payment_date AS DATE)            AS agreed_payment_date,
       CAST(agreed_delivery_date AS DATE)           AS agreed_delivery_date,
       CAST(agreed_delivery_location_id AS INTEGER) AS agreed_delivery_location_id
FROM src_sales_order`,
  },
  {
    table: 'fact_purchase_order',
    rowLocal: 'purchase_order',
    kind: 'fact',
    quarantine: { source: 'purchase_order', id: 'purchase_order_id', reason: dateProblems(['agreed_delivery_date', 'agreed_payment_date']) },
    sql: `
SELECT CAST(purchase_order_id AS INTEGER) AS purchase_order_id, ${versionColumns},
       CAST(staff_id AS INTEGER)                    AS staff_id,
       CAST(counterparty_id AS INTEGER)             AS counterparty_id,
       item_code,
       CAST(item_quantity AS INTEGER)               AS item_quantity,
       CAST(item_unit_price AS DECIMAL(18,2))       AS item_unit_price,
       CAST(currency_id AS INTEGER)                 AS currency_id,
       CAST(agreed_delivery_date AS DATE)           AS agreed_delivery_date,
       CAST(agreed_payment_date AS DATE)            AS agreed_payment_date,
       CAST(agreed_delivery_location_id AS INTEGER) AS agreed_delivery_location_id
FROM src_purchase_order`,
  },
  {
    table: 'fact_payment',
    rowLocal: 'payment',
    kind: 'fact',
    quarantine: { source: 'payment', id: 'payment_id', reason: dateProblems(['payment_date']) },
    sql: `
SELECT CAST(payment_id AS INTEGER) AS payment_id, ${versionColumns},
       CAST(transaction_id AS INTEGER)   AS transaction_id,
       CAST(counterparty_id AS INTEGER)  AS counterparty_id,
       CAST(payment_amount AS DECIMAL(18,2)) AS payment_amount,
       CAST(currency_id AS INTEGER)      AS currency_id,
       CAST(payment_type_id AS INTEGER)  AS payment_type_id,
       CAST(paid AS BOOLEAN)             AS paid,
       CAST(payment_date AS DATE)        AS payment_date
FROM src_payment`,
  },
];
