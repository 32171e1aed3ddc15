# The two commands of the README's quick start, and their building blocks.
#   make demo   install everything into .venv and open the workbench on the default task
#   make test   install the test dependencies, start what the tests need, run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_TASK ?= prisonersDilemma
DEMO_PACE ?= 1.5

.PHONY: demo install test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The install runs again only when the package's metadata changed (an editable install picks up code
# changes by itself); `make -B install` forces it.
INSTALLED := $(VENV)/.installed-tui

$(INSTALLED): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[tui]'
	touch $@

install: $(INSTALLED)

# The workbench watching the offline sweep agent (edits, trains, validates, submits) on the local
# backend: no API key, no Docker. Paced so it can be followed (+ / - change the pace live).
demo: install
	$(BIN)/mlgym-tui watch $(DEMO_TASK) --agent sweep --pace $(DEMO_PACE)

test:
	bash scripts/test.sh

lint: $(BIN)/python
	$(BIN)/ruff check mlgym_tui tests benchmarks
