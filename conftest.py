"""Plain ``pytest`` at the root verifies the staging system of ``./golive.yaml``.

Nothing needs registering here: golive's plugin and step library load through
its ``pytest11`` entry point, and the plugin decides for itself whether it is
active (``harness/pytest/options.py``). ``pytest`` or ``pytest features`` runs
the verification; ``pytest tests`` runs golive's own test-suite and touches
nothing.
"""
