# `make run` and `make test` work on a fresh machine with Python 3.11+: they create .venv,
# install what is needed, and go.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bench clean browser

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/events-service migrate
	$(BIN)/events-service demo --if-empty
	$(BIN)/events-service serve

lint: $(INSTALLED)
	$(BIN)/ruff check events_service tests bench

# Debian's Chromium for the browser tests (tests/web/test_browser.py); they skip, saying why,
# when it cannot be installed, and `make test` goes on.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium) || echo "Chromium unavailable: browser tests will skip"

test: $(INSTALLED) lint browser
	$(BIN)/python -m pytest -W error::DeprecationWarning:events_service -q $(PYTEST_ARGS)

bench: $(INSTALLED)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
