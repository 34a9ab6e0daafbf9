# golive — every target sets itself up from a fresh clone (venv, packages, system checks).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
GOLIVE_ARGS ?= -n 2
# The sanitizer's keyed-hash secret; this default is for the synthetic demo data only.
export GOLIVE_SANITIZE_SALT ?= demo-only-salt-not-secret

.PHONY: demo test bench lint setup system-check clean example-silver

## demo: the main job — verify the demo platform's new release and write the sign-off report
demo: setup system-check
	$(VENV)/bin/golive run $(GOLIVE_ARGS)

## example-silver: golive verifies a real platform, django-silver 0.10.0 -> 0.11.1, with a
## profile only (examples/silver); FAULT=plan-price reprices a plan on staging after the restore
SILVER := examples/silver
SILVER_VAR := $(SILVER)/var
SILVER_DATE := 2026-11-01
SILVER_CUSTOMERS ?= 200
example-silver: setup
	$(SILVER)/platform/setup
	$(SILVER)/platform/silverctl production generate --replace --customers $(SILVER_CUSTOMERS) \
	  --seed 42 --bill-date $(SILVER_DATE) --db $(SILVER_VAR)/production.db
	rm -rf $(SILVER_VAR)/backup
	$(SILVER)/platform/silverctl production backup --db $(SILVER_VAR)/production.db \
	  --out $(SILVER_VAR)/backup --seed 42
	$(SILVER)/platform/silverctl production billrun $(SILVER_DATE) --db $(SILVER_VAR)/production.db
	$(if $(FAULT),SILVER_RESTORE=../platform/faults/$(FAULT)-after-restore) \
	  $(VENV)/bin/golive run --profile $(SILVER)/golive/golive.yaml

## test: all of golive's tests (unit, PostgreSQL, browser, end to end)
test: setup system-check
	$(PY) -m pytest tests -n 2 $(PYTEST_ARGS)

## bench: benchmarks with their targets (never part of the tests)
bench: setup system-check
	$(PY) -m bench

## lint: ruff and mypy
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy demo harness sanitize steps

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "golive needs Python >= 3.11 (found $$($(PYTHON) --version 2>&1)); set PYTHON=python3.11 or newer" >&2; exit 2; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || \
	  { echo "could not create a venv: install python3-venv (Debian/Ubuntu: sudo apt-get install python3-venv)" >&2; exit 2; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## system-check: Chromium and PostgreSQL's server binaries; installs them as root, else says what to install
system-check:
	@./.ci/system-deps

clean:
	rm -rf $(VENV) demo/var reports/*/ reports/latest .pytest_cache .ruff_cache .mypy_cache
