#!/usr/bin/env bash
# Stops what scripts/up.sh started: SIGTERM (graceful), SIGKILL after 10 s.
set -uo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
for pidfile in var/run/*.pid; do
    name=$(basename "$pidfile" .pid)
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        echo "  stopped $name"
    fi
    rm -f "$pidfile"
done
