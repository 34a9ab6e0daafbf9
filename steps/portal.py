"""Steps: portal (being written)."""
