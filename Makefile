# loyaldesk: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
## The suite's workers (pytest-xdist): one per core of CI's two. `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= 2

.PHONY: run test install install-test install-bench browser frontend lint bench screenshots clean messages

## make run: create the virtualenv, install loyaldesk, create the SQLite database, seed the demo store
## and build the assistant's default intent model (both the first time only), and serve it at
## http://$(HOST):$(PORT) (links follow that address unless LOYALDESK_PUBLIC_BASE_URL says otherwise).
run: $(VENV)/.installed frontend
	$(BIN)/loyaldesk migrate
	LOYALDESK_HOST=$(HOST) LOYALDESK_PORT=$(PORT) $(BIN)/loyaldesk demo --if-missing
	$(BIN)/loyaldesk assistant prepare
	$(BIN)/loyaldesk feedback prepare
	$(BIN)/loyaldesk serve --host $(HOST) --port $(PORT)

## make test: install what the tests need (Python packages, Debian's chromium) and run the whole suite on
## $(TEST_WORKERS) workers (pytest-xdist; tests/xdist_scheduling.py says which test goes where).
test: $(VENV)/.installed-test browser frontend
	$(BIN)/pytest -n $(TEST_WORKERS)

install: $(VENV)/.installed frontend
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

$(VENV)/.venv-created:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "loyaldesk needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.venv-created
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.venv-created
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## make browser: Debian's chromium, Debian's coturn (the TURN server the call tests start) and the npm
## packages the browser tests load (browser/: axe-core).
browser:
	@scripts/install-browser.sh
	@scripts/install-coturn.sh
	@scripts/install-browser-packages.sh

## make frontend: the npm packages the pages load (frontend/: rrweb for co-browsing), with `npm ci`.
frontend:
	@scripts/install-frontend-packages.sh

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

## install-bench: what bench/analytics.py compares against (lifetimes, pandas, DuckDB).
$(VENV)/.installed-bench: pyproject.toml $(VENV)/.venv-created
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/loyalty.py
	$(BIN)/python bench/chat.py
	$(BIN)/python bench/email_inbound.py
	$(BIN)/python bench/analytics.py
	$(BIN)/python bench/analytics_refresh.py --backend sqlite --customers 100000 --orders 1000000

## make messages: extract every text marked for shoppers (babel.cfg) into src/loyaldesk/locale/messages.pot and
## update each language's catalog (src/loyaldesk/locale/<lang>/LC_MESSAGES/messages.po); then translate
## what is new or fuzzy (docs/i18n.md). The .po files are read at run time: nothing to compile.
LOCALE_DIR := src/loyaldesk/locale
messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k t -k N_ --add-location=file --sort-output \
		--no-wrap --project=loyaldesk --version=1 -o $(LOCALE_DIR)/messages.pot .
	$(BIN)/pybabel -q update -i $(LOCALE_DIR)/messages.pot -d $(LOCALE_DIR) -D messages \
		--no-fuzzy-matching --ignore-obsolete --no-wrap

screenshots: $(VENV)/.installed-test browser
	$(BIN)/python scripts/screenshots.py docs/screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
