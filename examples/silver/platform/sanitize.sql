-- django-silver: scrub personal data from a restored copy of production (staging only!).
-- Vendor style: plain UPDATEs, the same text on SQLite and PostgreSQL, on silver 0.10.0's schema
-- and 0.11.1's (run it after the restore, before or after the migration). Every replacement is
-- obviously fake and derived from the row id, so rows stay distinct and nothing of the original
-- survives. Kept on purpose: customer_reference (the stable key golive names customers by),
-- country, currency, tax rates and every billing fact — the bill run must bill exactly as before.

-- Customers: names, company, contact details, address, invoice notes, CRM metadata, VAT number.
UPDATE silver_customer SET
    first_name = 'Test',
    last_name = 'Customer ' || CAST(id AS VARCHAR(12)),
    company = CASE WHEN company IS NULL THEN NULL
                   ELSE 'Company ' || CAST(id AS VARCHAR(12)) END,
    email = 'customer-' || CAST(id AS VARCHAR(12)) || '@example.com',
    phone = NULL,
    address_1 = CAST(id AS VARCHAR(12)) || ' Test Street',
    address_2 = NULL,
    city = 'Testville',
    state = NULL,
    zip_code = NULL,
    extra = NULL,
    meta = '{}',
    sales_tax_number = CASE WHEN sales_tax_number IS NULL THEN NULL
                            ELSE 'VAT-TEST-' || CAST(id AS VARCHAR(12)) END;

-- Providers are the operator's own companies; their contact lines still leave with every PDF.
UPDATE silver_provider SET
    email = 'provider-' || CAST(id AS VARCHAR(12)) || '@example.com',
    phone = NULL,
    address_2 = NULL,
    extra = NULL;

-- Every issued document keeps a JSON snapshot of its customer (name, e-mail, address, VAT
-- number) and provider as they were when it was issued.
UPDATE silver_billingdocumentbase SET
    archived_customer = '{}',
    archived_provider = '{}';

-- Payment methods and transactions: processor tokens, card details, gateway references.
UPDATE silver_paymentmethod SET
    data = '{}',
    display_info = NULL;

UPDATE silver_transaction SET
    data = '{}',
    external_reference = NULL;

-- Back-office users: names, e-mails, password hashes (nobody can log in until reset);
-- usernames are role names here and stay.
UPDATE auth_user SET
    first_name = 'Staff',
    last_name = CAST(id AS VARCHAR(12)),
    email = 'staff-' || CAST(id AS VARCHAR(12)) || '@example.com',
    password = '!';

-- The admin's change history names the objects it touched ("Jane Doe (Acme)").
UPDATE django_admin_log SET
    object_repr = 'object ' || COALESCE(object_id, ''),
    change_message = '';

DELETE FROM django_session;
