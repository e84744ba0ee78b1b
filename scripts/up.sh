#!/usr/bin/env bash
# Starts every service of the suite that is not already running, then waits until all answer.
# Data under var/data, logs under var/log, pid files under var/run, CURVE keys under var/keys.
# Security is on: `creditctl keys init` creates (once) a key pair for every service, the operator and
# every department, registered in var/keys/roster.yaml. INSECURE=1 starts everything with --insecure
# instead (no CURVE; every service says so loudly in its log).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/debug}
export CREDIT_CONFIG=${CREDIT_CONFIG:-config/suite.yaml}
mkdir -p var/run var/log var/data
FLAGS=()
if [[ ${INSECURE:-0} == 1 ]]; then
    FLAGS=(--insecure)
    echo "==> INSECURE=1: starting without CURVE; use only on a closed test machine"
else
    "$BIN/creditctl" keys init
fi

start() {
    local name=$1; shift
    local pidfile=var/run/$name.pid
    if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "  $name already running (pid $(cat "$pidfile"))"
        return
    fi
    setsid nohup "$BIN/$1" "${@:2}" "${FLAGS[@]}" >>"var/log/$name.log" 2>&1 < /dev/null &
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
"$BIN/creditctl" status --wait 60 "${FLAGS[@]}"
