# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test bench install install-test lint format clean

# The settings default to production (DEBUG off, SECRET_KEY required): `make run` asks for development
# settings explicitly. The tests get theirs from pyproject.toml ([tool.pytest.ini_options] env).
run: export DEBUG ?= true

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Portail ROR : http://127.0.0.1:$(PORT)/  (administration : http://127.0.0.1:$(PORT)/admin/)"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# One pytest worker per core (pytest-xdist; each worker has its own test database): TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= auto
test: install-test
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The benchmark (README, "Benchmark"): the national data set in BENCH_DATABASE_URL (generated once, kept), a
# small one in BENCH_SMALL_DATABASE_URL for the query counts at a second size, then the timed run against
# gunicorn; writes bench/results.md and the README's table. BENCH_ARGS passes options to manage.py bench.
BENCH_DATABASE_URL ?= postgres://ror:ror@127.0.0.1:5432/ror_bench
BENCH_SMALL_DATABASE_URL ?= postgres://ror:ror@127.0.0.1:5432/ror_bench_small
BENCH_ARGS ?=
bench: export DEBUG = true
bench: install
	$(PY) -m bench.createdb $(BENCH_SMALL_DATABASE_URL) $(BENCH_DATABASE_URL)
	DATABASE_URL=$(BENCH_SMALL_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_SMALL_DATABASE_URL) $(PY) manage.py bench_data --scale 0.01 --if-empty
	DATABASE_URL=$(BENCH_SMALL_DATABASE_URL) $(PY) manage.py bench --queries-only
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_data --if-empty
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench $(BENCH_ARGS)

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test node_modules/.installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet ".[test]"
	touch $(VENV)/.installed $@

# axe-core (accessibility checks injected by the browser tests), pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles test-artifacts build *.egg-info
