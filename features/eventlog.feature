@CF-LOG-01 @readonly
Feature: The event log is clean after the bill run
  Procedure: "Login to the AdminPortal. Check event log for any errors."

  Scenario: No errors in the event log since the bill run started
    Given the staging bill run of this session
    Then the event log has no errors since the bill run started
