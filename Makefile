# Everything a fresh machine needs starts from here: Python 3.11+ and Node.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup serve test lint format clean
.PHONY: layer synth deploy
.PHONY: layer-lock test-fast
.PHONY: bench bench-reindex bench-burst bench-latency bench-validation bench-read

# jsii (under aws-cdk-lib) prints a banner on Node 20 for every process it starts.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# The npm `latest` tag of aws-cdk is an old 3.0.0 that rejects the current library: pin v2.
CDK := npx --yes aws-cdk@2

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The local OpenID Provider (oidc-provider on Node): installed from its lock file.
OIDC_DIR := infra/local/oidc
$(OIDC_DIR)/node_modules/.rillet-lock: $(OIDC_DIR)/package-lock.json
	cd $(OIDC_DIR) && npm ci --no-audit --no-fund --loglevel=error
	cp $(OIDC_DIR)/package-lock.json $@

setup: $(STAMP) $(OIDC_DIR)/node_modules/.rillet-lock

# The web app (web/, Vite): rebuilt when its lock file, sources or config change.
WEB_DIR := web
WEB_STAMP := $(WEB_DIR)/dist/.rillet-build
$(WEB_DIR)/node_modules/.rillet-lock: $(WEB_DIR)/package-lock.json
	cd $(WEB_DIR) && npm ci --no-audit --no-fund --loglevel=error
	cp $(WEB_DIR)/package-lock.json $@
$(WEB_STAMP): $(WEB_DIR)/node_modules/.rillet-lock $(shell find $(WEB_DIR)/src $(WEB_DIR)/public $(WEB_DIR)/index.html $(WEB_DIR)/vite.config.ts $(WEB_DIR)/tsconfig.json -type f 2>/dev/null)
	cd $(WEB_DIR) && npm run build
	@touch $@
# axe-core for the browser tests' accessibility checks (tests/web/package.json).
AXE_DIR := tests/web
$(AXE_DIR)/node_modules/.rillet-lock: $(AXE_DIR)/package-lock.json
	cd $(AXE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	cp $(AXE_DIR)/package-lock.json $@
.PHONY: web browser
web: $(WEB_STAMP)

# The browser tests drive the OS's Chromium (never a downloaded one): install it as root.
CHROMIUM ?= /usr/bin/chromium
browser: $(AXE_DIR)/node_modules/.rillet-lock
	@test -x $(CHROMIUM) || { test "$$(id -u)" = 0 && apt-get update -qq && \
	  apt-get install -y -qq chromium >/dev/null; } || \
	  { echo "The browser tests need Chromium: run  sudo apt-get install -y chromium"; exit 1; }

## Start the local stack (moto-backed AWS + the real handlers) on 127.0.0.1:$${RILLET_PORT:-8787}.
serve: setup web
	$(BIN)/python -m infra.local

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Lint, type-check, then every test (unit, adapters on moto, end to end with the real clients),
## then the quick benchmark run, so the benchmarks cannot rot (bench/README.md).
test: lint web browser
	$(BIN)/python -m pytest
	$(MAKE) bench BENCH_ARGS=--quick

## The quick loop: every test but the end-to-end ones, in parallel (pytest-xdist), no lint.
test-fast: setup
	$(BIN)/python -m pytest -m "not e2e" -n auto -q

## Third-party deps as a Lambda layer: Linux wheels for the functions' architecture, no Docker.
layer: setup
	$(BIN)/python -m infra.aws.build_layer

## Re-resolve layers/requirements.lock (pinned, hashed) from layers/requirements.in for Lambda.
layer-lock: setup
	$(BIN)/python -m infra.aws.build_layer --lock

## Synthesize the CloudFormation template into cdk.out/: offline, no AWS credentials needed.
synth: layer web
	CDK_OUTDIR=cdk.out $(BIN)/python app.py

## Deploy with the credentials in the environment; extra CLI flags via CDK_ARGS (docs/deploy.md).
deploy: layer web
	$(CDK) deploy $(CDK_ARGS)

clean:
	rm -rf $(VENV) cdk.out .mypy_cache .ruff_cache .pytest_cache $(OIDC_DIR)/node_modules

## Benchmarks on the local stack next to the anchors; writes docs/performance.md (bench/README.md).
## Extra flags via BENCH_ARGS, e.g. `make bench BENCH_ARGS=--quick` for a short smoke run.
bench: setup
	$(BIN)/python -m bench.run_all $(BENCH_ARGS)

bench-reindex: setup
	$(BIN)/python -m bench.reindex $(BENCH_ARGS)

bench-burst: setup
	$(BIN)/python -m bench.burst $(BENCH_ARGS)

bench-latency: setup
	$(BIN)/python -m bench.latency $(BENCH_ARGS)

bench-validation: setup
	$(BIN)/python -m bench.validation $(BENCH_ARGS)

bench-read: setup
	$(BIN)/python -m bench.read_rule $(BENCH_ARGS)
