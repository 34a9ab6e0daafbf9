@CF-PAYONLINE-01
Feature: Online payments are processed
  Procedure: "Online payments process". A customer pays in the portal through
  the payment gateway (on staging: the sandbox lock-down started). An approved
  card lowers the balance by the amount, on the page and on the platform; a
  declined card changes nothing. The account is one no other feature checks.

  Scenario: An approved card lowers the balance, a declined card does not
    Given the customer "A000017" is logged in to the customer portal
    When they pay "10.00" online with card "4111111111111111"
    Then the payment is "approved"
    And the balance shown and the platform's balance dropped by "10.00"
    When they pay "10.00" online with card "4000000000000002"
    Then the payment is "declined"
    And the balance shown and the platform's balance are unchanged
