# customer_master: the two commands are `make demo` and `make test`; everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
export DAGSTER_HOME := $(CURDIR)/.dagster_home
# The venv's tools (dbt, dagster, dg) first, for every command and the processes they start.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# The sandbox emulator's token; a real deployment sets MONDAY_API_TOKEN in the environment.
export MONDAY_API_TOKEN ?= sandbox-token
SANDBOX_PORT ?= 8765

.PHONY: help setup manifest demo test test-fast ui sandbox bench lock lint format system-deps clean

help:
	@echo "make demo    set up, start the sandbox, run the nightly pipeline for today (ingest, dbt, plan), print a summary"
	@echo "make test    set up and run the whole test suite"
	@echo "make ui      Dagster UI + daemon on http://127.0.0.1:3000 with the sandbox running"
	@echo "make bench   run the benchmarks (JSON in benchmarks/results/, table in benchmarks/README.md)"
	@echo "make lock    re-resolve requirements.lock from pyproject.toml"

# --- environment -------------------------------------------------------------------------------
$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: requirements.lock pyproject.toml | $(UV)
	$(UV) pip sync --python $(BIN)/python requirements.lock
	$(UV) pip install --python $(BIN)/python --no-deps -e .
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: deploy/dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp $< $@

# dbt's manifest, which the Dagster code location loads; re-parsed whenever the dbt project changes.
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -path dbt_project/logs -prune \
	-o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' \) -print)

$(MANIFEST): $(VENV)/.synced $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --profiles-dir . --quiet
	@touch $@

manifest: $(MANIFEST)

setup: $(VENV)/.synced $(DAGSTER_HOME)/dagster.yaml $(MANIFEST)

# Debian's unixODBC lets pyodbc load the Microsoft ODBC driver that ships in the mssql-python-odbc
# wheel. Only the SQL Server path needs it; skipped quietly where apt-get is not available.
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libodbc.so.2' || ! ldconfig -p 2>/dev/null | grep -q 'libltdl.so.7'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing unixodbc + libltdl7 for the SQL Server driver"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unixodbc libltdl7 >/dev/null) \
	      || echo "warning: could not install unixodbc/libltdl7; SQL Server driver tests will skip"; \
	  else echo "note: unixodbc/libltdl7 missing; SQL Server driver tests will skip"; fi; \
	fi

lock: | $(UV)
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --no-emit-index-url --no-emit-find-links -o requirements.lock

# --- the two commands --------------------------------------------------------------------------
demo: setup
	$(BIN)/python -m customer_master.demo

test: setup system-deps
	$(BIN)/python -m pytest

# Unit tests only: seconds, no servers.
test-fast: setup
	$(BIN)/python -m pytest tests/unit -q

# --- helpers -------------------------------------------------------------------------------------
sandbox: setup
	$(BIN)/python -m customer_master.sandbox serve --port $(SANDBOX_PORT)

ui: setup
	@$(BIN)/python -m customer_master.sandbox serve --port $(SANDBOX_PORT) & sandbox=$$!; \
	trap "kill $$sandbox 2>/dev/null" EXIT INT TERM; \
	CM_SANDBOX_PORT=$(SANDBOX_PORT) $(BIN)/dagster dev -m customer_master.definitions -h 127.0.0.1 -p 3000

bench: setup
	$(BIN)/python -m benchmarks.run_all

lint: setup
	$(BIN)/ruff check customer_master tests benchmarks
	$(BIN)/ruff format --check customer_master tests benchmarks

format: setup
	$(BIN)/ruff format customer_master tests benchmarks
	$(BIN)/ruff check --fix customer_master tests benchmarks

clean:
	rm -rf .data .dagster_home dbt_project/target dbt_project/logs .pytest_cache
