"""Steps: provisioning (being written)."""
