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
# Ports of `make ui`/`make sandbox`: CM_SANDBOX_PORT (the variable the code reads) and CM_UI_PORT from
# the environment, or SANDBOX_PORT=/UI_PORT= on the command line.
SANDBOX_PORT ?= $(or $(CM_SANDBOX_PORT),8765)
# The OMS emulator's port (CM_OMS_PORT, or OMS_PORT=); `make ui` runs the OMS assets against it.
OMS_PORT ?= $(or $(CM_OMS_PORT),8766)
UI_PORT ?= $(or $(CM_UI_PORT),3000)
# The Monday webhook receiver's port (CM_WEBHOOK_PORT, or WEBHOOK_PORT=); `make ui` runs order changes
# live against the sandbox: the receiver, the webhooks registered on the sandbox's Orders board.
WEBHOOK_PORT ?= $(or $(CM_WEBHOOK_PORT),8767)

.PHONY: help setup manifest demo test test-fast ui sandbox bench lock lint format system-deps clean

help:
	@echo "make demo    set up, start the sandbox, run the nightly pipeline for today (ingest, dbt, plan), print a summary"
	@echo "make test    set up and run the whole test suite"
	@echo "make ui      Dagster UI + daemon on http://127.0.0.1:\$$UI_PORT (3000) with both sandboxes and the webhook receiver running"
	@echo "make bench   run the benchmarks (JSON in benchmarks/results/, table in benchmarks/README.md)"
	@echo "make lock    re-resolve requirements.lock from pyproject.toml"

# --- environment -------------------------------------------------------------------------------
$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

# Bytecode compiled at install: with PYTHONDONTWRITEBYTECODE set (as on CI machines) every process
# would otherwise compile dagster and dbt from source again (~2 s per run worker, dbt run and test).
$(VENV)/.synced: requirements.lock pyproject.toml | $(UV)
	$(UV) pip sync --python $(BIN)/python --compile-bytecode requirements.lock
	$(UV) pip install --python $(BIN)/python --no-deps --compile-bytecode -e .
	@touch $@

# Migrated here, once: left to the first `dagster` commands, two of them starting together on a
# fresh DAGSTER_HOME race to create the SQLite storage and corrupt it ("alembic_version has more than
# one head", "table ... already exists"). A failed migration removes the copy so make retries it.
$(DAGSTER_HOME)/dagster.yaml: deploy/dagster.yaml | $(VENV)/.synced
	@mkdir -p $(DAGSTER_HOME)
	cp $< $@
	$(BIN)/dagster instance migrate >/dev/null || { rm -f $@; exit 1; }

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
# wheel (only the SQL Server path needs it); Debian's chromium is the browser that
# tests/e2e/ui_browser.py drives headless through Playwright (never Playwright's own download).
# Each is installed only as root with apt-get, and skipped quietly elsewhere (its tests then skip).
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libodbc.so.2' || ! ldconfig -p 2>/dev/null | grep -q 'libltdl.so.7'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing unixodbc + libltdl7 for the SQL Server driver"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unixodbc libltdl7 >/dev/null) \
	      || echo "warning: could not install unixodbc/libltdl7; SQL Server driver tests will skip"; \
	  else echo "note: unixodbc/libltdl7 missing; SQL Server driver tests will skip"; fi; \
	fi
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the UI browser test"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; the UI browser test will skip"; \
	  else echo "note: chromium missing; the UI browser test will skip"; fi; \
	fi

lock: | $(UV)
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --no-emit-index-url --no-emit-find-links -o requirements.lock

# --- the two commands --------------------------------------------------------------------------
demo: setup
	$(BIN)/python -m customer_master.demo $(if $(VERBOSE),--verbose)

# Lint (ruff, mypy) first: CI runs exactly this target. Two workers (pytest-xdist), one test file
# per worker at a time (a file's module fixtures, e.g. a nightly story, are built once): the suite
# is dbt, Dagster and HTTP waits, and one process kept only one of the 2 cores busy.
test: setup system-deps lint
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

# Everything not marked slow (no Dagster run, no dbt; tests/unit/test_suite_markers.py keeps it so).
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" -q

