# The README's commands. Each target bootstraps what it needs (venv, packages, iverilog).
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
NIGHTLY_SCENARIOS ?= walk_level_0p8,walk_level_1p3,walk_level_1p7,antalgic_limp,early_post_op_crutches,fall_forward,fall_backward,fall_sideways,fall_forward_knee,lookalike_hard_sit,lookalike_jump,lookalike_lie_down,lookalike_near_fall,overload_partial_weight_bearing,daily_living_morning

.PHONY: run test nightly parity lint format bench bootstrap clean wheel-smoke

bootstrap:
	@tools/bootstrap.sh

run: bootstrap
	$(BIN)/smile-bench run $(ARGS)

test: bootstrap
	$(BIN)/python -m pytest -q -n auto --dist loadgroup -m "not nightly and not slow" $(ARGS)

nightly: bootstrap
	HYPOTHESIS_PROFILE=nightly $(BIN)/python -m pytest -q -n auto --dist loadgroup -m "nightly or not nightly" --seed 1 --seed 2 --seed 3 $(ARGS)
	$(BIN)/smile-bench campaign --seeds 20 --scenarios $(NIGHTLY_SCENARIOS)
	$(MAKE) parity

# the whole verification suite on the golden model, the emulated board (host-port replay over a
# loopback socket) and the RTL (Verilator), then the parity report of the three (same verdicts):
# about 9 min on 2 cores; PARITY_SEEDS / PARITY_OUT to change
PARITY_SEEDS ?= --seed 1
PARITY_OUT ?= results/parity
parity: bootstrap
	rm -rf $(PARITY_OUT)
	-$(BIN)/smile-bench run --station simulated $(PARITY_SEEDS) --out $(PARITY_OUT)/golden
	-$(BIN)/smile-bench run --station emulated-board $(PARITY_SEEDS) --out $(PARITY_OUT)/emulated
	-$(BIN)/smile-bench run --station rtl $(PARITY_SEEDS) --out $(PARITY_OUT)/rtl
	$(BIN)/smile-bench parity $(PARITY_OUT)/golden $(PARITY_OUT)/emulated $(PARITY_OUT)/rtl --out $(PARITY_OUT)

# the built wheel in a fresh environment outside the checkout: `smile-bench run` and an unrelated
# pytest session there (tools/wheel_smoke.sh)
wheel-smoke: bootstrap
	tools/wheel_smoke.sh

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
