@CF-PERM-01 @readonly
Feature: Staff roles keep the permissions they need after the upgrade
  Procedure: "Check role permissions of the staff that will login after the upgrade".
  silver's roles are Django groups with silver's model permissions; the Auditor group has no
  grant in production's data (a question for the operator, not for the upgrade).

  Scenario: Billing and support staff can do their work
    Then each role has the permissions its staff need:
      | role    | permissions                                                                                                                                    |
      | Billing | add_invoice, change_invoice, view_invoice, add_proforma, change_proforma, view_proforma, add_transaction, view_customer, change_subscription |
      | Support | view_customer, change_customer, view_invoice, view_subscription                                                                                |
