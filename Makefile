# Every target bootstraps what it needs: a fresh machine needs only python3, node/npm and make.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PY_DEPS := $(VENV)/.installed
NODE_DEPS := node_modules/.installed
STAGE ?= dev
ARGS ?=

.PHONY: dev test lint format bench deploy user clean

$(PY_DEPS): requirements-dev.txt shared/pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make dev: the whole system on this machine, on an embedded AWS emulator (ARGS=--no-samples skips the lab files)
dev: $(PY_DEPS) $(NODE_DEPS)
	$(PY) -m devstack $(ARGS)

## make test: every test (unit, integration, local stack end to end, browser, packaging)
test: $(PY_DEPS) $(NODE_DEPS)
	$(PY) -m pytest $(ARGS)

lint: $(PY_DEPS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(PY_DEPS)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make bench: side-by-side benchmarks against the lab-style baseline; writes docs/benchmarks.md
bench: $(PY_DEPS) $(NODE_DEPS)
	$(PY) -m bench $(ARGS)

## make user ARGS="--local create-user ravi --store Karachi": create a dashboard user (see README)
user: $(PY_DEPS)
	PYTHONPATH=services/dashboard-api $(PY) -m dashboard_api.admin $(ARGS)

## make deploy STAGE=prod: deploy every service to AWS in dependency order
deploy: $(NODE_DEPS)
	npx serverless deploy --stage $(STAGE)

clean:
	rm -rf .local .serverless services/*/.serverless .pytest_cache .mypy_cache .ruff_cache
