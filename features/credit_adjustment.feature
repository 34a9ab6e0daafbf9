Feature: Release 1.1: staff post credit adjustments from the admin portal
  The release notes of 1.1 (checklists/release-1.1.yaml): "staff can post a credit
  adjustment to an account from the admin portal (Account > Credit adjustment); it
  appears on the next invoice", and "adjustments.create gates the credit adjustment;
  it is granted to the admin and billing roles only". Procedure: "Practice using any
  new features so that you know how they operate". The credit goes to an account no
  other feature checks; the comparison with production accepts it (billing_changes).

  @REL-CREDIT-01
  Scenario: Billing staff post a credit; the page, the balance and the next invoice follow
    Given staff of role "billing" are logged in to the admin portal
    When they post a credit adjustment of "5.00" to account "A000050" for "golive release check"
    Then the portal confirms the credit and shows the balance lowered by it
    And the platform's balance is lowered by the credit
    And the platform holds the credit as an adjustment described as "Credit adjustment: golive release check", waiting for the next invoice

  @REL-PERM-01 @readonly
  Scenario: Only admin and billing staff are offered the credit adjustment
    Then on account "A000050" the credit adjustment is open to staff roles "admin, billing" and refused to "support, sales"
