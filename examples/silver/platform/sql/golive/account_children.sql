-- golive `account_children`: silver has no sub-accounts; this answers "none" for everyone.
SELECT c.customer_reference AS number FROM silver_customer c WHERE 1 = 0
