-- golive `latest_bill_run`: silver has no bill-run table. A bill run is the set of billing logs
-- with the same billing_date (generate_docs --date writes one per subscription it bills); its
-- id is that date as YYYYMMDD, its documents the ones those logs point at, its start and end the
-- first and last log's created_at. silver records no errors: a run that crashed stops with a
-- traceback and leaves the logs it wrote (errors is always 0 — check the command's exit code).
-- total sums documents of every currency.
SELECT CAST(REPLACE(CAST(bl.billing_date AS VARCHAR(10)), '-', '') AS INTEGER) AS id,
       bl.billing_date AS run_date,
       'done' AS status,
       MIN(bl.created_at) AS started_at,
       MAX(bl.created_at) AS finished_at,
       COUNT(DISTINCT s.customer_id) AS accounts_billed,
       COUNT(DISTINCT COALESCE(bl.proforma_id, bl.invoice_id)) AS invoices,
       0 AS errors,
       COALESCE((SELECT ROUND(SUM(d._total), 2) FROM silver_billingdocumentbase d
                 WHERE d.id IN (SELECT COALESCE(b.proforma_id, b.invoice_id)
                                FROM silver_billinglog b
                                WHERE b.billing_date = bl.billing_date)), 0) AS total
FROM silver_billinglog bl
JOIN silver_subscription s ON s.id = bl.subscription_id
WHERE bl.billing_date = (SELECT MAX(b.billing_date) FROM silver_billinglog b)
GROUP BY bl.billing_date
