# Everything a fresh clone needs: `make run` serves the site, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.installed-app
DEV_STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
PYTEST_ARGS ?=
HOST ?= 127.0.0.1:8000
# The address in e-mailed links (invitations, password resets): the one `make run` serves on,
# unless PARTNERSPACE_BASE_URL is set.
RUN_BASE_URL = $(or $(PARTNERSPACE_BASE_URL),http://$(HOST))
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run serve test test-redis lint typecheck format bench translations messages lock worker migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Each stamp installs one lock file, hash-checked; the project itself goes in editable, without deps.
$(APP_STAMP): requirements/app.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/app.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(DEV_STAMP) $(BENCH_STAMP)
	touch $@

$(DEV_STAMP): requirements/dev.lock $(APP_STAMP)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/dev.lock
	touch $@

$(BENCH_STAMP): requirements/bench.lock $(DEV_STAMP)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/bench.lock
	touch $@

translations: $(APP_STAMP)
	@DEBUG=1 $(BIN)/partnerspace compiletranslations

run: $(APP_STAMP) translations
	@mkdir -p var/static
	DEBUG=1 PARTNERSPACE_BASE_URL="$(RUN_BASE_URL)" $(BIN)/partnerspace migrate --noinput
	DEBUG=1 PARTNERSPACE_BASE_URL="$(RUN_BASE_URL)" $(BIN)/partnerspace seed_demo
	@echo "Partner Space on http://$(HOST)/ (the task worker runs beside it; Ctrl-C stops both)"
	@DEBUG=1 PARTNERSPACE_BASE_URL="$(RUN_BASE_URL)" sh -c '$(BIN)/partnerspace db_worker --no-reload & worker=$$!; \
		trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
		$(BIN)/partnerspace runserver $(HOST)'

# The site as in production: DEBUG off, gunicorn (workers from the cores, WEB_CONCURRENCY to
# choose), hashed and compressed static files from WhiteNoise, JSON log lines, the task worker
# beside it. SECRET_KEY from the environment, else one generated once into var/secret-key.
serve: $(APP_STAMP) translations
	@mkdir -p var
	@if [ -z "$$SECRET_KEY" ] && [ ! -s var/secret-key ]; then \
		umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret-key; fi
	@export DEBUG=0 SECRET_KEY="$${SECRET_KEY:-$$(cat var/secret-key)}" PARTNERSPACE_BIND="$(HOST)" \
		PROMETHEUS_MULTIPROC_DIR="$${PROMETHEUS_MULTIPROC_DIR:-$${PARTNERSPACE_VAR_DIR:-$(CURDIR)/var}/prometheus}"; \
	set -e; \
	$(BIN)/partnerspace migrate --noinput; \
	$(BIN)/partnerspace collectstatic --noinput --verbosity 0; \
	mkdir -p "$$PROMETHEUS_MULTIPROC_DIR"; rm -f "$$PROMETHEUS_MULTIPROC_DIR"/*.db; \
	echo "Partner Space (production mode) on http://$(HOST)/ with the task worker beside it; Ctrl-C stops both"; \
	$(BIN)/partnerspace task_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn -c python:partnerspace.operations.gunicorn_conf partnerspace.wsgi

worker: $(APP_STAMP)
	$(BIN)/partnerspace task_worker

test: $(DEV_STAMP) translations typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$PARTNERSPACE_TEST_POSTGRES_URL" ]; then \
		echo "== The same suite on PostgreSQL =="; \
		DATABASE_URL="$$PARTNERSPACE_TEST_POSTGRES_URL" $(BIN)/python -m pytest $(PYTEST_ARGS); \
	fi

# The `background` tests again with every task on Redis, run by RQ workers (.ci/run's second
# pass); each run claims a Redis database of its own (tests/redisdb.py).
test-redis: $(DEV_STAMP) translations
	PARTNERSPACE_TEST_TASKS=redis $(BIN)/python -m pytest -m background $(PYTEST_ARGS)
	@if [ -n "$$PARTNERSPACE_TEST_POSTGRES_URL" ]; then \
		echo "== The background tests on Redis, on PostgreSQL =="; \
		PARTNERSPACE_TEST_TASKS=redis DATABASE_URL="$$PARTNERSPACE_TEST_POSTGRES_URL" \
			$(BIN)/python -m pytest -m background $(PYTEST_ARGS); \
	fi

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# mypy with django-stubs, as pyproject.toml's [tool.mypy] sets it: strict for the identifier
# rules, core and every services.py and selectors.py. The plugin loads the settings (DEBUG=1
# so that no SECRET_KEY is needed).
typecheck: $(DEV_STAMP)
	DEBUG=1 $(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BENCH_STAMP) translations
	$(BIN)/python -m benchmarks

# Extract the interface's strings into each app's .po files (needs GNU gettext).
messages: $(APP_STAMP)
	@for app in src/partnerspace/*/; do \
		if [ -d "$$app/locale" ]; then \
			langs="-l nl -l fr"; [ -d "$$app/locale/de" ] && langs="$$langs -l de"; \
			(cd "$$app" && DEBUG=1 ../../../$(BIN)/partnerspace makemessages $$langs --no-location --no-obsolete >/dev/null) || exit 1; \
		fi; \
	done

lock: $(DEV_STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --python-version 3.11 --generate-hashes -o requirements/app.lock
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --extra dev --python-version 3.11 --generate-hashes -o requirements/dev.lock
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --extra dev --extra bench --python-version 3.11 --generate-hashes -o requirements/bench.lock

clean:
	rm -rf $(VENV) var/static
