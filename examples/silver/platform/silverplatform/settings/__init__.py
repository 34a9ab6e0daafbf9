"""Django settings per environment: ``production`` (silver 0.10.0), ``staging`` (silver 0.11.1)."""
