# `make run` and `make test` work on a fresh machine with Python 3.11+: they create .venv,
# install what is needed, and go.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bench clean browser imap translations translations-compile

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/events-service migrate
	$(BIN)/events-service demo --if-empty
	$(BIN)/events-service serve

# ruff, and the layers ([tool.importlinter] in pyproject.toml): an import only points down, so CI fails on a new upward one.
lint: $(INSTALLED)
	$(BIN)/ruff check events_service tests bench
	$(BIN)/lint-imports

# Debian's Chromium for the browser tests (tests/web/test_browser.py); they skip, saying why,
# when it cannot be installed, and `make test` goes on.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium) || echo "Chromium unavailable: browser tests will skip"

# Debian's Dovecot for the reply-mailbox tests (tests/support/imap.py starts its own instance on
# a free port); they skip, saying why, when it cannot be installed.
imap:
	@test -x /usr/sbin/dovecot || (apt-get update && apt-get install -y dovecot-imapd) || echo "Dovecot unavailable: IMAP tests will skip"

test: $(INSTALLED) lint browser imap
	$(BIN)/python -m pytest -W error::DeprecationWarning:events_service -q $(PYTEST_ARGS)

# The words of the pages and emails are gettext catalogs (events_service/locale/<lang>/LC_MESSAGES).
# `make translations` extracts them from the code and templates (babel.cfg) into messages.pot and
# merges that into every language's .po: translate the new, empty msgstr there. A language is a
# new catalog (pybabel init -l <code> -i events_service/locale/messages.pot -d events_service/locale)
# plus its code in events_service/languages.py.
translations: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project events-service \
		-o events_service/locale/messages.pot .
	$(BIN)/pybabel update -i events_service/locale/messages.pot -d events_service/locale -D messages \
		--ignore-obsolete --no-fuzzy-matching --ignore-pot-creation-date

# The .mo files a build ships (the service compiles a missing or older one itself at first use).
translations-compile: $(INSTALLED)
	$(BIN)/pybabel compile -d events_service/locale -D messages --statistics

bench: $(INSTALLED)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
