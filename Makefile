# challenges: `make run` serves the API with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_CONCURRENCY ?= 2
# Demo data, with its well-known passwords, is for development only: never seeded in production.
SEED_DEMO ?= $(if $(filter production,$(CHALLENGES_ENV)),0,1)
export PORT WEB_CONCURRENCY

.PHONY: run worker test install dev-install migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# The message catalogues (challenges/translations/<lang>/LC_MESSAGES/messages.po), compiled to .mo at install.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard challenges/translations/*/LC_MESSAGES/messages.po))

$(CATALOGUES): %.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(VENV)/.installed $(CATALOGUES)

dev-install: $(VENV)/.dev-installed $(CATALOGUES)

migrate: install
	@mkdir -p instance
	$(BIN)/flask --app wsgi db upgrade

seed: migrate
	$(BIN)/flask --app wsgi seed-demo

run: migrate $(if $(filter 1,$(SEED_DEMO)),seed)
	@echo "Serving http://$${HOST:-127.0.0.1}:$(PORT)/ — API docs at http://$${HOST:-127.0.0.1}:$(PORT)/docs"
	$(BIN)/gunicorn --config config/gunicorn.py wsgi:app

worker: migrate
	$(BIN)/flask --app wsgi worker

# With PostgreSQL, the SQLite run goes on beside it (its report follows); Redis is the PostgreSQL run's alone.
test: dev-install
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		log=$$(mktemp); \
		env -u TEST_DATABASE_URL -u TEST_REDIS_URL $(BIN)/pytest -q >"$$log" 2>&1 & lite=$$!; \
		$(BIN)/pytest; postgres=$$?; \
		wait $$lite; sqlite=$$?; \
		echo "--- the suite on SQLite:"; tail -n 60 "$$log"; rm -f "$$log"; \
		[ $$postgres -eq 0 ] && [ $$sqlite -eq 0 ]; \
	else \
		$(BIN)/pytest && \
		echo "PostgreSQL skipped: set TEST_DATABASE_URL=postgresql://user@host:5432/db to run the suite on PostgreSQL too."; \
	fi
	@[ -n "$$TEST_REDIS_URL" ] || echo "Redis skipped: set TEST_REDIS_URL=redis://host:6379/15 to test limits shared by workers."

clean:
	rm -rf $(VENV) instance .pytest_cache
