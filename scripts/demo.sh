#!/usr/bin/env bash
# The story, over the running suite (make up): court list imported → subject blocked at finance
# procurement (and elsewhere) → feedback counted → repair approved → allowed again.
# Prints each step; exits non-zero at the first step that fails.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/debug}
export CREDIT_CONFIG=${CREDIT_CONFIG:-config/suite.yaml}
# INSECURE=1 (as for make up) talks to services started with --insecure.
ctl() { if [[ ${INSECURE:-0} == 1 ]]; then "$BIN/creditctl" "$@" --insecure; else "$BIN/creditctl" "$@"; fi; }
SUBJECT=91330500MA2D7E8F2D            # 湖州示例建设工程有限公司, on the court's list in demo/court-shixin.json
PERSON=330502198001011231             # 李四, a natural person on the same list
step() { echo; echo "── $*"; }
fail() { echo "DEMO FAILED: $*" >&2; exit 1; }
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -1; }
# Polls a command until its output contains a pattern (the suite is asynchronous by design).
wait_for() {
    local pattern=$1; shift
    for _ in $(seq 100); do
        if out=$("$@" 2>&1) && grep -q -- "$pattern" <<<"$out"; then echo "$out"; return 0; fi
        sleep 0.2
    done
    echo "$out" >&2
    return 1
}

step "0. Clear listings of the demo subject left by an earlier run"
while read -r old; do
    [[ -n $old ]] || continue
    ctl remove --as court --listing "$old" --reason "reset by make demo" >/dev/null && echo "removed $old"
done < <(ctl listings --subject "$SUBJECT" --json | grep -o '"id":"L-[0-9]*"' | cut -d'"' -f4)
# A fresh case number each run, so the court record is new and lists the subject again.
RUN=$(date +%s)
shixin=$(mktemp --suffix=.json)
trap 'rm -f "$shixin"' EXIT
sed "s/(2026)浙0502执1024号/(2026)浙0502执${RUN}号/" demo/court-shixin.json >"$shixin"

step "1. The court imports its dishonest judgment-debtor list (失信被执行人名单)"
ctl import --as court --format shixin "$shixin" || fail "court list import"

step "1b. Market regulation imports penalties (one row has a bad credit code on purpose)"
status=0; ctl import --as market --format xzcf demo/penalties.csv || status=$?
[[ $status == 0 || $status == 3 ]] || fail "penalty import"

step "2. Finance's interceptor blocks the subject from government procurement"
answer=$(wait_for '"decision":"block"' ctl check --dept finance --subject "$SUBJECT" --action government-procurement --reference PO-2026-0042 --json) \
    || fail "finance did not block $SUBJECT"
LISTING=$(field listing <<<"$answer")
ctl check --dept finance --subject "$SUBJECT" --action government-procurement
echo "listing: $LISTING"

step "3. One place dishonest, restricted everywhere: commerce and market regulation block too"
wait_for '"decision":"block"' ctl check --dept commerce --subject "$PERSON" --action hotel-booking-4star --json >/dev/null \
    || fail "commerce did not block $PERSON"
ctl check --dept commerce --subject "$PERSON" --action hotel-booking-4star
wait_for '"decision":"block"' ctl check --dept market --subject "$SUBJECT" --action change-legal-representative --json >/dev/null \
    || fail "market did not block $SUBJECT"
ctl check --dept market --subject "$SUBJECT" --action change-legal-representative

step "4. sanction-dispatch counts finance's feedback for the listing"
wait_for "\"$LISTING\":" ctl feedback --json >/dev/null || fail "no feedback counted for $LISTING"
ctl feedback

step "5. The subject applies for credit repair; the court (initiator) approves"
application=$(wait_for '"status":"pending"' ctl repair apply --listing "$LISTING" --commitment "已全部履行判决义务，承诺今后依法诚信经营" --json) \
    || fail "repair application for $LISTING"
APPLICATION=$(field id <<<"$application")
echo "application $APPLICATION"
ctl repair approve "$APPLICATION" --as court || fail "approval of $APPLICATION"

step "6. Every interceptor lifts the listing: finance allows the procurement again"
wait_for '"decision":"allow"' ctl check --dept finance --subject "$SUBJECT" --action government-procurement --json >/dev/null \
    || fail "finance still blocks $SUBJECT after repair"
ctl check --dept finance --subject "$SUBJECT" --action government-procurement
wait_for '"decision":"allow"' ctl check --dept market --subject "$SUBJECT" --action change-legal-representative --json >/dev/null \
    || fail "market still blocks $SUBJECT after repair"
echo "market regulation: allowed"

step "7. The public portal shows penalties and the black list, personal IDs masked"
portal=${CREDIT_DISCLOSURE_HTTP:-$(awk '/^disclosure:/{d=1} d&&/http:/{print $2; exit}' "$CREDIT_CONFIG")}
portal=${portal:-127.0.0.1:8080}
if command -v curl >/dev/null; then
    list=$(curl -fsS "http://$portal/api/v1/blacklist") || fail "portal http://$portal not answering"
    echo "$list"
    grep -q "$PERSON" <<<"$list" && fail "unmasked ID on the portal"
    grep -q '330502\*\*\*\*\*\*\*\*1231' <<<"$list" || fail "masked black-list entry for $PERSON missing on the portal"
else
    echo "(curl not installed; skipped)"
fi

echo; echo "DEMO PASSED"
