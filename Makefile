# Every target bootstraps what it needs: a fresh machine needs only python3 (3.11+, with venv),
# node/npm (20+) and make.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# One virtualenv, filled in two steps: what running the stack needs (make dev), then the test tools.
STACK_DEPS := $(VENV)/.stack-installed
PY_DEPS := $(VENV)/.installed
NODE_DEPS := node_modules/.installed
# checkov pins an older boto3, so it lives in a virtualenv of its own.
CHECKOV_DEPS := $(VENV)/tools/checkov/.installed
STAGE ?= dev
ARGS ?=
TEST_WORKERS ?= 2

.PHONY: dev test lint format bench deploy site user recount replay invoke logs token code clean

$(STACK_DEPS): requirements-stack.txt shared/pyproject.toml
	@python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (python3 is $$(python3 --version 2>&1))."; exit 1; }
	@python3 -m venv $(VENV) || \
		{ echo "python3 -m venv failed: on Debian/Ubuntu install python3-venv (apt-get install python3-venv)."; exit 1; }
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-stack.txt
	touch $@

$(PY_DEPS): requirements-dev.txt $(STACK_DEPS)
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

$(CHECKOV_DEPS): requirements-checkov.txt | $(PY_DEPS)
	python3 -m venv --clear $(VENV)/tools/checkov
	$(VENV)/tools/checkov/bin/pip install --quiet -r requirements-checkov.txt
	cp requirements-checkov.txt $@

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make dev: the whole system on this machine, on an embedded AWS emulator (ARGS=--no-samples skips the lab files)
dev: $(STACK_DEPS) $(NODE_DEPS)
	$(PY) -m devstack $(ARGS)

## make invoke FN=ingestUpload EVENT=event.json: run one function of the running `make dev` with an event, print its result
invoke: $(STACK_DEPS)
	$(PY) -m devstack.cli invoke "$(FN)" "$(EVENT)"

## make logs FN=ingestUpload: follow one function's output in the running `make dev` (Ctrl-C stops)
logs: $(STACK_DEPS)
	$(PY) -m devstack.cli logs "$(FN)"

## make token USER=admin: an ID token of a user of the local pool, for curl -H "Authorization: Bearer $$(make -s token)"
USER_NAME = $(if $(filter command line,$(origin USER)),$(USER),admin)
token: $(STACK_DEPS)
	@$(PY) -m devstack.cli token "$(USER_NAME)"

## make code USER=admin: the current 6-digit code of a local user's authenticator key (the dashboard's second step)
code: $(STACK_DEPS)
	@$(PY) -m devstack.cli code "$(USER_NAME)"

## make test: every test (unit, integration, local stack end to end, browser, packaging), on TEST_WORKERS processes
test: $(PY_DEPS) $(NODE_DEPS) $(CHECKOV_DEPS)
	$(PY) -m pytest -n $(TEST_WORKERS) $(ARGS)

## make lint: ruff, ruff format, mypy, the import contracts in pyproject.toml (lint-imports), and the docs check
## (every stage parameter documented once, measured numbers only in docs/benchmarks.md)
lint: $(PY_DEPS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	PYTHONPATH=shared:services/ingest:services/alerts:services/dashboard-api:. $(VENV)/bin/lint-imports
	$(PY) scripts/check_docs.py

format: $(PY_DEPS)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make bench: side-by-side benchmarks against the lab-style baseline; writes docs/benchmarks.md
bench: $(PY_DEPS) $(NODE_DEPS)
	$(PY) -m bench $(ARGS)

## make user ARGS="--local create-user ravi --store Karachi": create a dashboard user (see docs/api.md)
user: $(STACK_DEPS)
	PYTHONPATH=services/dashboard-api $(PY) -m dashboard_api.admin $(ARGS)

## make recount ARGS="--local" (or --stage prod [--dry-run] [--store Berlin]): prove each store's totals, repair drift
recount: $(STACK_DEPS)
	PYTHONPATH=services/alerts $(PY) -m alerts.operations recount $(ARGS)

## make replay ARGS="--local" (or --stage prod [--list] [--store Berlin]): announce stream records that failed every retry
replay: $(STACK_DEPS)
	PYTHONPATH=services/alerts $(PY) -m alerts.operations replay $(ARGS)

## make deploy STAGE=prod [REGION=eu-central-1]: deploy ingest, alerts and the API in dependency order; with the site deployed (make site), allow its origin and publish the dashboard
REGION ?= us-east-1
# Compose takes no --region: the services read AWS_REGION. The dashboard's origin is the site stack's
# output, read on every deploy so that a later deploy never drops it; none without a site.
deploy: $(PY_DEPS) $(NODE_DEPS)
	@origin="$$($(PY) services/dashboard-site/publish.py --origin --stage $(STAGE) --region $(REGION))" || exit 1; \
	if [ -n "$$origin" ]; then export DASHBOARD_ORIGIN="$$origin"; else unset DASHBOARD_ORIGIN; fi; \
	echo "dashboardOrigin: $${origin:-none (no dashboard site on stage $(STAGE))}"; \
	AWS_REGION=$(REGION) npx serverless deploy --stage $(STAGE) || exit 1; \
	if [ -n "$$origin" ]; then $(PY) services/dashboard-site/publish.py --stage $(STAGE) --region $(REGION); fi

## make site STAGE=prod [REGION=eu-central-1]: the optional dashboard site (S3 + CloudFront, which a new account may create only once AWS verifies it), then make deploy
site: $(PY_DEPS) $(NODE_DEPS)
	cd services/dashboard-site && AWS_REGION=$(REGION) npx serverless deploy --stage $(STAGE)
	$(MAKE) deploy STAGE=$(STAGE) REGION=$(REGION)

clean:
	rm -rf .local .serverless services/*/.serverless .pytest_cache .mypy_cache .ruff_cache
