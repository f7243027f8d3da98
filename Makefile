# smo — two commands on a fresh machine with Python 3.11+ and make: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: venv demo test test-postgres lint unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: venv
	$(BIN)/pytest

test: lint unit

# The whole suite again, each test's workspace on its own fresh PostgreSQL database.
test-postgres: venv
	@test -n "$$SMO_TEST_DATABASE_URL" || { echo "set SMO_TEST_DATABASE_URL to a PostgreSQL \
	server, e.g. postgresql://user:pw@127.0.0.1:5432/postgres (a user with CREATEDB)" >&2; exit 2; }
	$(BIN)/pytest

bench: venv
	$(BIN)/python benchmarks/run.py

# The demo's executive report in headless Chromium: a PNG screenshot (not part of `make test`).
.PHONY: e2e
e2e: venv
	$(BIN)/python scripts/e2e_screenshot.py

clean:
	rm -rf $(VENV) demo .bench .pytest_cache .mypy_cache .ruff_cache
