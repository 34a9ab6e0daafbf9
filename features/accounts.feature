@CF-BILL-02
Feature: Diverse accounts bill as production billed them
  Ten or more accounts with setups as diverse as the business has. After the
  staging bill run each must show what production billed on the previous
  release: balance, status, invoice, every package's next bill date, usage and
  pooled minutes. The expected values live in checklists/accounts.yaml.

  Scenario: Bob Smith (A000001): ten packages move ahead by their own period
    Given the account "A000001"
    Then its balance is "558.13"
    And its packages' next bill dates are:
      | package    | period    | next bill date |
      | NET-1000   | monthly   | 2026-12-01     |
      | VOICE-1000 | monthly   | 2026-12-01     |
      | TV-PREMIUM | monthly   | 2026-12-01     |
      | STATIC-IP  | monthly   | 2026-12-01     |
      | SECURITY-Q | quarterly | 2027-02-01     |
      | DOMAIN-Y   | yearly    | 2027-11-01     |
      | SUPPORT-Y  | yearly    | 2027-05-01     |
      | INSTALL    | one-off   | -              |
      | ROUTER     | one-off   | -              |
      | DEPOSIT    | one-off   | -              |

  Scenario: Jane Doe (A000002): five sub-accounts pool their minutes
    Given the account "A000002"
    Then it has 5 sub-accounts
    And it was charged "9.00" of usage in the bill run
    And 1000 minutes were applied to its minute bucket pool
    And its balance is "114.38"

  Scenario Outline: <account> bills as production did
    Given the diverse account "<account>" from the checklist
    Then it matches every expectation in the checklist

    Examples:
      | account            |
      | ACC-BOB            |
      | ACC-JANE           |
      | ACC-QUARTERLY      |
      | ACC-YEARLY-DUE     |
      | ACC-YEARLY-NOT-DUE |
      | ACC-ONE-OFF        |
      | ACC-PAST-DUE       |
      | ACC-CLOSED         |
      | ACC-OVERAGE        |
      | ACC-EOM31          |
      | ACC-LEAP           |
      | ACC-NEW-PKG        |
