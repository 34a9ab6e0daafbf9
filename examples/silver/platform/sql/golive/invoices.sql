-- golive `invoices` (binds ref, bill_run_id as in transactions): the documents silver's bill runs
-- produced for the customer — invoices, or proformas for a provider on the proforma flow.
-- subtotal/discount_total are summed from the lines (silver stores only the total); tax_total is
-- the rest. issue_date is the machine clock of the run (not comparable between two runs);
-- number is series-number, numbered per provider in the order silver billed customers.
SELECT COALESCE(d.series, '') || '-' || COALESCE(CAST(d.number AS VARCHAR(12)), 'draft')
           AS number,
       COALESCE(d.issue_date, r.billing_date) AS issue_date,
       d.due_date AS due_date,
       COALESCE((SELECT ROUND(SUM(ROUND(e.quantity * e.unit_price, 2)), 2)
                 FROM silver_documententry e
                 WHERE COALESCE(e.proforma_id, e.invoice_id) = d.id AND e.unit_price >= 0), 0)
           AS subtotal,
       COALESCE((SELECT ROUND(SUM(ROUND(e.quantity * e.unit_price, 2)), 2)
                 FROM silver_documententry e
                 WHERE COALESCE(e.proforma_id, e.invoice_id) = d.id AND e.unit_price < 0), 0)
           AS discount_total,
       ROUND(COALESCE(d._total, 0)
             - COALESCE((SELECT SUM(ROUND(e.quantity * e.unit_price, 2))
                         FROM silver_documententry e
                         WHERE COALESCE(e.proforma_id, e.invoice_id) = d.id), 0), 2)
           AS tax_total,
       COALESCE(d._total, 0) AS total,
       d.state AS status,
       CAST(REPLACE(CAST(r.billing_date AS VARCHAR(10)), '-', '') AS INTEGER) AS bill_run_id
FROM silver_billingdocumentbase d
JOIN silver_customer c ON c.id = d.customer_id
JOIN (SELECT COALESCE(bl.proforma_id, bl.invoice_id) AS document_id,
             MIN(bl.billing_date) AS billing_date
      FROM silver_billinglog bl
      GROUP BY COALESCE(bl.proforma_id, bl.invoice_id)) r ON r.document_id = d.id
WHERE c.customer_reference = :ref
  AND (CAST(:bill_run_id AS INTEGER) IS NULL
       OR CAST(REPLACE(CAST(r.billing_date AS VARCHAR(10)), '-', '') AS INTEGER)
          = CAST(:bill_run_id AS INTEGER))
ORDER BY d.id
