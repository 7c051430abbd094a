# One command to run the app, one to run every test. Both set up what they need first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HTMX_VERSION := 2.0.11
AXE_VERSION := 4.14.1
VENDOR := tests/.vendor
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 4

.PHONY: run test test-fast test-sqlite test-postgres postgres-halves serve lint browser vendor vendor-htmx bench clean

$(VENV)/.app: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[postgres]'
	touch $@

# The nemo-platform SDK is installed without its (large) dependency tree: the adapters client
# needs only what the test extra lists.
$(VENV)/.test: $(VENV)/.app
	$(PY) -m pip install -q -e '.[test,postgres]'
	$(PY) -m pip install -q --no-deps 'nemo-platform==0.3.0'
	touch $@

## run: set up and serve the app on http://127.0.0.1:5000 (SQLite in instance/)
run: $(VENV)/.app
	$(VENV)/bin/flask --app webui run --host $(HOST) --port $(PORT)

## serve: production serving with gunicorn, $(WORKERS) gevent workers (webui/serving.py), on 127.0.0.1
serve: $(VENV)/.app
	$(VENV)/bin/gunicorn -c python:webui.serving -w $(WORKERS) -b $(HOST):$(PORT) 'webui:create_app()'

## browser: Debian's Chromium for the browser tests
browser:
	@command -v chromium >/dev/null || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

## vendor: the pinned htmx file and axe-core, for the browser tests (never committed)
vendor: $(VENDOR)/htmx.min.js $(VENDOR)/axe.min.js

$(VENDOR)/htmx.min.js:
	mkdir -p $(VENDOR)/tmp
	cd $(VENDOR)/tmp && npm pack -q htmx.org@$(HTMX_VERSION) >/dev/null && tar xzf htmx.org-$(HTMX_VERSION).tgz
	cp $(VENDOR)/tmp/package/dist/htmx.min.js $@
	rm -rf $(VENDOR)/tmp

$(VENDOR)/axe.min.js:
	mkdir -p $(VENDOR)/tmp
	cd $(VENDOR)/tmp && npm pack -q axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz
	cp $(VENDOR)/tmp/package/axe.min.js $@
	rm -rf $(VENDOR)/tmp

## vendor-htmx: a self-hosted copy of the same pinned htmx, for deployments with no internet;
## then serve with HTMX_URL=/static/vendor/htmx.min.js
vendor-htmx: static/vendor/htmx.min.js

static/vendor/htmx.min.js: $(VENDOR)/htmx.min.js
	mkdir -p static/vendor
	cp $< $@

## test: set up and run every test (browser tests included), on SQLite and then on PostgreSQL
test: test-sqlite test-postgres

## test-sqlite: the quick tests two at a time (as test-fast runs them), the browser tests two at
## a time (each worker its own Chromium and server), then the server, load and fuzz tests one at
## a time, so their timings are their own. Exit status 5 is pytest's "no test selected", which a
## narrow PYTEST_ARGS can make of any part.
test-sqlite: $(VENV)/.test browser vendor
	$(PY) -m pytest -m "not browser and not slow" -n 2 $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(PY) -m pytest -m "browser and not slow" -n 2 $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(PY) -m pytest -m "slow" $(PYTEST_ARGS) || [ $$? -eq 5 ]

## test-postgres: the suite again, against a throwaway PostgreSQL server (tests that never
## reach the database are not repeated there): the quick tests two at a time, each worker on a
## database of its own (tests/conftest.py), then the rest one at a time
test-postgres: $(VENV)/.test browser vendor
	tests/with-postgres.sh $(MAKE) --no-print-directory postgres-halves

postgres-halves:
	$(PY) -m pytest -m "not browser and not slow" -n 2 $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(PY) -m pytest -m "browser or slow" $(PYTEST_ARGS) || [ $$? -eq 5 ]

## test-fast: the quick tests on SQLite, in parallel, in under a minute: no browser, no servers,
## no load, crash or fuzz runs (pytest -m "not browser and not slow")
## The folders and modules whose every test is `browser` or `slow` are not even imported, nor
## the pytest plugins only they use (Playwright's, Hypothesis's, schemathesis'): seconds saved.
FAST_SKIPS := --ignore=tests/browser --ignore=tests/test_fuzz.py --ignore=tests/test_reliability.py \
	-p no:playwright -p no:hypothesispytest -p no:schemathesis
test-fast: $(VENV)/.test
	TEST_DATABASE_URL= $(PY) -m pytest -m "not browser and not slow" -n auto $(FAST_SKIPS) $(PYTEST_ARGS)

## bench: the benchmark, kept out of `make test`: 1 000, 100 000 and 1 000 000 adapters under
## gunicorn, driven by wrk on 127.0.0.1, against a raw-sqlite3 baseline, and list and create with
## sign-in on (a Bearer token on every request) against sign-in off; writes bench/RESULTS.md
## and bench/results/latest.json (e.g. make bench BENCH_ARGS='--sizes 1000,100000 --seconds 3');
## BENCH_DB=postgresql: against a throwaway PostgreSQL server instead, into bench/RESULTS-postgresql.md
BENCH_DB ?= sqlite
bench: $(VENV)/.app
	@command -v wrk >/dev/null || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
	$(if $(filter postgresql,$(BENCH_DB)),tests/with-postgres.sh) $(PY) bench/run.py \
		$(if $(filter postgresql,$(BENCH_DB)),--database-url-from-env TEST_DATABASE_URL) $(BENCH_ARGS)

lint: $(VENV)/.test
	$(VENV)/bin/ruff check webui tests

clean:
	rm -rf $(VENV) $(VENDOR) tests/screenshots bench/results
