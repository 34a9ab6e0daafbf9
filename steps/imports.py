"""Steps: imports (being written)."""
