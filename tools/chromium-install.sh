#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium (package `chromium`), which bench/reports/
# offline_check.py drives to prove a report loads nothing from outside its own file. Only as root
# with apt-get; otherwise prints one line saying what to install and exits 1. Idempotent and
# silent when Chromium is already there.
set -euo pipefail

say() { printf 'chromium-install: %s\n' "$*" >&2; }

have_chromium() {
    [ -n "${SMILE_BENCH_CHROMIUM:-}" ] && [ -x "$SMILE_BENCH_CHROMIUM" ] && return 0
    [ -x /usr/lib/chromium/chromium ] && return 0
    command -v chromium >/dev/null 2>&1
}

have_chromium && exit 0

if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    say "chromium is missing (install it with: sudo apt-get install chromium)"
    exit 1
fi

# One apt run at a time from this script (pytest-xdist workers, parallel make).
if command -v flock >/dev/null 2>&1; then
    exec 9<"$0"
    flock 9
    have_chromium && exit 0
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/chromium-install.XXXXXX")
say "installing Debian package: chromium"
# Same apt-get update stamp as tools/bootstrap.sh; refresh once more if the lists were stale.
if [ ! -f /tmp/.smile-bench-apt-updated ]; then
    apt-get update -qq >>"$log" 2>&1 && touch /tmp/.smile-bench-apt-updated
fi
if ! apt-get install -y -qq chromium >>"$log" 2>&1; then
    if ! { apt-get update -qq && apt-get install -y -qq chromium; } >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        say "apt-get install chromium failed (full log: $log)"
        exit 1
    fi
fi
rm -f "$log"
have_chromium || { say "chromium installed but no chromium binary found"; exit 1; }
