#!/usr/bin/env bash
# Wheel smoke test: what a lab gets from `pip install smile-bench`, away from any checkout.
# Builds the wheel, installs it into a fresh virtual environment in a temporary folder, then
#   1. runs a trivial, unrelated pytest session there: the plugin must leave it untouched;
#   2. runs `smile-bench run` (the default simulated station) there and checks its verdicts:
#      every requirement ran, and each that failed is under an open known anomaly — the same
#      verdict the checkout gives (tools/check_run.py).
# Exits non-zero with one line naming the step that failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smile-wheel.XXXXXX")
# SMILE_WHEEL_KEEP=1 keeps the folder (environment, run, logs) to look into a failure
[ -n "${SMILE_WHEEL_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
say() { printf 'wheel-smoke: %s\n' "$*" >&2; }

"$ROOT/.venv/bin/python" -m pip wheel --no-deps -q -w "$WORK/dist" . ||
    { say "building the wheel failed"; exit 1; }
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check \
    "$WORK"/dist/smile_bench-*.whl >"$WORK/install.log" 2>&1 ||
    { tail -20 "$WORK/install.log" >&2; say "installing the wheel failed"; exit 1; }

cd "$WORK"  # nothing of the checkout is on the path from here
where=$("$WORK/venv/bin/python" -c 'import bench; print(bench.__file__)')
case "$where" in
    "$WORK"/venv/*) ;;
    *) say "bench imported from $where, not from the fresh environment"; exit 1 ;;
esac

mkdir plain
printf 'def test_unrelated():\n    assert True\n' >plain/test_unrelated.py
"$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider plain >plain.log 2>&1 ||
    { cat plain.log >&2; say "an unrelated pytest session failed beside the installed plugin"; exit 1; }
grep -q "1 passed" plain.log || { cat plain.log >&2; say "the unrelated session did not pass"; exit 1; }

# Allure's command line is a Node package outside the wheel; a lab installs its own. Here the
# checkout's pinned copy stands in for it.
code=0
SMILE_BENCH_ALLURE="$ROOT/tools/allure/node_modules/.bin/allure" \
    "$WORK/venv/bin/smile-bench" run --out "$WORK/run" >run.log 2>&1 || code=$?
tail -3 run.log
if [ "$code" -gt 1 ]; then
    cat run.log >&2
    say "smile-bench run exited $code (a broken run, not a verdict)"
    exit 1
fi
"$WORK/venv/bin/python" "$ROOT/tools/check_run.py" "$WORK/run" ||
    { tail -40 run.log >&2; say "the installed run's verdicts are not the expected ones"; exit 1; }
say "ok: wheel installed in a fresh environment, unrelated session untouched, run verdicts as expected"
