# Two commands on a fresh machine (Python 3.11+): `make gate` and `make test`.
# Each bootstraps .venv on first use; later runs reuse it. The venv installs exactly the
# versions pinned in requirements.lock (pyproject.toml keeps ranges, for `pip install .`);
# `make lock` regenerates the lock after a dependency change in pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LOCK := requirements.lock

.PHONY: gate test lint serve clean lock

NODE_STAMP := node_modules/.package-lock.json

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "oms-harness needs Python 3.11+: make PYTHON=python3.11 ..." >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[dev]"
	touch $(STAMP)

# The one command that writes requirements.lock: every dependency (and the dev extra),
# for every platform, from pyproject.toml. Commit the result with the pyproject change.
lock:
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet uv; }
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--quiet -o $(LOCK)

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
