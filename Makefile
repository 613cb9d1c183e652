# Two commands on a fresh machine (Python 3.11+): `make gate` and `make test`.
# Each bootstraps .venv on first use; later runs reuse it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: gate test lint serve clean

NODE_STAMP := node_modules/.package-lock.json

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "oms-harness needs Python 3.11+: make PYTHON=python3.11 ..." >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Allure 3 (Node) renders the HTML report; without npm the gate still runs and says how to render.
$(NODE_STAMP): package-lock.json
	-npm ci --no-audit --no-fund --loglevel=error

gate: $(STAMP) $(NODE_STAMP)  ## the main job against the embedded local reference
	$(BIN)/oms-harness gate $(ARGS)

test: $(STAMP) $(NODE_STAMP)  ## the harness's own tests (lint + pytest)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 $(ARGS)

serve: $(STAMP)  ## the local reference on 127.0.0.1:8080
	$(BIN)/oms-harness serve $(ARGS)

clean:
	rm -rf $(VENV) node_modules .tox .mypy_cache .ruff_cache .hypothesis .schemathesis
