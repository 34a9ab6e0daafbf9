@CF-LOCK-01
Feature: Staging is locked down: nothing the bill run sent left the machine
  silver keeps its outbound settings outside the database, so golive's profile says per
  channel how staging is locked down (golive.yaml, lockdown.channels): mail goes to golive's
  SMTP sink through SILVER_EMAIL_URL, given to the bill-run command; payments and HTTP cannot
  be redirected and are blocked by configuration (each a manual item someone confirms). silver's
  bill run sends no mail and creates no transaction, and golive checks exactly that.

  Scenario: Nothing escaped golive's sinks
    Given the staging bill run of this session
    Then nothing escaped golive's sinks
