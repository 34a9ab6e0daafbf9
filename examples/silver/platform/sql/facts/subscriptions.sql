-- Per subscription the bill run billed: what its billing log says was billed, and how far.
SELECT c.customer_reference AS account,
       COALESCE(s.reference, CAST(s.id AS VARCHAR(20))) AS subscription,
       pc.value AS plan,
       s.state AS state,
       bl.plan_billed_up_to AS plan_billed_up_to,
       bl.metered_features_billed_up_to AS metered_features_billed_up_to,
       bl.plan_amount AS plan_amount,
       bl.metered_features_amount AS metered_features_amount,
       bl.total AS total,
       d.kind AS document_kind
FROM silver_billinglog bl
JOIN silver_subscription s ON s.id = bl.subscription_id
JOIN silver_customer c ON c.id = s.customer_id
JOIN silver_plan p ON p.id = s.plan_id
JOIN silver_productcode pc ON pc.id = p.product_code_id
LEFT JOIN silver_billingdocumentbase d ON d.id = COALESCE(bl.proforma_id, bl.invoice_id)
WHERE CAST(REPLACE(CAST(bl.billing_date AS VARCHAR(10)), '-', '') AS INTEGER) = :bill_run_id
ORDER BY c.customer_reference, subscription
