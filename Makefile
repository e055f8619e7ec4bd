# eventapp — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: run test test-suite static-checks test-postgres serve bench bench-postgres lint format translations clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Reinstalls when pyproject.toml changes; the stamp keeps later runs instant.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Catalogues (.po) are the source; the compiled .mo files are built here, never committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d eventapp/translations 2>&1 | grep -v '^compiling' || true

# Links in mails and calendars follow PORT unless EVENTAPP_BASE_URL says otherwise.
run serve: export EVENTAPP_BASE_URL := $(or $(EVENTAPP_BASE_URL),http://127.0.0.1:$(PORT))

# The development server delivers a mail in the request that queues it; the watcher beside
# it delivers what falls due later (calendar updates gathered for a few minutes, retries).
run: $(VENV)/.installed translations
	$(BIN)/eventapp db upgrade
	$(BIN)/eventapp demo
	$(BIN)/eventapp mail send --watch --interval 5 --parent $$$$ & \
	trap 'kill $$! 2>/dev/null' EXIT; \
	$(BIN)/eventapp run --host $(HOST) --port $(PORT)

serve: $(VENV)/.installed translations
	$(BIN)/eventapp db upgrade
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py

# The whole suite on SQLite; with EVENTAPP_TEST_POSTGRES=1, again on a throwaway PostgreSQL.
test: $(VENV)/.installed translations
	bash scripts/test-deps.sh
	$(MAKE) --no-print-directory test-suite
	@if [ "$${EVENTAPP_TEST_POSTGRES:-0}" = "1" ]; then $(MAKE) --no-print-directory test-postgres; fi

test-suite: static-checks
	$(BIN)/pytest $(PYTEST_ARGS)

# Lint, the layers of docs/architecture.md (lint-imports, contracts in pyproject.toml), then
# security checks: bandit (no medium or high finding but those pyproject.toml keeps and
# justifies) and pip-audit (known vulnerabilities in the installed packages, when PyPI's
# advisory service answers; otherwise it says so and the run goes on).
static-checks:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/bandit -c pyproject.toml -q -r eventapp gunicorn.conf.py --severity-level medium
	$(BIN)/python scripts/audit_dependencies.py

test-postgres:
	bash scripts/with-postgres.sh $(MAKE) --no-print-directory test-suite

# Benchmarks: not part of `make test`; prints one table (see bench/run.py).
bench: $(VENV)/.installed translations
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The same on a throwaway PostgreSQL that keeps fsync on (durability is not traded for speed).
bench-postgres: $(VENV)/.installed translations
	PG_FSYNC=on bash scripts/with-postgres.sh $(BIN)/python -m bench.run $(BENCH_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
