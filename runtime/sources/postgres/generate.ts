import type { Client } from 'pg';

/**
 * Generates totesys rows server-side with generate_series, shaped like the real extract:
 * per sales order about 0.04 designs, 0.42 purchase orders, one transaction per order and one
 * payment per transaction; inserts in bulk batches sharing one `last_updated` (as the real
 * source does), 07:55 payment updates setting `paid`, and value ranges of the real data.
 * Deterministic for a given scale.
 */
export async function generateTotesys(client: Client, salesOrders: number): Promise<Record<string, number>> {
  if (!Number.isInteger(salesOrders) || salesOrders < 1) throw new Error('--generate: expected a positive whole number of sales orders');
  const designs = Math.max(5, Math.ceil(salesOrders / 24));
  const purchases = Math.max(1, Math.round(salesOrders * 0.4156));
  await client.query('SELECT setseed(0.42)');
  // Every generated key references a row that exists by construction, so when allowed (a
  // superuser, e.g. the embedded server) the per-row foreign-key triggers are skipped for the
  // bulk inserts (100k sales orders: 8.9 s → 2.9 s on the bench machine). Inside the
  // caller's transaction only (SET LOCAL); restored before returning.
  const su = await client.query<{ su: string }>(`SELECT current_setting('is_superuser') AS su`);
  const skipForeignKeyTriggers = su.rows[0].su === 'on';
  if (skipForeignKeyTriggers) await client.query('SET LOCAL session_replication_role = replica');
  try {
    return await insertRows(client, salesOrders, designs, purchases);
  } finally {
    if (skipForeignKeyTriggers) await client.query('SET LOCAL session_replication_role = DEFAULT').catch(() => undefined);
  }
}

async function insertRows(client: Client, salesOrders: number, designs: number, purchases: number): Promise<Record<string, number>> {
  // One batch of ~50 rows shares a timestamp; batches are a few minutes apart from 2022-11-03.
  const at = (i: string) => `timestamp '2022-11-03 14:20:52.186' + ((${i}) / 50) * interval '7 minutes 13.417 seconds'`;
  await client.query(
    `INSERT INTO design (design_id, created_at, design_name, file_location, file_name, last_updated)
     SELECT g, ${at('g * 24')}, (ARRAY['Steel','Granite','Cotton','Wooden','Bronze','Plastic','Rubber','Concrete','Frozen','Soft','Fresh','Metal'])[1 + g % 12],
            (ARRAY['/usr','/private','/usr/share','/System','/Users','/home/user/dir','/opt/include'])[1 + g % 7],
            'design-' || g || '.json', ${at('g * 24')}
     FROM generate_series(1, $1::bigint) g`,
    [designs],
  );
  await client.query(
    `INSERT INTO sales_order (sales_order_id, created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price,
                              currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
     SELECT g, ts, ts, 1 + (g * 7919) % $2::int, 1 + g % 20, 1 + (g * 13) % 20, 1001 + (g * 7877) % 98973,
            round((2 + ((g * 31) % 201) / 100.0)::numeric, 2), 1 + g % 3,
            to_char(ts + (1 + g % 650) * interval '1 day', 'YYYY-MM-DD'), to_char(ts + (g % 60) * interval '1 day', 'YYYY-MM-DD'),
            1 + (g * 17) % 30
     FROM (SELECT g, ${at('g')} AS ts FROM generate_series(1, $1::bigint) g) s`,
    [salesOrders, designs],
  );
  await client.query(
    `INSERT INTO purchase_order (purchase_order_id, created_at, last_updated, staff_id, counterparty_id, item_code, item_quantity,
                                 item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
     SELECT g, ts, ts, 1 + (g * 3) % 20, 1 + (g * 11) % 20, upper(substr(md5(g::text), 1, 7)), 1 + (g * 37) % 999,
            round((3.32 + ((g * 7919) % 99575) / 100.0)::numeric, 2), 1 + g % 3,
            to_char(ts + (1 + g % 30) * interval '1 day', 'YYYY-MM-DD'), to_char(ts + (g % 45) * interval '1 day', 'YYYY-MM-DD'),
            1 + (g * 19) % 30
     FROM (SELECT g, ${at('g * 2.4')} AS ts FROM generate_series(1, $1::bigint) g) s`,
    [purchases],
  );
  await client.query(
    `INSERT INTO "transaction" (transaction_id, transaction_type, sales_order_id, purchase_order_id, created_at, last_updated)
     SELECT row_number() OVER (ORDER BY created_at, kind, id), kind::"TransactionType",
            CASE WHEN kind = 'SALE' THEN id END, CASE WHEN kind = 'PURCHASE' THEN id END, created_at, created_at
     FROM (SELECT 'SALE' AS kind, sales_order_id AS id, created_at FROM sales_order
           UNION ALL SELECT 'PURCHASE', purchase_order_id, created_at FROM purchase_order) t`,
  );
  await client.query(
    `INSERT INTO payment (payment_id, created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id,
                          payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number)
     SELECT t.transaction_id, t.created_at,
            CASE WHEN t.transaction_id % 8 < 5 THEN date_trunc('day', t.created_at) + interval '4 days 7 hours 55 minutes' + (t.transaction_id % 1000) * interval '1 millisecond' ELSE t.created_at END,
            t.transaction_id, coalesce(s.counterparty_id, p.counterparty_id),
            coalesce(s.units_sold * s.unit_price, p.item_quantity * p.item_unit_price),
            coalesce(s.currency_id, p.currency_id),
            CASE WHEN t.transaction_type = 'SALE' THEN 1 + (t.transaction_id % 7 = 0)::int ELSE 3 + (t.transaction_id % 7 = 0)::int END,
            t.transaction_id % 8 < 5,
            to_char(t.created_at + (t.transaction_id % 5) * interval '1 day', 'YYYY-MM-DD'),
            10000000 + (t.transaction_id::bigint * 7919) % 89999999, 10000000 + (t.transaction_id::bigint * 104729) % 89999999
     FROM "transaction" t
     LEFT JOIN sales_order s ON s.sales_order_id = t.sales_order_id
     LEFT JOIN purchase_order p ON p.purchase_order_id = t.purchase_order_id`,
  );
  const transactions = salesOrders + purchases;
  return { design: designs, sales_order: salesOrders, purchase_order: purchases, transaction: transactions, payment: transactions };
}
