# Set-up and everyday tasks. `make run` and `make test` work on a fresh machine
# with Python 3.11+ (and root or sudo for the browser the tests drive).

VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
# Where `make run` serves: `make run HOST=0.0.0.0 PORT=8080`.
HOST ?= 127.0.0.1
PORT ?= 8000
PIP = $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: run test index check lint translations browser clean screenshots security

$(BIN)/archive: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/archive
	$(PIP) install -e '.[test]'
	touch $@

## Build the index of the bundled corpus and serve the archive.
run: $(BIN)/archive
	$(BIN)/archive index
	$(BIN)/archive serve --host $(HOST) --port $(PORT)

## Install everything the tests need (the browser included) and run them,
## then the code and dependency checks.
test: $(VENV)/.test-deps browser
	$(BIN)/pytest
	$(MAKE) --no-print-directory security

## bandit on the code; pip-audit on the pinned dependencies (see docs/reliability.md).
security: $(VENV)/.test-deps
	$(BIN)/bandit -q -r src -c pyproject.toml
	$(BIN)/python -m pip freeze --exclude-editable > $(VENV)/requirements.txt
	$(BIN)/python scripts/audit.py $(VENV)/requirements.txt

## Debian's Chromium, which the browser tests drive through Playwright.
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

index: $(BIN)/archive
	$(BIN)/archive index

check: $(BIN)/archive
	$(BIN)/archive check

translations: $(BIN)/archive
	$(BIN)/archive translate update

lint: $(VENV)/.test-deps
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

clean:
	rm -rf $(VENV) index/g* index/CURRENT

## Screenshots of the Arabic and English search pages into docs/screenshots/.
screenshots: $(VENV)/.test-deps browser
	$(BIN)/python scripts/screenshots.py
