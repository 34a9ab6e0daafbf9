"""Collects every Gherkin feature in this folder as pytest tests (pytest-bdd)."""

from pytest_bdd import scenarios

scenarios(".")
