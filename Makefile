# Two entry points: `make run` and `make test`. Both set everything up first (idempotent).
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup run test lint bench clean

# Checks the system packages and the Bach corpus cache every time (a second or so); reinstalls
# Python packages only when pyproject.toml or the set-up script changed, and builds the corpus
# (minutes) only when its cache is missing.
setup:
	bash .ci/setup.sh

run: setup
	$(VENV)/bin/composer

test: setup
	bash .ci/test.sh

lint: setup
	$(VENV)/bin/ruff check composer tests benchmarks

bench: setup
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
