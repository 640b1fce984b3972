# Two commands do all the set-up (README):
#   make serve   install into .venv and run the service on http://127.0.0.1:8080 (SQLite default)
#   make test    install into .venv (with test tools and test servers) and run every check
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: serve test install install-test test-servers lint typecheck unit bench catalogue

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[postgres]"
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test,postgres]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# The public base URL (JWT `aud`, card links) defaults to the address it listens on.
serve: install
	MARROW_CDS_PUBLIC_BASE_URL="$${MARROW_CDS_PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}" \
	$(BIN)/marrow-cds serve --host $(HOST) --port $(PORT)

# Real servers for the end-to-end tiers (Medplum FHIR engine on Node 22, PostgreSQL).
# Best effort: where one cannot be installed, its tests skip and say why.
test-servers:
	bash tests/servers/install.sh

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/vulture

typecheck: install-test
	$(BIN)/mypy logic fhir_mappers cds_hooks tests/support tests/conftest.py

unit: install-test
	$(BIN)/pytest

test: install-test test-servers lint typecheck unit

bench: install-test
	$(BIN)/python benchmarks/request_handling.py
