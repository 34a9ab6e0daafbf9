@CF-BILL-01
Feature: The bill run on the new release
  Scenario: The staging bill run completed for the profile's date
    Given the staging bill run of this session
    Then the bill run is for the profile's bill-run date
    And the bill run finished successfully
    And the bill run billed at least 3 accounts
    And the billing service is stopped
