"""`golive init`: a working project for a new platform, from templates shipped as package data."""
