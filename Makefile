# Two entry points: `make run` and `make test`. Both set everything up first (idempotent).
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.composer-installed

.PHONY: setup run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml .ci/setup.sh
	bash .ci/setup.sh
	touch $(STAMP)

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
