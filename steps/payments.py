"""Steps: payments (being written)."""
