# hallq: `make run` serves the demo hall, `make test` runs every check.
PYTHON ?= python3.11
HOST ?= 127.0.0.1
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make

.PHONY: run test install install-dev assets vendor browser-deps lint types bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The exact versions of requirements.txt (requirements-dev.txt adds the tools for the tests),
# each checked against its hash; then hallq itself, editable. pyproject.toml keeps the ranges
# for those who install hallq as a package; `make lock` refreshes the pins from them.
$(STAMPS)/python: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/python-dev: requirements-dev.txt $(STAMPS)/python
	$(BIN)/pip install -q --require-hashes -r requirements-dev.txt
	@touch $@

PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links

lock: | $(BIN)/python
	$(BIN)/pip install -q pip-tools
	$(PIP_COMPILE) --upgrade --output-file requirements.txt pyproject.toml
	$(PIP_COMPILE) --upgrade --extra dev --constraint requirements.txt \
		--output-file requirements-dev.txt pyproject.toml

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# The browser build of socket.io-client is kept in the repository (static/vendor, with the
# licences of what it bundles), so that the package, and an installed hallq, serve it.
# `make vendor` refreshes it from the npm lock after a version change in package.json.
VENDORED := socket.io-client engine.io-client engine.io-parser socket.io-parser @socket.io/component-emitter

vendor: node_modules/.package-lock.json
	@mkdir -p static/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/socket.io.min.js
	@for package in $(VENDORED); do \
		echo "== $$package $$(node -p "require('./node_modules/$$package/package.json').version")"; \
		cat node_modules/$$package/LICENSE; echo; \
	done > static/vendor/socket.io.LICENSE

# npm packages the tests use (axe-core) and `make vendor` copies from.
assets: node_modules/.package-lock.json

install: $(STAMPS)/python assets

install-dev: $(STAMPS)/python-dev assets

run: install
	$(BIN)/hallq db upgrade
	$(BIN)/hallq demo --if-empty
	$(BIN)/hallq serve --host $(HOST) --port $(PORT)

# Debian's Chromium and CJK fonts for the real-browser tests, espeak-ng for the voice, nginx
# and openssl to check the deploy/ example.
browser-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! command -v espeak-ng >/dev/null || ! [ -x /usr/sbin/nginx ] || ! command -v openssl >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk espeak-ng nginx-light openssl >/dev/null; \
		else \
			echo "browser-deps: run as root or install chromium fonts-noto-cjk espeak-ng nginx-light openssl (the tests that need them skip)"; \
		fi; \
	fi

lint: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

types: install-dev
	$(BIN)/mypy

# The suite on both cores (pytest-xdist: a worker per core, a test module's tests together), then
# the few tests that time themselves or load the machine, one at a time on a quiet machine.
TEST_WORKERS ?= 2

test: install-dev browser-deps lint types
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope -m "not solo"
	$(BIN)/pytest -m solo

# Benchmarks (not part of `make test`): each prints its figures and the machine; wrk (Debian) and
# PostgreSQL/Redis at HALLQ_TEST_PG_URL / HALLQ_TEST_REDIS_URL for the scenarios that need them.
bench: install-dev
	@if [ "$$(id -u)" = 0 ] && ! command -v wrk >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi
	@for script in bench/[a-z]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules $(STAMPS) .pytest_cache .mypy_cache .ruff_cache
