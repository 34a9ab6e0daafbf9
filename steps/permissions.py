"""Steps: permissions (being written)."""
