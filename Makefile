# Two commands: `make demo` (embedded default: SQLite, Celery eager, demo branch) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
CUSTOMERS ?= 5000
PORT ?= 8000

.PHONY: install demo test test-postgres serve

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py generate_branch --customers $(CUSTOMERS) --seed 1 --replace --previous-night
	$(BIN)/python manage.py reclassify
	$(BIN)/python manage.py scan_alerts
	$(BIN)/python manage.py create_demo_users
	$(BIN)/python manage.py seed_survey_demo
	$(BIN)/python manage.py generate_survey_plan --release
	@echo "Branch CRM on http://127.0.0.1:$(PORT)/ (log in with one of the users above)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest

# The same suite on PostgreSQL (what CI also runs); needs a server on 127.0.0.1:5432.
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/branch_crm} $(BIN)/python -m pytest
