@CF-CUSTOM-01
Feature: Custom code, page extensions and actions are in place and fully functional
  Site-specific extensions are not covered by the vendor's release testing. The
  late-fee action adds a fee to the invoice of every past-due account in the
  bill run; the fee is configured at 5.00.

  Scenario: The late-fee action is in place and charged the past-due account
    Given the diverse account "ACC-PAST-DUE" from the checklist
    Then the custom action "late_fee" is in place at hook "after_invoice" and enabled
    And it got an "adjustment" of "5.00" described as "Late fee" in the bill run
