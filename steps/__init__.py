"""golive steps."""
