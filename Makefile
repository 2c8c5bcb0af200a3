# Two commands: `make run` and `make test` (see README.md).
# Everything they need is installed into .venv from PyPI on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
ASSETS := var/assets/.installed

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

install: $(STAMP) $(ASSETS)

# `make run` is the development stack: DEBUG on unless the caller says otherwise.
run: export DEBUG ?= true

## Start web + Celery worker + beat on the embedded (or configured) services.
run: $(STAMP) $(ASSETS)
	PORT=$(PORT) $(BIN)/python manage.py runstack

## Run the whole test suite (installs what is missing first).
test: $(STAMP) $(ASSETS)
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
