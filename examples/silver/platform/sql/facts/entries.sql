-- Every line of every document the bill run produced (plan, trial, trial discount, metered
-- feature), with the customer it belongs to.
SELECT c.customer_reference AS account,
       d.kind AS document_kind,
       d.currency AS currency,
       pc.value AS product_code,
       e.description AS description,
       e.unit AS unit,
       e.quantity AS quantity,
       e.unit_price AS unit_price,
       e.start_date AS start_date,
       e.end_date AS end_date,
       e.prorated AS prorated
FROM silver_documententry e
JOIN silver_billingdocumentbase d ON d.id = COALESCE(e.proforma_id, e.invoice_id)
JOIN silver_customer c ON c.id = d.customer_id
LEFT JOIN silver_productcode pc ON pc.id = e.product_code_id
WHERE d.id IN (
    SELECT COALESCE(bl.proforma_id, bl.invoice_id)
    FROM silver_billinglog bl
    WHERE CAST(REPLACE(CAST(bl.billing_date AS VARCHAR(10)), '-', '') AS INTEGER) = :bill_run_id)
ORDER BY c.customer_reference, e.id
