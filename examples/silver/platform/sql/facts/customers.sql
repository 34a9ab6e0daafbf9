-- Per customer and currency: the documents the bill run produced and their totals (tax included).
-- A bill run is named by its date as YYYYMMDD (bill_run_id); its documents are the ones its
-- billing logs point at (the proforma in the proforma flow, else the invoice).
SELECT c.customer_reference AS account,
       d.currency AS currency,
       COUNT(*) AS documents,
       SUM(d._total) AS total
FROM silver_billingdocumentbase d
JOIN silver_customer c ON c.id = d.customer_id
WHERE d.id IN (
    SELECT COALESCE(bl.proforma_id, bl.invoice_id)
    FROM silver_billinglog bl
    WHERE CAST(REPLACE(CAST(bl.billing_date AS VARCHAR(10)), '-', '') AS INTEGER) = :bill_run_id)
GROUP BY c.customer_reference, d.currency
ORDER BY c.customer_reference, d.currency
