@CF-LOCK-01
Feature: Staging is locked down: nothing leaves for real customers, cards or switches
  Procedure: lock staging down so that "credit cards can't be charged, emails won't go
  out ... and services and switches cannot be provisioned". golive points every outbound
  channel at sinks it runs and records; these scenarios prove that everything the bill
  run sent arrived there and nowhere else.

  Scenario: Nothing escaped the sinks
    Given the staging bill run of this session
    Then nothing escaped golive's sinks

  Scenario: One invoice email was captured per invoice of the bill run
    Given the staging bill run of this session
    Then the SMTP sink captured one invoice email per invoice of the bill run
    And each invoice email went to the account's primary contact address

  Scenario: Every outbound endpoint of staging points at a golive sink
    Given the staging bill run of this session
    Then every outbound endpoint of staging points at a golive sink
