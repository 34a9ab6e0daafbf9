"""golive's step library: a generic vocabulary for go-live verification.

Each module holds the steps of one concept. They talk to the platform only
through the ``golive`` fixture (its ``target`` is a `harness.targets.Target`),
never through SQL, HTTP or the demo package, so the same features run against
any target. The root ``conftest.py`` loads every module listed here.
"""

MODULES = [
    "steps.billrun",
    "steps.accounts",
    "steps.eventlog",
    "steps.provisioning",
    "steps.outbound",
    "steps.payments",
    "steps.permissions",
    "steps.imports",
    "steps.custom",
    "steps.portal",
    "steps.portal_actions",
    "steps.adjustments",
]
