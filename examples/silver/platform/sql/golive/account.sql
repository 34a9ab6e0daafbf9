-- golive `account` (ref is the customer_reference, the stable key; names repeat).
-- silver keeps no balance: `balance` is what the customer owes, its issued documents not yet
-- paid or cancelled (a proforma whose invoice exists counts once, as the invoice). Customers here
-- bill in one currency; a customer billed in several would get a meaningless mixed sum.
-- silver has no account hierarchy (parent_number is NULL) and no bill day (it bills whatever is
-- due on each bill-run date; 1 = the first of the month, when production runs it).
SELECT c.customer_reference AS number,
       c.first_name || ' ' || c.last_name AS name,
       CASE WHEN c.live THEN 'active' ELSE 'deleted' END AS status,
       COALESCE((SELECT ROUND(SUM(d._total), 2)
                 FROM silver_billingdocumentbase d
                 WHERE d.customer_id = c.id AND d.state = 'issued'
                   AND NOT (d.kind = 'proforma' AND d.related_document_id IS NOT NULL)), 0)
           AS balance,
       NULL AS parent_number,
       1 AS bill_day
FROM silver_customer c
WHERE c.customer_reference = :ref