# --- helpers -------------------------------------------------------------------------------------
sandbox: setup
	$(BIN)/python -m customer_master.sandbox serve --port $(SANDBOX_PORT)

# `dagster dev` waits up to 60 s for its webserver and then 60 s for its daemon to stop; a daemon busy
# in a sensor tick under load can take all of it. Past this grace the whole group of `dagster dev`
# (webserver, daemon, code servers) is killed, so Ctrl-C never leaves `make ui` hanging for minutes.
UI_STOP_GRACE_SECONDS ?= 30

# The sandbox and `dagster dev -w workspace.yaml` (the one code location name) side by side. `set -m`
# gives each its own process group with SIGINT/SIGTERM handled (a plain `&` job ignores SIGINT, and
# dagster dev maps SIGTERM to its SIGINT handler, so it ignored both); Ctrl-C or a SIGTERM to make
# reaches this shell's trap, which stops both; either one exiting stops the other.
ui: setup
	@echo "Dagster UI: http://127.0.0.1:$(UI_PORT)  (sandbox: http://127.0.0.1:$(SANDBOX_PORT)/v2, OMS sandbox: http://127.0.0.1:$(OMS_PORT), webhook receiver: http://127.0.0.1:$(WEBHOOK_PORT); Ctrl-C stops all)"
	@set -m; \
	export CM_SANDBOX_PORT=$(SANDBOX_PORT) CM_WEBHOOK_PORT=$(WEBHOOK_PORT) CM_REALTIME_MODE=$${CM_REALTIME_MODE:-webhook}; \
	$(BIN)/python -m customer_master.sandbox serve --profile demo --port $(SANDBOX_PORT) & sandbox=$$!; \
	$(BIN)/python -m customer_master.sandbox.oms serve --profile demo --port $(OMS_PORT) & oms=$$!; \
	$(BIN)/python -m customer_master.realtime serve --port $(WEBHOOK_PORT) & receiver=$$!; \
	{ $(BIN)/python -m customer_master.realtime register --wait 60 \
	  || echo "warning: webhooks not registered; order changes wait for the nightly run"; } & \
	CM_DAGSTER_UI_URL=$${CM_DAGSTER_UI_URL:-http://127.0.0.1:$(UI_PORT)} \
	  CM_OMS_ENABLED=$${CM_OMS_ENABLED:-true} OMS_API_URL=$${OMS_API_URL:-http://127.0.0.1:$(OMS_PORT)} \
	  OMS_API_TOKEN=$${OMS_API_TOKEN:-shpat_sandbox} \
	  $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(UI_PORT) & dev=$$!; \
	stop() { trap '' INT TERM; [ -n "$$watchdog" ] && return; \
	  kill -INT $$dev 2>/dev/null; kill -TERM $$sandbox $$oms $$receiver 2>/dev/null; \
	  { sleep $(UI_STOP_GRACE_SECONDS); kill -KILL -- -$$dev 2>/dev/null; } & watchdog=$$!; }; \
	trap stop INT TERM; \
	wait -n $$dev $$sandbox $$oms $$receiver; status=$$?; stop; \
	wait $$dev $$sandbox $$oms $$receiver; kill -KILL -- -$$watchdog 2>/dev/null; exit $$status

bench: setup
	$(BIN)/python -m benchmarks.run_all

lint: setup
	$(BIN)/ruff check customer_master tests benchmarks
	$(BIN)/ruff format --check customer_master tests benchmarks
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format customer_master tests benchmarks
	$(BIN)/ruff check --fix customer_master tests benchmarks

clean:
	rm -rf .data .dagster_home dbt_project/target dbt_project/logs .pytest_cache

# dbt's documentation site (models, columns, tests, lineage) with the venv's dbt. The catalog is read
# from the warehouse (CM_DUCKDB_PATH), so run it while no pipeline run writes the DuckDB file.
DBT_DOCS_PORT ?= 8080
.PHONY: dbt-docs
dbt-docs: setup
	cd dbt_project && ../$(BIN)/dbt docs generate --profiles-dir . \
	  && ../$(BIN)/dbt docs serve --profiles-dir . --host 127.0.0.1 --port $(DBT_DOCS_PORT) --no-browser
