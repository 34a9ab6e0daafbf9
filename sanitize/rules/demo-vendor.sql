-- An example of a vendor's own sanitize script for the demo platform, run as it is
-- by `sanitize.scripts` in golive.yaml and followed by golive's scan.
UPDATE contacts SET
  first_name = 'Customer',
  last_name = 'Number ' || id,
  email = 'customer' || id || '@example.com',
  phone = '(555) 555-0100',
  street = id || ' Sanitized Street',
  city = 'Springfield',
  postcode = '00000';
UPDATE accounts SET name = 'Account ' || number, custom_fields = NULL;
UPDATE invoices SET emailed_to = 'customer' || account_id || '@example.com';
UPDATE notes SET body = 'note removed';
UPDATE tickets SET body = 'ticket text removed';
UPDATE work_orders SET description = 'work order text removed';
UPDATE usage_records SET destination = '(555) 555-0199';
UPDATE payment_methods SET holder_name = 'Card Holder', token = 'tok_sanitized_' || id
  WHERE token NOT LIKE '%\_decline' ESCAPE '\' AND token NOT LIKE '%\_nsf' ESCAPE '\';
UPDATE payments SET gateway_ref = NULL;
UPDATE staff_users SET full_name = 'Staff ' || id, email = username || '@example.com';
UPDATE payment_processors SET gateway_url = 'http://127.0.0.1:9/payments', api_key = 'x';
UPDATE provisioning_config SET url = 'http://127.0.0.1:9/provisioning', password = 'x';
UPDATE provisioning_requests SET url = 'http://127.0.0.1:9/provisioning';
UPDATE mail_config SET smtp_host = '127.0.0.1', from_address = 'billing@example.com',
  username = NULL, password = NULL;
UPDATE event_log SET message = 'message removed' WHERE message LIKE '%@%';
