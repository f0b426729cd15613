# Set-up and entry points. `make demo` and `make test` each install what a fresh machine lacks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup chromium benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

setup: $(STAMP) node_modules/.package-lock.json

# Debian's chromium renders the report in the report tests; they skip with a reason without it.
chromium:
	@command -v chromium >/dev/null || sh scripts/install-chromium.sh

# The launch checklist on the twin, then the HTML review report. Exits with the verdict's status.
demo: setup
	$(BIN)/pytest -m dryrun; status=$$?; \
	$(BIN)/readiness report || exit $$?; \
	exit $$status

# The suite's own tests: unit, property-based, the twin's extensions, end-to-end runs and the report.
test: setup chromium
	$(BIN)/pytest -c tests/pytest.ini -n 2 tests

benchmark: setup
	$(BIN)/python benchmarks/dryrun.py

clean:
	rm -rf $(VENV) node_modules reports/allure-results reports/*.json reports/*.md reports/*.xml reports/*.html
