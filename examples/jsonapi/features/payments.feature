@CF-PAY-01
Feature: Payment processors
  Tallybill takes no payments itself: this scenario is NOT APPLICABLE on it.

  Scenario: Every configured payment processor is enabled
    Then every configured payment processor is enabled
