# Two commands matter: `make demo` and `make test`. Both work on a fresh machine with only
# Python 3.11 and the package registries: they install what they need first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_PORT ?= 55432
export FB_PG_PORT := $(PG_PORT)
# Redis listens next to PostgreSQL (PG_PORT + 1000) unless told, so checkouts never collide
REDIS_PORT ?= $(shell echo $$(($(PG_PORT) + 1000)))
export FB_REDIS_PORT := $(REDIS_PORT)

ASSETS := build/console

.PHONY: demo test js-deps install install-test assets system-packages lint typecheck pytest services-up services-down bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python assets
	$(BIN)/pip install -q -e ./emulator -e .

install-test: $(BIN)/python assets
	$(BIN)/pip install -q -e './emulator[test]' -e '.[test]'

# The console's front-end packages (htmx, chart.js) from the npm registry, into a git-ignored
# folder that forcebridge serves; never a CDN, never copies in the repository.
assets: $(ASSETS)/node_modules/.package-lock.json

$(ASSETS)/node_modules/.package-lock.json: assets/package.json assets/package-lock.json
	@command -v npm >/dev/null || scripts/services.sh install-node
	mkdir -p $(ASSETS)
	cp assets/package.json assets/package-lock.json $(ASSETS)/
	npm ci --prefix $(ASSETS) --no-audit --no-fund --loglevel=error
	@touch $@

system-packages:
	scripts/services.sh install

demo: install
	$(BIN)/forcebridge demo

lint: install-test
	$(BIN)/ruff check src emulator/src emulator/tests tests bench

typecheck: install-test
	$(BIN)/mypy

# Starts the servers, runs every check, and stops the servers again whatever happened.
# jsforce from npm, for the emulator's compatibility suite (emulator/tests/test_jsforce.py).
js-deps: system-packages
	npm ci --prefix emulator/tests/js --no-audit --no-fund --loglevel=error

test: install-test system-packages js-deps
	@status=0; \
	urls=$$(scripts/services.sh start) || exit 1; \
	pg_url=$$(echo "$$urls" | sed -n 1p); redis_url=$$(echo "$$urls" | sed -n 2p); \
	$(BIN)/ruff check src emulator/src emulator/tests tests bench || status=1; \
	$(BIN)/mypy || status=1; \
	$(BIN)/lint-imports || status=1; \
	FORCEBRIDGE_TEST_POSTGRES_URL=$$pg_url FORCEBRIDGE_TEST_REDIS_URL=$$redis_url \
		FORCEBRIDGE_TEST_REQUIRE_SERVICES=1 \
		FORCEBRIDGE_TEST_SCREENSHOTS=$(CURDIR)/build/screenshots \
		$(BIN)/pytest -q -p no:cacheprovider || status=1; \
	echo "console screenshots (Chromium, for people to look at): $(CURDIR)/build/screenshots"; \
	scripts/services.sh stop; \
	exit $$status

bench: install-test
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	scripts/services.sh stop
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
