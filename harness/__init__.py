"""golive harness."""
