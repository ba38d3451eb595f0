# Brief: the two commands of the README.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-scale screens install lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, demo data, serve on http://127.0.0.1:8000 with worker and beat.
run: $(STAMP)
	DEBUG=true $(BIN)/brief migrate --no-input
	DEBUG=true $(BIN)/brief demo_data
	DEBUG=true $(BIN)/brief collectstatic --no-input -v0
	DEBUG=true $(BIN)/brief serve --demo-peers

## make test: the whole suite (lint, checks, unit and integration tests, browser tests).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy brief
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=brief.test_settings $(BIN)/brief check
	DJANGO_SETTINGS_MODULE=brief.test_settings $(BIN)/brief makemigrations --check --dry-run
	$(BIN)/pytest -m "not browser and not scale and not slow and not screens" -n 2 -q
	$(BIN)/pytest -m browser -q -p no:cacheprovider

## make test-scale: the tests that start real processes (workers, servers, benchmarks) and the
## scale-out and load tests (PostgreSQL, Redis, gunicorn, two workers, 200,000 messages; minutes).
test-scale: $(STAMP)
	$(BIN)/pytest -m "slow and not browser" -n 2 -q -p no:cacheprovider
	$(BIN)/pytest -m scale -q -p no:cacheprovider -s

## make screens: the README screenshots (docs/screens/*.png) from the demo data, in chromium.
screens: $(STAMP)
	$(BIN)/pytest -m screens -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy brief
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/brief bench

clean:
	rm -rf $(VENV) var/test
