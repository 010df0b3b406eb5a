# leadgate: one command each to run the local stack, test, lint, benchmark and build.
SHELL := /bin/bash
PYTHON ?= python3
# Another interpreter gets its own venv: `make test PYTHON=.../3.13/bin/python VENV=.venv-313`.
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 3000

.PHONY: run test fuzz lint bench bench-webhooks build clean setup openapi fuzz-contract

# The venv is rebuilt when the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup  ## the local stack on http://127.0.0.1:$(PORT)
	PORT=$(PORT) $(BIN)/python -m leadgate_dev.local

TESTS ?=  # pytest paths; empty: the whole suite
test: setup  ## ruff, the template checks and the whole pytest suite (or TESTS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n auto $(TESTS)

fuzz: setup fuzz-contract  ## the long runs: schemathesis (fuzz-contract), then the property suite with the `fuzz` profile
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -n auto -p no:cacheprovider tests/property

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup  ## DynamoDB calls, items read/written and import times; writes docs/benchmarks.md
	$(BIN)/python -m leadgate_dev.bench
	$(BIN)/python -m leadgate_dev.bench.webhooks
	$(BIN)/python -m leadgate_dev.bench.sync
	$(BIN)/python -m leadgate_dev.bench.counts
	$(BIN)/python -m leadgate_dev.bench.workspace
	$(BIN)/python -m leadgate_dev.bench.events
	$(BIN)/python -m leadgate_dev.bench.outbound
	$(BIN)/python -m leadgate_dev.bench.automations

bench-webhooks: setup  ## the webhook receiver's latency and the worker's calls per event (docs/benchmarks.md)
	$(BIN)/python -m leadgate_dev.bench.webhooks

openapi: setup  ## docs/openapi.json (and the docs function's copy), generated from the handlers
	$(BIN)/python -m leadgate_dev.openapi

# The long contract run: schemathesis on the local stack, every phase, a new seed each time (tests/contract).
CONTRACT_MAX_EXAMPLES ?= 100
CONTRACT_MAX_TIME ?= 600
CONTRACT_CHECKS ?= not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,positive_data_acceptance
fuzz-contract: setup  ## schemathesis against the local stack for CONTRACT_MAX_TIME seconds
	CONTRACT_MAX_EXAMPLES=$(CONTRACT_MAX_EXAMPLES) CONTRACT_MAX_TIME=$(CONTRACT_MAX_TIME) CONTRACT_SEED=random \
		CONTRACT_CHECKS=$(CONTRACT_CHECKS) \
		$(BIN)/pytest -m contract -p no:xdist -s tests/contract

build: setup  ## sam build, without Docker (aws-sam-cli lives in its own venv)
	bash tools/sam-build.sh

clean:
	rm -rf $(VENV) .local .aws-sam
