# Two commands for a fresh machine: `make demo` and `make test`. Both create .venv first; the
# demo installs only what it needs (the `demo` extra), the tests the dev set (a superset).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
CORE_VENV ?= .venv-core

.PHONY: demo test test-core lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Every extra (torch too) and the test tools.
$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# Nothing to install where a current dev set is: it holds the demo's set.
$(VENV)/.demo: pyproject.toml | $(BIN)/python
	[ $(VENV)/.dev -nt pyproject.toml ] || $(BIN)/python -m pip install --quiet -e ".[demo]"
	touch $@

demo: $(VENV)/.demo
	$(BIN)/featurehouse demo

lint: $(VENV)/.dev
	$(BIN)/ruff check featurehouse tests benchmarks
	$(BIN)/ruff format --check featurehouse tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# The core alone (`pip install .`, no extra) in a fresh venv of its own, with only the test
# runner on top: the tests of extras skip (tests/extras.py), the rest must pass, so a module
# missing from [project.dependencies] fails here, where the dev set would hide it.
test-core:
	rm -rf $(CORE_VENV)
	$(PYTHON) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/python -m pip install --quiet . pytest hypothesis
	$(CORE_VENV)/bin/pytest

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/feature_groups.py
