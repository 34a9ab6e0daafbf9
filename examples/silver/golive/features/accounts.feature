@CF-BILL-02
Feature: Diverse customers are billed on 0.11.1 exactly as production billed them on 0.10.0
  Procedure: "Check your list of ten or more diverse scenario accounts. Check that the balance
  and charges match what were billed in your production server which is on the previous
  release". Each customer is named by customer_reference; what it must show is in
  checklists/accounts.yaml, read from production after its own bill run.

  @CF-PRICE-01
  Scenario Outline: Special pricing: <account> bills as on production
    Given the diverse account "<account>" from the checklist
    Then it matches every expectation in the checklist

    Examples:
      | account            |
      | ACC-MOST           |
      | ACC-FIBER-USAGE    |
      | ACC-FIBER-OVERAGE  |
      | ACC-PRORATED       |
      | ACC-PRORATED-LATE  |
      | ACC-PROFORMA       |
      | ACC-TRIAL-ENDED    |
      | ACC-ON-TRIAL       |
      | ACC-TRIAL-VOICE    |
      | ACC-YEARLY         |
      | ACC-ENDED-USAGE    |
      | ACC-HOURS          |
      | ACC-WAIT           |

  Scenario Outline: <account> bills as on production
    Given the diverse account "<account>" from the checklist
    Then it matches every expectation in the checklist

    Examples:
      | account            |
      | ACC-CONSOLIDATED   |
      | ACC-WEEKLY         |
      | ACC-DELETED        |
      | ACC-CANCELLED      |
      | ACC-REVERSE-CHARGE |
