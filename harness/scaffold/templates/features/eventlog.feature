@CF-LOG-01 @readonly
Feature: The event log is clean after the bill run
  Procedure: "Check the event log for any errors." The bill run logs what
  failed and carries on; an error here is a failure nobody else reports.
  (The target's core question: events.)

  Scenario: No errors in the event log since the bill run started
    Given the staging bill run of this session
    Then the event log has no errors since the bill run started
