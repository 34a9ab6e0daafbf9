@CF-TICKET-01
Feature: Tickets can be created and edited
  Procedure: "Tickets can be created / edited" by the staff who work them after
  the upgrade. Support raises a ticket on an account in the admin portal, then
  edits it; both the page and the platform must show the change.

  Scenario: Support creates a ticket on an account and edits it
    Given staff of role "support" are logged in to the admin portal
    When they create a ticket on account "A000026" with priority "normal"
    Then the platform has the ticket on the account with status "open" and priority "normal"
    When they change the ticket's status to "pending" and priority to "high"
    Then the ticket page shows status "pending" and priority "high"
    And the platform has the ticket on the account with status "pending" and priority "high"
