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
.PHONY: images template deploy undeploy

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

test: venv ## Run the whole test suite (needs RabbitMQ, PostgreSQL, Mosquitto; starts InfluxDB itself)
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

# --- Kubernetes -------------------------------------------------------------------
IMAGE ?= smartcity
IMAGE_TAG ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)
RELEASE ?= smartcity
NAMESPACE ?= smartcity
CHART := helm/smartcity
VALUES ?= $(CHART)/values.yaml
HELM ?= helm
HELM_ARGS ?=

images: ## Build the one service image, tagged by git commit: make images IMAGE=registry/smartcity
	docker build -f deploy/Dockerfile --build-arg GIT_COMMIT=$(IMAGE_TAG) \
		-t $(IMAGE):$(IMAGE_TAG) .
	@echo "built $(IMAGE):$(IMAGE_TAG) (push it, then: make deploy HELM_ARGS='--set image.tag=$(IMAGE_TAG)')"

template: ## Render the chart: make template VALUES=helm/smartcity/values-production.yaml
	$(HELM) template $(RELEASE) $(CHART) --namespace $(NAMESPACE) -f $(VALUES) $(HELM_ARGS)

deploy: ## helm upgrade --install: make deploy NAMESPACE=smartcity VALUES=... IMAGE_TAG=...
	$(HELM) upgrade --install $(RELEASE) $(CHART) --namespace $(NAMESPACE) --create-namespace \
		-f $(VALUES) --set image.tag=$(IMAGE_TAG) --wait --timeout 10m $(HELM_ARGS)

undeploy: ## helm uninstall the release (PVCs and the namespace stay: see docs/operations.md)
	$(HELM) uninstall $(RELEASE) --namespace $(NAMESPACE)
