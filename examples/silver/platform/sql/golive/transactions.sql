-- golive `transactions` (binds ref, bill_run_id = the bill-run date as YYYYMMDD, or NULL for all):
-- the lines of the documents silver's bill runs produced for the customer, before tax.
-- kind: charge (a plan line), usage (a metered-feature line), discount (a trial discount line,
-- negative). posted_on is the bill-run date (--date), not the machine-clock issue date.
SELECT CASE WHEN e.unit_price < 0 THEN 'discount'
            WHEN EXISTS (SELECT 1 FROM silver_plan p WHERE p.product_code_id = e.product_code_id)
                THEN 'charge'
            ELSE 'usage' END AS kind,
       ROUND(e.quantity * e.unit_price, 2) AS amount,
       e.description AS description,
       r.billing_date AS posted_on,
       CAST(REPLACE(CAST(r.billing_date AS VARCHAR(10)), '-', '') AS INTEGER) AS bill_run_id
FROM silver_documententry e
JOIN silver_billingdocumentbase d ON d.id = COALESCE(e.proforma_id, e.invoice_id)
JOIN silver_customer c ON c.id = d.customer_id
JOIN (SELECT COALESCE(bl.proforma_id, bl.invoice_id) AS document_id,
             MIN(bl.billing_date) AS billing_date
      FROM silver_billinglog bl
      GROUP BY COALESCE(bl.proforma_id, bl.invoice_id)) r ON r.document_id = d.id
WHERE c.customer_reference = :ref
  AND (CAST(:bill_run_id AS INTEGER) IS NULL
       OR CAST(REPLACE(CAST(r.billing_date AS VARCHAR(10)), '-', '') AS INTEGER)
          = CAST(:bill_run_id AS INTEGER))
ORDER BY e.id
