# Two commands do all set-up on a fresh machine: `make drill` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: drill test test-fast lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The main job: drill the default scenario against the embedded reference stack.
drill: $(STAMP)
	$(BIN)/python run_drill.py drill scenarios/payment-outage.yaml --speed 60

# Everything: the layering contracts (docs/architecture.md), then the whole suite.
test: $(STAMP)
	bash tests/setup_browser.sh
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# The fast tier (under two minutes): everything but the end-to-end drills marked `slow`.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m 'not slow'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) runs .pytest_cache
