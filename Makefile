# Everything runs from .venv, created on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench bench-cluster install check-system migrate seed messages lint format worker clean

# The settings leave DEBUG off unless asked (production's safe default). The local
# targets ask for it: runserver serves the static files and the plain static storage
# needs no collectstatic (PDFs, emails). A DEBUG or ALLOWED_HOSTS already set wins.
run seed bench worker: export DEBUG ?= 1
run: export ALLOWED_HOSTS ?= $(HOST),127.0.0.1,localhost,[::1]
# The emails' links go to the address served (`make run PORT=8001`); a PORTAL_URL
# already set (a proxy's public address) wins.
run: export PORTAL_URL ?= http://$(HOST):$(PORT)

run: install migrate ## Install, migrate, load the demo and serve http://127.0.0.1:8000
	$(BIN)/python manage.py setup_groups
	$(BIN)/python manage.py seed_demo
	@echo "Portal: http://$(HOST):$(PORT)/   Admin: http://$(HOST):$(PORT)/gestion/  (logins above)"
	@echo "Links in the emails: $(PORTAL_URL)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install ## Install and run the whole suite
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install migrate ## Print the benchmark figures (see README)
	$(BIN)/python -m bench

# Scale-out (README, "Scaling"): two gunicorn instances behind HAProxy, one Celery
# worker, PostgreSQL + Redis (the machine's, unless DATABASE_URL / CELERY_BROKER_URL
# say otherwise: the bench uses its own database and Redis db number), S3 by moto.
bench-cluster: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/conservatoire
bench-cluster: export CELERY_BROKER_URL ?= redis://127.0.0.1:6379/0
bench-cluster: install ## Two web instances behind HAProxy: a family's journey across them
	@command -v haproxy >/dev/null || { echo "haproxy is missing: sudo apt-get install -y --no-install-recommends haproxy"; exit 1; }
	$(BIN)/python -m bench.cluster

install: $(STAMP) check-system

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

check-system: $(STAMP)
	@$(BIN)/python scripts/check_system.py

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

messages: install ## Extract and compile the French translations (needs gettext)
	for app in conservatoire accounts billing documents reinscription; do \
		(cd $$app && ../$(BIN)/django-admin makemessages -l fr --no-obsolete --no-location) ; \
	done
	$(BIN)/django-admin makemessages -l fr --no-obsolete --no-location \
		-i .venv -i conservatoire -i accounts -i billing -i documents -i reinscription -i tests -i scripts -i bench -i node_modules
	$(BIN)/python manage.py compilemessages -l fr --ignore=.venv --ignore=node_modules

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: install
	$(BIN)/celery -A conservatoire worker -B -l info

clean:
	rm -rf $(VENV) staticfiles artifacts .pytest_cache
