@CF-SIGNUP-01
Feature: Portal signup creates accounts and user-packages
  Procedure: "User signup is functioning in the portal and creating accounts,
  user-packages, etc." A new customer signs up in the customer portal; the
  platform must hold the account with its package and contact, and the new
  customer must be able to log in.

  Scenario: A new customer signs up for a package and logs in
    When a new customer signs up for package "NET-500" with password "golive-signup"
    Then the platform has the new account with that package and contact
    And the new customer can log in to the customer portal and sees their account
