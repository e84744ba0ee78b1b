#!/usr/bin/env bash
# Builds the Debian package of the department agent (credit-mesh-agent): interceptor and creditctl,
# the systemd unit, /etc/credit-mesh/ config and the maintainer scripts in deploy/debian/.
#
#   scripts/package.sh [--bin DIR] [--version VERSION] [--out DIR] [--strip] [--strict]
#
# --bin      where the built interceptor and creditctl are (default .build/release)
# --version  the package version (default 0.1.0+git<date>.<commit>)
# --out      where the .deb goes (default .build/package)
# --strip    strip the binaries' symbols (a release package)
# --strict   refuse binaries that need a library no Debian package provides (make package builds
#            with the Swift runtime linked statically, so only Debian's libraries remain)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.build/release"
out="$root/.build/package"
version=""
strict=0
strip=0
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin="$2"; shift 2 ;;
        --version) version="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --strict) strict=1; shift ;;
        --strip) strip=1; shift ;;
        *) echo "package.sh: unknown argument $1 (see the usage at the top of scripts/package.sh)" >&2; exit 2 ;;
    esac
done

command -v dpkg-deb >/dev/null || { echo "package.sh: dpkg-deb is missing: apt-get install dpkg-dev" >&2; exit 1; }
for executable in interceptor creditctl; do
    [ -x "$bin/$executable" ] || {
        echo "package.sh: $bin/$executable is not built: run swift build -c release --static-swift-stdlib (or make package)" >&2
        exit 1
    }
done
if [ -z "$version" ]; then
    commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    version="0.1.0+git$(date -u +%Y%m%d%H%M).$commit"
fi
case "$version" in
    [0-9]*) ;;
    *) echo "package.sh: version \"$version\" must start with a digit (Debian policy), such as 1.2.0" >&2; exit 2 ;;
esac
arch="$(dpkg --print-architecture)"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/credit-mesh" \
    "$stage/usr/share/doc/credit-mesh-agent"
install -m 0755 "$bin/interceptor" "$bin/creditctl" "$stage/usr/bin/"
if [ "$strip" = 1 ]; then
    strip --strip-unneeded "$stage/usr/bin/interceptor" "$stage/usr/bin/creditctl"
fi
install -m 0644 "$root/deploy/debian/credit-mesh-interceptor.service" "$stage/lib/systemd/system/"
install -m 0640 "$root/deploy/debian/credit-mesh.yaml" "$root/deploy/debian/interceptor.env" "$stage/etc/credit-mesh/"
install -m 0755 "$root/deploy/debian/postinst" "$root/deploy/debian/prerm" "$root/deploy/debian/postrm" "$stage/DEBIAN/"
install -m 0644 "$root/docs/OPERATIONS.md" "$root/docs/CONFIG.md" "$root/docs/PROTOCOL.md" "$root/docs/SECURITY.md" \
    "$stage/usr/share/doc/credit-mesh-agent/"
cat >"$stage/usr/share/doc/credit-mesh-agent/README" <<'EOF'
Credit Mesh department agent: the interceptor (the department's check agent) and creditctl.
Installing a department from nothing: OPERATIONS.md, "A department host from nothing".
Config: /etc/credit-mesh/credit-mesh.yaml and /etc/credit-mesh/interceptor.env (keys in CONFIG.md).
Service: systemctl enable --now credit-mesh-interceptor
EOF
printf '/etc/credit-mesh/credit-mesh.yaml\n/etc/credit-mesh/interceptor.env\n' >"$stage/DEBIAN/conffiles"

# Depends: the Debian package of every shared library the binaries load.
depends="passwd"
unowned=""
# The libraries the binaries name themselves (ELF NEEDED), not those pulled in behind them.
libraries() {
    local binary="$1"
    if command -v objdump >/dev/null; then
        for name in $(objdump -p "$binary" | awk '$1 == "NEEDED" { print $2 }'); do
            ldd "$binary" | awk -v name="$name" '$1 == name && $3 ~ /^\// { print $3 }'
        done
    else
        ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
    fi
}
for library in $( (libraries "$bin/interceptor"; libraries "$bin/creditctl") | sort -u); do
    owner="$(dpkg -S "$library" 2>/dev/null || dpkg -S "$(readlink -f "$library")" 2>/dev/null || true)"
    if [ -z "$owner" ]; then
        unowned="$unowned $library"
        continue
    fi
    depends="$depends, ${owner%%:*}"
done
depends="$(echo "$depends" | tr ',' '\n' | sed 's/^ *//' | sort -u | paste -sd, - | sed 's/,/, /g')"
if [ -n "$unowned" ]; then
    if [ "$strict" = 1 ]; then
        echo "package.sh: these libraries come from no Debian package:$unowned" >&2
        echo "  link the Swift runtime statically: swift build -c release --static-swift-stdlib" >&2
        exit 1
    fi
    echo "package.sh: WARNING: the package runs only where these are installed too:$unowned" >&2
fi

cat >"$stage/DEBIAN/control" <<EOF
Package: credit-mesh-agent
Version: $version
Architecture: $arch
Maintainer: Credit Mesh maintainers <maintainers@credit-mesh.invalid>
Section: net
Priority: optional
Depends: $depends
Installed-Size: $(du -ks "$stage" | cut -f1)
Description: Credit Mesh department agent (interceptor and creditctl)
 The interceptor keeps the department's replica of the credit office's listings
 and measure catalogue, and answers its business systems' checks (block, allow,
 fast-track, review) over HTTP and ZeroMQ, feeding each block back to the credit
 office. creditctl manages the host's key pair and the check API's tokens.
EOF

mkdir -p "$out"
deb="$out/credit-mesh-agent_${version}_${arch}.deb"
# CREDIT_PACKAGE_COMPRESSION: gzip (default), xz or none (the tests' large debug builds).
dpkg-deb --root-owner-group "-Z${CREDIT_PACKAGE_COMPRESSION:-gzip}" --build "$stage" "$deb" >/dev/null
echo "$deb"
