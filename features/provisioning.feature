@CF-PROV-01
Feature: Provisioning workflows are in place and fully functional
  Procedure: "Check your list for provisioning requirements, did the system
  provision what it should have?" Any process that provisions to an external
  system is critical. The bill run activates new services and suspends past-due
  accounts; lock-down points every provisioning endpoint at golive's sink, so
  what the platform recorded is checked against what actually arrived there.

  Scenario: A new package is activated on its external system by the bill run
    Given the diverse account "ACC-NEW-PKG" from the checklist
    Then the bill run sent these provisioning requests for it:
      | action   | service | package  | status |
      | activate | tv      | TV-BASIC | sent   |
    And the provisioning sink received exactly those requests
    And its package "TV-BASIC" is provisioned

  Scenario: A past-due account is suspended on every provisioned service
    Given the diverse account "ACC-PAST-DUE" from the checklist
    Then the bill run sent these provisioning requests for it:
      | action  | service  | package  | status |
      | suspend | internet | NET-1000 | sent   |
      | suspend | tv       | TV-BASIC | sent   |
    And the provisioning sink received exactly those requests

  Scenario: No provisioning request of the bill run failed
    Given the staging bill run of this session
    Then no provisioning request of the bill run failed
    And every provisioning request the bill run sent reached the provisioning sink
