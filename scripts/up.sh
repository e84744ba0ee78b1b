#!/usr/bin/env bash
# Starts every service of the suite that is not already running, then waits until all answer.
# Data under var/data, logs under var/log, pid files under var/run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/debug}
export CREDIT_CONFIG=${CREDIT_CONFIG:-config/suite.yaml}
mkdir -p var/run var/log var/data

start() {
    local name=$1; shift
    local pidfile=var/run/$name.pid
    if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "  $name already running (pid $(cat "$pidfile"))"
        return
    fi
    setsid nohup "$BIN/$1" "${@:2}" >>"var/log/$name.log" 2>&1 < /dev/null &
    echo $! >"$pidfile"
    echo "  started $name (pid $!, log var/log/$name.log)"
}

echo "==> starting Credit Mesh (config $CREDIT_CONFIG)"
start registry registry
start grading grading
start sanction-dispatch sanction-dispatch
start repair repair
start disclosure disclosure
departments=${CREDIT_INTERCEPTORS_DEPARTMENTS:-$(sed -n 's/^ *departments: *\([a-z,-]*\).*/\1/p' "$CREDIT_CONFIG" | head -1)}
for dept in ${departments//,/ }; do
    start "interceptor-$dept" interceptor --dept "$dept"
done
echo "==> waiting for every service to answer"
"$BIN/creditctl" status --wait 60
