# The README's commands. Each target bootstraps what it needs (venv, packages, iverilog).
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test nightly lint format bench bootstrap clean

bootstrap:
	@tools/bootstrap.sh

run: bootstrap
	$(BIN)/smile-bench run $(ARGS)

test: bootstrap
	$(BIN)/python -m pytest -q -n auto $(ARGS)

nightly: bootstrap
	$(BIN)/python -m pytest -q -n auto -m "nightly or not nightly" --seed 1 --seed 2 --seed 3 $(ARGS)

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: bootstrap
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: bootstrap
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache tools/allure/node_modules
