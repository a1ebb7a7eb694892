# Everything a fresh machine needs starts from here: Python 3.11+ and Node.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup serve test lint format clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

## Start the local stack (moto-backed AWS + the real handlers) on 127.0.0.1:$${RILLET_PORT:-8787}.
serve: setup
	$(BIN)/python -m infra.local

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Lint, type-check, then every test (unit, adapters on moto, end to end with the real clients).
test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) cdk.out .mypy_cache .ruff_cache .pytest_cache
