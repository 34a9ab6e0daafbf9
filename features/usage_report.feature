@CF-REPORT-01 @readonly
Feature: Customer reports show usage as the platform rated it
  Procedure: "Customer reports work (e.g. usage tracking)". The customer
  portal's usage report must show the account's own minutes and its minute
  pool (included, used, overage) exactly as the platform has them after the
  bill run.

  Scenario Outline: The usage report matches the platform for <who>
    Given the customer "<account>" is logged in to the customer portal
    When they open their usage report
    Then the usage report shows the account's own minutes as the platform has them
    And the usage report shows the minute pool as the platform has it

    Examples:
      | who                              | account |
      | Bob Smith, own voice minutes     | A000001 |
      | Jane Doe, pool of her five lines | A000002 |
