@CF-BILL-02
Feature: Diverse accounts bill as production billed them
  Ten or more accounts with setups as diverse as the business has. After the
  staging bill run each must show what production billed on the previous
  release: balance, status, invoice, every package's next bill date, usage and
  pooled minutes. The accounts and what each must show live in
  checklists/accounts.yaml, by key.
  (The target's core questions: account, packages, transactions, invoices.)

  Scenario Outline: <account> bills as production did
    Given the diverse account "<account>" from the checklist
    Then it matches every expectation in the checklist

    Examples:
      | account   |
      | ACC-FIRST |
