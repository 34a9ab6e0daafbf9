@CF-PORTALDATA-01
Feature: Account data in the customer portal is presented accurately
  Procedure: "All account data exposed in the portal is presented properly and
  accurately (account name, bill date, balance, etc.)". For diverse accounts
  the customer portal must show the name, next bill date and balance exactly
  as the platform has them after the bill run, and the balance the checklist
  (checklists/accounts.yaml) expects.

  Scenario: Diverse accounts see their own data in the customer portal
    Then the customer portal shows these accounts as the platform and the checklist have them:
      | account        |
      | ACC-BOB        |
      | ACC-JANE       |
      | ACC-EOM31      |
      | ACC-PAST-DUE   |
      | ACC-QUARTERLY  |
      | ACC-DISC-PCT   |
