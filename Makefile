# Two commands set everything up on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run pip only when a requirements file changes.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

run: $(VENV)/.runtime-installed
	$(BIN)/python -m ui.server --server.port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest

bench: $(VENV)/.runtime-installed
	$(BIN)/python -m bench $(ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/python -m ruff check .

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache .ruff_cache
