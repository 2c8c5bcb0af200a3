# Two commands: `make run` and `make test` (see README.md).
# Everything they need is installed into .venv from PyPI on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
ASSETS := var/assets/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test install lock check clean-var

# The stamp is rebuilt when the dependency declarations change.
# requirements.lock pins the whole tree declared in pyproject.toml (`make lock`).
$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@touch $(STAMP)

# Front-end assets: pinned npm packages fetched by Python (assets.lock.json), no Node needed.
$(ASSETS): assets.lock.json $(STAMP)
	$(BIN)/python -m core.assets
	@touch $(ASSETS)

# The browser tests (tests/browser) drive Debian's Chromium through Playwright.
# It comes from Debian's packages only: never `playwright install`.
$(CHROMIUM):
	@command -v apt-get >/dev/null 2>&1 || { \
	  echo "The browser tests need Chromium at $(CHROMIUM): install Debian's package (apt-get install chromium)." >&2; exit 1; }
	@if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else echo "The browser tests need Chromium at $(CHROMIUM): run 'apt-get update && apt-get install -y --no-install-recommends chromium' as root." >&2; exit 1; fi; \
	echo "Installing Debian's chromium for the browser tests..."; \
	$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
	@test -x $(CHROMIUM) || { echo "apt-get installed chromium but $(CHROMIUM) is missing." >&2; exit 1; }

install: $(STAMP) $(ASSETS)

# `make run` is the development stack: DEBUG on unless the caller says otherwise.
run: export DEBUG ?= true

## Start web + Celery worker + beat on the embedded (or configured) services.
run: $(STAMP) $(ASSETS)
	PORT=$(PORT) $(BIN)/python manage.py runstack

## Run the whole test suite (installs what is missing first, Debian's chromium included).
test: $(STAMP) $(ASSETS) $(CHROMIUM)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Re-pin every dependency after a change in pyproject.toml.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet ".[test]"
	.venv-lock/bin/python -m pip freeze | grep -v '^logement-accompagne' > requirements.lock
	rm -rf .venv-lock

check: $(STAMP)
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports
