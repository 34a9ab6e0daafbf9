"""Tests of the harness library."""
