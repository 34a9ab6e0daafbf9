"""Steps: custom (being written)."""
