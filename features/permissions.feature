@CF-PERM-01 @readonly
Feature: Staff roles have the permissions they need after the upgrade
  Procedure: "Check role permissions of the staff that will login after the
  upgrade - Can staff access all the functions they need and do they work
  correctly (example, workorders, tickets, adding accounts, adding packages?)".
  Release 1.1 brings the new permission adjustments.create for billing staff.

  Scenario: Each role has the functions its staff need
    Then each role has the permissions its staff need:
      | role    | permissions                                                                 |
      | support | tickets.create, tickets.edit, workorders.manage, eventlog.view, accounts.view |
      | billing | payments.process, billing.run, eventlog.view, adjustments.create            |
      | sales   | accounts.add, packages.add                                                  |
      | admin   | tickets.create, tickets.edit, workorders.manage, eventlog.view, accounts.view, payments.process, billing.run, adjustments.create, accounts.add, packages.add |
