-- golive `billing_settings`: what decides how silver bills, as key/value pairs — per provider
-- (flow, document state, prebill, trial handling), per plan (price, interval, trial, wait) and
-- per metered feature (unit price, included units). Values are text as each engine casts them
-- (SQLite 39.99 / 1, PostgreSQL 39.9900 / true): compare production and staging on one engine.
SELECT 'provider ' || pr.name || ': flow' AS key, pr.flow AS value FROM silver_provider pr
UNION ALL
SELECT 'provider ' || pr.name || ': default_document_state', pr.default_document_state
FROM silver_provider pr
UNION ALL
SELECT 'provider ' || pr.name || ': prebill_plan', CAST(pr.prebill_plan AS VARCHAR(5))
FROM silver_provider pr
UNION ALL
SELECT 'provider ' || pr.name || ': generate_documents_on_trial_end',
       CAST(pr.generate_documents_on_trial_end AS VARCHAR(5))
FROM silver_provider pr
UNION ALL
SELECT 'provider ' || pr.name || ': separate_cycles_during_trial',
       CAST(pr.separate_cycles_during_trial AS VARCHAR(5))
FROM silver_provider pr
UNION ALL
SELECT 'plan ' || pc.value || ': amount', CAST(p.amount AS VARCHAR(40)) || ' ' || p.currency
FROM silver_plan p JOIN silver_productcode pc ON pc.id = p.product_code_id
UNION ALL
SELECT 'plan ' || pc.value || ': interval',
       CAST(p.interval_count AS VARCHAR(10)) || ' ' || p."interval"
FROM silver_plan p JOIN silver_productcode pc ON pc.id = p.product_code_id
UNION ALL
SELECT 'plan ' || pc.value || ': trial_period_days',
       COALESCE(CAST(p.trial_period_days AS VARCHAR(10)), 'none')
FROM silver_plan p JOIN silver_productcode pc ON pc.id = p.product_code_id
UNION ALL
SELECT 'plan ' || pc.value || ': generate_after', CAST(p.generate_after AS VARCHAR(10))
FROM silver_plan p JOIN silver_productcode pc ON pc.id = p.product_code_id
UNION ALL
SELECT 'feature ' || pc.value || ': price_per_unit', CAST(mf.price_per_unit AS VARCHAR(40))
FROM silver_meteredfeature mf JOIN silver_productcode pc ON pc.id = mf.product_code_id
UNION ALL
SELECT 'feature ' || pc.value || ': included_units', CAST(mf.included_units AS VARCHAR(40))
FROM silver_meteredfeature mf JOIN silver_productcode pc ON pc.id = mf.product_code_id
UNION ALL
SELECT 'feature ' || pc.value || ': included_units_during_trial',
       COALESCE(CAST(mf.included_units_during_trial AS VARCHAR(40)), 'none')
FROM silver_meteredfeature mf JOIN silver_productcode pc ON pc.id = mf.product_code_id
ORDER BY 1
