Feature: What silver cannot answer stays visible as NOT APPLICABLE
  These procedure items need capabilities silver's database does not have; golive runs the
  scenarios and shows each as NOT APPLICABLE with the reason — never passed, never a defect.

  @CF-PROV-01
  Scenario: The bill run's provisioning requests reached the provisioning sink
    Given the staging bill run of this session
    Then every provisioning request the bill run sent reached the provisioning sink

  @CF-POOL-01
  Scenario: A bill payer's sub-accounts pool their minutes
    Given the account "CUS-000077"
    Then it has 0 sub-accounts
    And 0 minutes were applied to its minute bucket pool

  @CF-PAY-01
  Scenario: Every configured payment processor is enabled
    Then every configured payment processor is enabled
