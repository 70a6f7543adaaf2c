# dxq — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help demo test test-fast lint clean browser bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP) ## build the e-commerce demo, run its checks, serve the dashboard on :8501
	$(BIN)/dxq demo

test: $(STAMP) browser ## run the whole test suite (needs PostgreSQL and MariaDB on 127.0.0.1)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP) ## the suite without the browser tests
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not e2e"

browser: ## install Debian's chromium and prometheus for the tests that drive them
	@scripts/install-test-tools

lint: $(STAMP) ## ruff and mypy strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP) ## run every benchmark (25-40 minutes, the first tpch.py load included; see benchmarks/README.md)
	$(BIN)/python benchmarks/cli_start.py
	$(BIN)/python benchmarks/reconcile.py
	$(BIN)/python benchmarks/tpch.py --repeat 1
	$(BIN)/python benchmarks/latency.py
	$(BIN)/python benchmarks/gx_suite.py
	$(BIN)/python benchmarks/dashboard.py
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/scheduler.py
	$(BIN)/python benchmarks/anomalies.py

clean: ## remove the virtual environment and local state
	rm -rf $(VENV) .dxq
