@CF-BILL-01
Feature: The bill run on the new release
  Procedure: restore the pre-bill-run backup of production, configure the bill
  run like production, execute it for the date production billed, then stop
  the billing service so nothing bills twice before the review.
  (The target's core question: latest_bill_run.)

  Scenario: The staging bill run completed for the profile's date
    Given the staging bill run of this session
    Then the bill run is for the profile's bill-run date
    And the bill run finished successfully
    And the bill run billed at least 1 account
    And the billing service is stopped
