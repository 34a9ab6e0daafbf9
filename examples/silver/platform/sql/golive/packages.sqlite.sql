-- golive `packages` (sqlite): one row per subscription of the customer (ref).
-- code: the subscription's reference (else product code#id) — unique per line, stable across
-- restore. next_bill_date: the first day the plan is not yet billed for (plan_billed_up_to + 1
-- of the subscription's latest billing log; its start date if never billed; none once ended).
-- silver provisions nothing (provisioned is always false) and has no quantities (1).
SELECT COALESCE(s.reference, pc.value || '#' || CAST(s.id AS VARCHAR(20))) AS code,
       p.name AS name,
       CASE WHEN p."interval" = 'month' AND p.interval_count = 1 THEN 'monthly'
            WHEN p."interval" = 'month' AND p.interval_count = 3 THEN 'quarterly'
            WHEN p."interval" = 'year' AND p.interval_count = 1 THEN 'yearly'
            WHEN p."interval" = 'week' AND p.interval_count = 1 THEN 'weekly'
            ELSE CAST(p.interval_count AS VARCHAR(10)) || ' ' || p."interval" END AS period,
       1 AS quantity,
       CASE WHEN s.state IN ('ended', 'inactive') THEN NULL
            WHEN bl.plan_billed_up_to IS NULL THEN s.start_date
            ELSE date(bl.plan_billed_up_to, '+1 day') END AS next_bill_date,
       s.state AS status,
       FALSE AS provisioned
FROM silver_subscription s
JOIN silver_customer c ON c.id = s.customer_id
JOIN silver_plan p ON p.id = s.plan_id
JOIN silver_productcode pc ON pc.id = p.product_code_id
LEFT JOIN silver_billinglog bl ON bl.id = (
    SELECT b.id FROM silver_billinglog b WHERE b.subscription_id = s.id
    ORDER BY b.billing_date DESC, b.id DESC LIMIT 1)
WHERE c.customer_reference = :ref
ORDER BY s.id
