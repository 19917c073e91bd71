# credreg: the two commands are `make run` and `make test`. Everything they need is installed on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
CHROMIUM ?= /usr/bin/chromium
FONT_DIR := /usr/share/fonts/truetype/dejavu

.PHONY: setup browser render-tools run test lint format contracts bench clean

setup: $(PY_STAMP) $(JS_STAMP) browser render-tools  ## install what is missing: the venv (pinned by constraints.txt), the npm toolchain, Chromium, poppler and DejaVu

$(PY_STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

# `npm ci` refuses this lock: the registry reachable here lacks anvil's other-platform optional binaries, so the lock
# cannot list them. `npm install --no-save` installs exactly the locked versions and never rewrites the lock.
$(JS_STAMP): package.json package-lock.json
	npm install --no-audit --no-fund --no-save --loglevel=error
	@touch $@

# The browser tests (tests/web) drive Debian's Chromium through Playwright (never Playwright's own browser download).
# Installed with apt-get when missing and this runs as root or under CI; under CI=true a failed install fails setup.
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] || [ "$${CI:-}" = true ]; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing Chromium for the browser tests (apt-get install chromium)"; \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; } \
	    || { [ "$${CI:-}" != true ] && echo "note: Chromium could not be installed: the browser tests will skip"; }; \
	else \
	  echo "note: no Chromium at $(CHROMIUM): the browser tests (tests/web) will skip; install it with: sudo apt-get install -y chromium"; \
	fi

# The certificate renderer (node/render) prints with Debian's DejaVu fonts (fonts-dejavu-core); its tests rasterise
# the PDF with poppler's pdftoppm (poppler-utils). Installed like Chromium: with apt-get when missing and this runs as
# root or under CI; under CI=true a failed install fails setup.
render-tools:
	@if command -v pdftoppm >/dev/null && [ -f $(FONT_DIR)/DejaVuSerif.ttf ]; then :; \
	elif [ "$$(id -u)" = 0 ] || [ "$${CI:-}" = true ]; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing poppler-utils and fonts-dejavu-core for the certificate renderer (apt-get install)"; \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq poppler-utils fonts-dejavu-core >/dev/null; } \
	    || { [ "$${CI:-}" != true ] && echo "note: poppler-utils or fonts-dejavu-core could not be installed: tests/render will skip"; }; \
	else \
	  echo "note: no pdftoppm or DejaVu fonts: tests/render will skip; install them with: sudo apt-get install -y poppler-utils fonts-dejavu-core"; \
	fi

run: setup  ## start the devnet, deploy, serve the API on 127.0.0.1:8000 (Ctrl-C stops everything)
	$(BIN)/credreg run

test: setup  ## the whole suite (starts and stops its own anvil processes on free loopback ports)
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

contracts: setup  ## recompile contracts/*.sol into the committed artifacts in contracts/build
	$(PY) scripts/compile.py

bench: setup  ## gas and timing figures into docs/benchmarks.{md,json}
	$(PY) -m scripts.bench

clean:
	rm -rf .credreg .pytest_cache .mypy_cache .ruff_cache
