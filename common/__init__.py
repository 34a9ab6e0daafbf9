"""What every golive package needs and none may own: errors, YAML with line numbers, DSNs.

The bottom layer (ARCHITECTURE.md): it imports nothing of golive, so `sanitize`
and `harness` can both use it without importing each other.
"""
