# smartcity — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Import roots: the kit, the generated contract code and one folder per service.
SERVICE_DIRS := $(filter-out services/kit,$(patsubst %/,%,$(wildcard services/*/)))
IMPORT_ROOTS := services/kit services/kit/genproto $(SERVICE_DIRS) sensors
PROTOS := $(shell find protos -name '*.proto')
GENPROTO := services/kit/genproto
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv protos docs run test test-unit bench cli lock clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## Create the virtualenv and install the pinned dependencies
	@# import roots are refreshed every time: a new service folder needs no reinstall
	@printf '%s\n' $(abspath $(IMPORT_ROOTS)) > $$($(PY) -c 'import site; print(site.getsitepackages()[0])')/smartcity.pth

$(VENV)/.installed: requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	@printf '#!/bin/sh\nexec %s -m kit.cli "$$@"\n' $(abspath $(PY)) > $(VENV)/bin/smartcity && chmod +x $(VENV)/bin/smartcity
	touch $@

protos: venv ## Generate Python code from protos/ (committed; a test fails when stale)
	rm -rf $(GENPROTO) && mkdir -p $(GENPROTO)
	$(PY) -m grpc_tools.protoc -I protos --python_out=$(GENPROTO) --pyi_out=$(GENPROTO) \
		--grpc_python_out=$(GENPROTO) $(PROTOS)

docs: venv ## Regenerate the settings table in docs/configuration.md from kit/settings.py
	$(PY) -m kit.settings docs/configuration.md

run: venv ## Start every service on embedded defaults (SQLite) with a local RabbitMQ; Ctrl-C stops
	$(PY) deploy/local/run.py

test: venv ## Run the whole test suite (needs RabbitMQ and PostgreSQL; starts InfluxDB itself)
	$(PY) -m pytest tests $(PYTEST_ARGS)

test-unit: venv ## Run only the fast unit tests
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

bench: venv ## Run every benchmark under bench/ and print the figures
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

cli: venv ## The command-line client: make cli ARGS="register --help"
	$(VENV)/bin/smartcity $(ARGS)

lock: ## Re-pin requirements.lock from requirements.in
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv && .lockenv/bin/pip install -q -r requirements.in
	.lockenv/bin/pip freeze | sort > requirements.lock && rm -rf .lockenv

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var
