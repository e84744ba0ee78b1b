#!/usr/bin/env bash
# Installs, upgrades, removes and purges the department agent's package in a throwaway root: an
# overlay of this machine's / on a tmpfs, in a private mount namespace, entered with chroot. Nothing
# it does reaches the machine (the overlay and its namespace vanish when the script ends).
#
#   scripts/test-package.sh OLD.deb NEW.deb        (as root; needs unshare and overlayfs)
#
# Prints each step and "package: N passed, 0 failed"; exits non-zero on the first failure.
set -euo pipefail

if [ "${CREDIT_THROWAWAY_ROOT:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || { echo "test-package.sh: needs root (dpkg in a throwaway root)" >&2; exit 1; }
    [ $# = 2 ] || { echo "usage: scripts/test-package.sh OLD.deb NEW.deb" >&2; exit 2; }
    exec unshare --mount --propagation private env CREDIT_THROWAWAY_ROOT=1 "$0" "$(readlink -f "$1")" "$(readlink -f "$2")"
fi

old="$1"
new="$2"
scratch="$(mktemp -d)"
mount -t tmpfs tmpfs "$scratch"
mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "$scratch/root"
root="$scratch/root"
mount --bind /dev "$root/dev"
mount -t proc proc "$root/proc"
mkdir -p "$root/tmp/packages"
cp "$old" "$root/tmp/packages/old.deb"
cp "$new" "$root/tmp/packages/new.deb"

passed=0
inside() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /bin/sh -c "$1"; }
check() {
    local what="$1" expected="$2" actual
    actual="$(inside "$3" 2>&1 || true)"
    if [ "$actual" != "$expected" ]; then
        echo "FAIL $what: expected [$expected], got [$actual]" >&2
        echo "package: $passed passed, 1 failed"
        exit 1
    fi
    passed=$((passed + 1))
    echo "ok   $what"
}
contains() {
    local what="$1" needle="$2" actual
    actual="$(inside "$3" 2>&1 || true)"
    case "$actual" in
        *"$needle"*) passed=$((passed + 1)); echo "ok   $what" ;;
        *) echo "FAIL $what: [$needle] not in [$actual]" >&2; echo "package: $passed passed, 1 failed"; exit 1 ;;
    esac
}

check "machine has no agent before" "absent" "getent passwd credit-mesh >/dev/null && echo present || echo absent"

echo "== install"
inside "dpkg -i /tmp/packages/old.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }"
check "installed" "install ok installed" "dpkg-query -W -f='\${Status}' credit-mesh-agent"
check "system user without a login" "/usr/sbin/nologin" "getent passwd credit-mesh | cut -d: -f7"
check "key directory: the user's alone" "credit-mesh:credit-mesh 700" "stat -c '%U:%G %a' /etc/credit-mesh/keys"
check "data directory" "credit-mesh:credit-mesh 750" "stat -c '%U:%G %a' /var/lib/credit-mesh"
check "config readable by the user's group only" "root:credit-mesh 640" "stat -c '%U:%G %a' /etc/credit-mesh/credit-mesh.yaml"
check "conffiles" "/etc/credit-mesh/credit-mesh.yaml /etc/credit-mesh/interceptor.env" \
    "dpkg-query -W -f='\${Conffiles}' credit-mesh-agent | awk 'NF {print \$1}' | paste -sd' ' -"
check "systemd unit runs as the user" "User=credit-mesh" "grep '^User=' /lib/systemd/system/credit-mesh-interceptor.service"
if command -v systemd-analyze >/dev/null; then
    contains "systemd unit verifies" "verified" \
        "systemd-analyze verify /lib/systemd/system/credit-mesh-interceptor.service 2>&1 && echo verified"
fi
contains "interceptor without a department says what to set" "--dept" "/usr/bin/interceptor 2>&1"

echo "== first use: the department's key pair and a token"
check "key pair made by the agent's user" "credit-mesh 600" \
    "runuser -u credit-mesh -- creditctl keys generate --dept finance >/dev/null && stat -c '%U %a' /etc/credit-mesh/keys/finance.key"
contains "token issued with the installed config" "cmt_" "creditctl token add procurement-portal --dept finance 2>/dev/null"
check "token file readable by the interceptor" "credit-mesh:credit-mesh 640" \
    "stat -c '%U:%G %a' /var/lib/credit-mesh/interceptor-finance.tokens"
contains "interceptor reads the installed config and keys" "no roster at /etc/credit-mesh/keys/roster.yaml" \
    "cd /var/lib/credit-mesh && CREDIT_DEPT=finance timeout 20 runuser -u credit-mesh -- /usr/bin/interceptor 2>&1"
inside "echo '# edited by the department' >> /etc/credit-mesh/credit-mesh.yaml"
uid="$(inside "id -u credit-mesh")"

echo "== upgrade"
inside "dpkg -i --force-confold /tmp/packages/new.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }"
check "new version" "$(dpkg-deb -f "$new" Version)" "dpkg-query -W -f='\${Version}' credit-mesh-agent"
check "the department's config edit kept" "# edited by the department" "tail -1 /etc/credit-mesh/credit-mesh.yaml"
check "same user" "$uid" "id -u credit-mesh"
check "key kept with its mode" "credit-mesh 600" "stat -c '%U %a' /etc/credit-mesh/keys/finance.key"
check "tokens kept" "procurement-portal" "creditctl token list --dept finance | cut -f1"

echo "== remove"
inside "dpkg -r credit-mesh-agent >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }"
check "binaries gone" "gone" "test -e /usr/bin/interceptor || test -e /usr/bin/creditctl || echo gone"
check "config kept until purge" "kept" "test -f /etc/credit-mesh/credit-mesh.yaml && echo kept"
check "data kept until purge" "kept" "test -f /var/lib/credit-mesh/interceptor-finance.tokens && echo kept"

echo "== purge"
inside "dpkg -P credit-mesh-agent >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }"
check "not installed" "absent" "dpkg-query -W -f='\${Status}' credit-mesh-agent >/dev/null 2>&1 && echo present || echo absent"
check "user gone" "absent" "getent passwd credit-mesh >/dev/null && echo present || echo absent"
check "data gone" "gone" "test -e /var/lib/credit-mesh || echo gone"
check "config gone" "gone" "test -e /etc/credit-mesh/credit-mesh.yaml || echo gone"
check "the key pair survives a purge" "kept" "test -f /etc/credit-mesh/keys/finance.key && echo kept"

echo "package: $passed passed, 0 failed"
