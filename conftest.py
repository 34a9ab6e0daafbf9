"""Plain ``pytest`` at the root verifies the staging system of ``./golive.yaml``.

The golive plugin decides for itself whether it is active (see
``harness/plugin_options.py``): ``pytest`` or ``pytest features`` runs the
verification; ``pytest tests`` runs golive's own test-suite and touches nothing.
"""

from steps import MODULES

pytest_plugins = ["harness.plugin", *MODULES]
