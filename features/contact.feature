@CF-CONTACT-01
Feature: Contact information can be added and updated
  Procedure: "Contact information can be added / updated". A customer updates
  their contact details in the portal; the platform must store them, and an
  invalid email must be refused without touching what is stored. The account
  is one no other feature checks.

  Scenario: A customer updates their contact details; an invalid email is refused
    Given the customer "A000031" is logged in to the customer portal
    When they save their contact details:
      | field      | value                      |
      | first_name | Lance                      |
      | last_name  | Jones                      |
      | email      | lance.jones@example.invalid |
      | phone      | 555-0199                   |
      | street     | 42 Upgrade Avenue          |
      | city       | Stagingville               |
      | postcode   | 12345                      |
    Then the platform's contact of the account has those details
    When they try to save the email "not-an-email"
    Then the portal refuses it and the platform keeps the saved email
