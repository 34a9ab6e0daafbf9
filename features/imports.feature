@CF-IMPORT-01
Feature: Regular data imports import without issue
  Procedure: "Any regular data that is imported can be imported without issue".
  A bad line must not stop an import: the good lines are kept and the bad one is
  reported by its line number in the file (the header is line 1).
  These imports write to staging after the bill run, so they touch nothing other
  scenarios check: the usage belongs to an account no other scenario looks at and
  is dated after the bill-run date (no bill run rates it), and the imported
  accounts are new.

  Scenario: A usage import keeps the good lines and reports the bad one
    When the "usage" file "data/usage-import.csv" is imported
    Then 3 lines were imported
    And these lines were rejected:
      | line | reason  |
      | 4    | minutes |

  Scenario: An accounts import keeps the good lines and reports the bad one
    When the "accounts" file "data/accounts-import.csv" is imported
    Then 2 lines were imported
    And these lines were rejected:
      | line | reason |
      | 3    | email  |
    And the imported accounts exist on the platform
    And the imported account "Imported Tester Three" exists with bill day 20
