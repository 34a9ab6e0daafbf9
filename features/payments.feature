@CF-PAY-01
Feature: Payment processing works for every configured processor
  Procedure: "Check that you can process payments for all payment processors
  configured (credit card, echeck, etc.)". Auto-pay runs in the bill run; staff
  take payments in the admin portal afterwards. Lock-down points every processor
  at the gateway sandbox, so no real card or bank account is charged. A declined
  card is the customer's problem; a payment that failed or was rejected by the
  gateway is the platform's.

  @readonly
  Scenario: Every configured processor is enabled
    Then every configured payment processor is enabled
    And there is an enabled payment processor for each kind: card, echeck

  Scenario: Auto-pay charged each processor's accounts in the bill run
    Given the staging bill run of this session
    Then the bill run's auto-pay payments were:
      | account | kind   | status   | amount |
      | A000020 | card   | approved | 87.98  |
      | A000021 | card   | declined | 65.98  |
      | A000022 | echeck | approved | 65.99  |
    And no payment of the bill run failed on the platform's side

  Scenario: Staff take a card payment with the test card
    When staff take a "card" payment of "10.00" from account "A000020" with card "4111111111111111"
    Then the payment is approved through the "card" processor
    And the payment amount is "10.00"
    And the payment is recorded against account "A000020" as taken by staff

  Scenario: Staff take an eCheck payment with the account's stored method
    When staff take a "echeck" payment of "10.00" from account "A000022" with its stored method
    Then the payment is approved through the "echeck" processor
    And the payment amount is "10.00"
    And the payment is recorded against account "A000022" as taken by staff
