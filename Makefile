# Credit Mesh — build, run and test the suite. See README.md.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= debug
BIN := .build/$(CONFIG)

.PHONY: deps test-deps build test up down demo bench package format format-check clean-data

## Installs what a fresh Debian machine lacks: libzmq3-dev to build; for the tests, Chromium (the
## portal's browser tests and PDF reports), a CJK font (without it Chinese renders as boxes), and
## prometheus for promtool, which checks deploy/prometheus (if it cannot be installed, make goes on
## and the tests say that they skip that check).
deps:
	@if ! pkg-config --exists libzmq 2>/dev/null; then \
		echo "==> installing libzmq3-dev"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get install -y libzmq3-dev || { $$SUDO apt-get update && $$SUDO apt-get install -y libzmq3-dev; }; \
	fi

test-deps: deps
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "==> installing chromium fonts-noto-cjk"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get install -y chromium fonts-noto-cjk || { $$SUDO apt-get update && $$SUDO apt-get install -y chromium fonts-noto-cjk; }; \
	fi
	@if ! command -v curl >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then \
		echo "==> installing curl openssl iproute2 (the check API over TLS, the hosts in network namespaces)"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get install -y curl openssl iproute2 || { $$SUDO apt-get update && $$SUDO apt-get install -y curl openssl iproute2; }; \
	fi
	@if ! command -v promtool >/dev/null 2>&1; then \
		echo "==> installing prometheus (promtool checks deploy/prometheus)"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		INSTALL="$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus"; \
		$$INSTALL || { $$SUDO apt-get update && $$INSTALL; } \
			|| echo "==> WARNING: prometheus could not be installed: the tests will SKIP checking deploy/prometheus with promtool"; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

test: test-deps format-check
	$(SWIFT) build --build-tests
	CREDIT_REQUIRE_BROWSER=1 $(SWIFT) test --skip-build

up: build
	scripts/up.sh

down:
	scripts/down.sh

demo: up
	scripts/demo.sh

## Propagation (1, 10, 50 interceptors), 1M-listing catch-up and checks, beside raw libzmq, SQLite and HTTP.
## One part: make bench BENCH=propagation|catch-up|checks|import|import-stages|portal|feedback|grading|peer
## (portal: wrk; peer: Debian's redis-server, the Redis Streams peer measured beside ours; each
## installed when missing). Sizes: .build/release/credit-bench <part> --help (e.g. credit-bench
## catch-up --listings=200000 --links=3).
bench: deps
	@if [ "$(BENCH)" = portal ] && ! command -v wrk >/dev/null 2>&1; then \
		echo "==> installing wrk"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get install -y wrk || { $$SUDO apt-get update && $$SUDO apt-get install -y wrk; }; \
	fi
	@if [ "$(BENCH)" = peer ] && ! command -v redis-server >/dev/null 2>&1; then \
		echo "==> installing redis-server"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		INSTALL="$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server"; \
		$$INSTALL || { $$SUDO apt-get update && $$INSTALL; }; \
	fi
	$(SWIFT) build -c release
	CREDIT_BIN=$(CURDIR)/.build/release .build/release/credit-bench $(BENCH)

## The department agent as a Debian package: .build/package/credit-mesh-agent_<version>_<arch>.deb
## (interceptor and creditctl in release, the Swift runtime linked in; VERSION=1.2.0 to name it).
package: deps
	$(SWIFT) build -c release --static-swift-stdlib --product interceptor
	$(SWIFT) build -c release --static-swift-stdlib --product creditctl
	scripts/package.sh --bin .build/release --strip --strict $(if $(VERSION),--version $(VERSION))

## .swift-format (4 spaces, 140 columns) applied to every source; make test checks it first.
format:
	$(SWIFT) format --in-place --recursive Shared Services Tests

format-check:
	@$(SWIFT) format lint --recursive --strict Shared Services Tests \
		|| { echo "==> the sources differ from .swift-format: run make format"; exit 1; }

clean-data: down
	rm -rf var
