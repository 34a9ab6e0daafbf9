@CF-PORTAL-01 @readonly
Feature: Staff and customers reach the platform through its portals
  Procedure: "Login to the AdminPortal"; web portals that integrate with the
  platform work as expected. Every staff role of the profile logs in to the
  admin portal, and a customer logs in to the customer portal and opens its
  main pages, in a real browser.

  Scenario: Every staff role of the profile logs in to the admin portal
    When each staff role of the profile logs in to the admin portal
    Then every role sees the admin dashboard under its own user

  Scenario: A customer logs in to the customer portal and its main pages render
    Given the profile's customer is logged in to the customer portal
    Then the customer portal pages render:
      | page     | shows          |
      | /        | account-name   |
      | /usage   | usage-total    |
      | /contact | contact-form   |
      | /tickets | ticket-form    |
      | /pay     | payment-form   |
