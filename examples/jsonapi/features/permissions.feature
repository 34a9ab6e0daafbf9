@CF-PERM-01 @readonly
Feature: Staff roles keep what they need
  Scenario: Each role has the permissions its staff need
    Then each role has the permissions its staff need:
      | role    | permissions                          |
      | admin   | accounts.view, accounts.edit, billing.run |
      | billing | accounts.view, billing.run, invoices.view |
      | support | accounts.view, tickets.edit          |
