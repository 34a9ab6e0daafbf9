"""golive sanitize."""
