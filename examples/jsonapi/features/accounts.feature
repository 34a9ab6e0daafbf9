@CF-BILL-02
Feature: Diverse accounts bill as production billed them
  Scenario: Jane Doe (T-1002) pays for two sub-accounts
    Given the account "T-1002"
    Then it has 2 sub-accounts
    And it was charged "10.00" of usage in the bill run

  Scenario Outline: <account> bills as production did
    Given the diverse account "<account>" from the checklist
    Then it matches every expectation in the checklist

    Examples:
      | account       |
      | ACC-BOB       |
      | ACC-JANE      |
      | ACC-MIDMONTH  |
      | ACC-CLOSED    |
      | ACC-QUARTERLY |
