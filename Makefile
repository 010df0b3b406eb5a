# leadgate: one command each to run the local stack, test, lint, benchmark and build.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000

.PHONY: run test lint bench build clean setup

# The venv is rebuilt when the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup  ## the local stack on http://127.0.0.1:$(PORT)
	PORT=$(PORT) $(BIN)/python -m leadgate_dev.local

test: setup  ## ruff, the template checks and the whole pytest suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n auto

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup  ## DynamoDB calls, items read/written and import times; writes docs/benchmarks.md
	$(BIN)/python -m leadgate_dev.bench
	$(BIN)/python -m leadgate_dev.bench_sync

build: setup  ## sam build, without Docker (aws-sam-cli lives in its own venv)
	bash tools/sam-build.sh

clean:
	rm -rf $(VENV) .local .aws-sam
