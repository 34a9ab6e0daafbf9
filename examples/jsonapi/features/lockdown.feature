@CF-LOCK-01
Feature: Staging is locked down
  Scenario: Every invoice e-mail reached golive's SMTP sink, and nothing else left
    Given the staging bill run of this session
    Then every outbound endpoint of staging points at a golive sink
    And the SMTP sink captured one invoice email per invoice of the bill run
    And each invoice email went to the account's primary contact address
    And nothing escaped golive's sinks
