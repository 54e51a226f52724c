#!/usr/bin/env bash
# Installs the pinned Allure 2 command line (tools/allure/package-lock.json) into
# tools/allure/node_modules with `npm ci`: when node_modules is missing or the lock file changed
# since the last install (stamp file). Idempotent and silent when nothing changed; exits 1 with
# one line on stderr when npm or Java is missing or the install fails.
set -euo pipefail
cd "$(dirname "$0")/allure"

say() { printf 'allure-install: %s\n' "$*" >&2; }

command -v npm >/dev/null 2>&1 ||
    { say "npm is missing (install Node.js 18+ with npm, e.g. apt-get install nodejs npm)"; exit 1; }
# The npm package bundles Allure's Java distribution; it runs on Java 17 (java on PATH or JAVA_HOME).
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    :
elif ! command -v java >/dev/null 2>&1; then
    say "java is missing (Allure 2 needs Java 17: apt-get install openjdk-17-jre-headless)"
    exit 1
fi

# One install at a time (pytest-xdist workers, parallel make): lock the lock file itself.
if command -v flock >/dev/null 2>&1; then
    exec 9<package-lock.json
    flock 9
fi

STAMP=node_modules/.smile-bench-installed
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ -x node_modules/.bin/allure ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    exit 0
fi

log=$(mktemp "${TMPDIR:-/tmp}/allure-install.XXXXXX")
if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    say "npm ci failed in tools/allure (full log: $log)"
    exit 1
fi
rm -f "$log"
if [ ! -x node_modules/.bin/allure ]; then
    say "npm ci ran but node_modules/.bin/allure is missing"
    exit 1
fi
printf '%s\n' "$want" >"$STAMP"
