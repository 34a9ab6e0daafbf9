@CF-PRICE-01
Feature: Special pricing bills correctly
  Price plans, product discounts (percentage and fixed) and invoice discounts
  change what customers pay; each such account must bill as production did.

  Scenario Outline: <account> gets its special price
    Given the diverse account "<account>" from the checklist
    Then it matches every expectation in the checklist

    Examples:
      | account          |
      | ACC-DISC-PCT     |
      | ACC-DISC-FIXED   |
      | ACC-DISC-INVOICE |
      | ACC-PLAN         |
