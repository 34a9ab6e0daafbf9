-- Per subscription line, silver's own next-bill-date facts: the latest billing log's
-- plan_billed_up_to and metered_features_billed_up_to (ref, or NULL for every customer).
SELECT c.customer_reference AS account,
       COALESCE(s.reference, pc.value || '#' || CAST(s.id AS VARCHAR(20))) AS code,
       s.state AS status,
       bl.billing_date AS last_billed_on,
       bl.plan_billed_up_to AS plan_billed_up_to,
       bl.metered_features_billed_up_to AS metered_features_billed_up_to
FROM silver_subscription s
JOIN silver_customer c ON c.id = s.customer_id
JOIN silver_plan p ON p.id = s.plan_id
JOIN silver_productcode pc ON pc.id = p.product_code_id
LEFT JOIN silver_billinglog bl ON bl.id = (
    SELECT b.id FROM silver_billinglog b WHERE b.subscription_id = s.id
    ORDER BY b.billing_date DESC, b.id DESC LIMIT 1)
WHERE CAST(:ref AS VARCHAR(256)) IS NULL OR c.customer_reference = :ref
ORDER BY c.customer_reference, s.id
