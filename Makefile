# Two commands matter: `make run` (embedded mode, demo data, web + worker + beat) and
# `make test` (the whole suite). Everything runs from the virtual environment in .venv.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
# Rebuilt only when a requirements file changes.
STAMP := $(VENV)/.requirements-installed

# The embedded development mode unless the caller says otherwise: DEBUG on, and with
# DATABASE_URL and REDIS_URL unset, SQLite under var/ and Celery's filesystem broker.
export DEBUG ?= 1

.DEFAULT_GOAL := help
.PHONY: help venv prerequisites run test lint fmt bench clean

help:
	@echo "make run    create .venv, migrate, load demo data, start web + worker + beat on http://127.0.0.1:8000/"
	@echo "make test   run the whole test suite (starts private PostgreSQL and Redis if none answer)"
	@echo "make lint   ruff check, ruff format --check, makemigrations --check, the layer contracts, bandit"
	@echo "make fmt    ruff format and ruff check --fix"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make venv   create .venv and install requirements/dev.txt (only when it changed)"
	@echo "make prerequisites  install (as root on Debian) or name what make test needs from the machine"
	@echo "make clean  remove var/ (SQLite database, broker folders, beat schedule), staticfiles/, test-artifacts/"

venv: $(STAMP)

$(STAMP): requirements/base.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

var:
	mkdir -p var/media

run: venv var
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo --history
	$(MANAGE) collectstatic --noinput --verbosity 0
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

# CI builds the test database afresh rather than trusting one left by an earlier run.
PYTEST_ARGS ?= $(if $(CI),--create-db)

# PostgreSQL's and Redis's binaries (when no server answers), Chromium and fonts, Dovecot's
# IMAP server, OpenLDAP (slapd, ldap-utils, the headers python-ldap builds against) and
# openssl: installed when missing if run as root on Debian, else it stops
# with the apt-get command to run.
prerequisites:
	@bash .ci/prerequisites

# pytest's exit code 5 means it collected no tests: a failure too, said out loud.
test: prerequisites venv
	$(PY) -m pytest $(PYTEST_ARGS) || { status=$$?; \
		[ $$status -ne 5 ] || echo "pytest collected no tests (exit 5): failing."; \
		exit $$status; }

# bandit over the product code ([tool.bandit] in pyproject.toml leaves out tests/ and bench/):
# a finding of medium or high severity fails, unless justified on its line with
# `# nosec B### # reason`. The filter drops a spurious warning bandit prints for every such
# comment on an f-string (PyCQA/bandit#1204); the exit status is bandit's.
BANDIT = bash -o pipefail -c '$(BIN)/bandit -c pyproject.toml -r . --quiet --severity-level medium 2>&1 \
	| { grep -v "but no failed test" || true; }'

lint: venv var
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BANDIT)

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks are scripts, not tests: each seeds its own scratch database and prints figures,
# the last line as JSON. BENCH_ARGS passes options through, e.g. BENCH_ARGS="--tickets 100000".
BENCHES ?= $(filter-out bench/seeding.py bench/__init__.py,$(wildcard bench/*.py))
bench: venv
	@set -e; for script in $(BENCHES); do echo "== $$script"; $(PY) "$$script" $(BENCH_ARGS); done

clean:
	rm -rf var staticfiles test-artifacts
