@CF-BILL-01
Feature: The bill run of the backup's date completes on silver 0.11.1, then nothing bills
  Procedure: "Execute the bill run", then stop the billing service "(this prevents the system
  from billing again before you have a chance to review the results)". silver has no bill-run
  table: a bill run is the billing logs of one date (the platform's SQL names it by that date),
  and no billing daemon: its status command says whether a bill run is in progress.

  Scenario: The bill run of the profile's date finished and billed the customers due
    Given the staging bill run of this session
    Then the bill run is for the profile's bill-run date
    And the bill run finished successfully
    And the bill run billed at least 150 accounts
    And the billing service is stopped
