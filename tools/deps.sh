#!/bin/sh
# The Debian packages apimon needs.  Quiet and fast when everything is present.
#   tools/deps.sh build          install what building and running need (`make deps`)
#   tools/deps.sh test           install what testing needs too (`make deps-test`)
#   tools/deps.sh bench          and what benchmarking needs: the references
#                                it measures against (`make deps-bench`)
#   tools/deps.sh --check build  only say what building lacks, and fail: `make`
#   tools/deps.sh --check test   the same for the test builds: `make san`
# Only `make deps`, `make deps-test` and the targets built on them (`make run`,
# `make test`, `make bench`) install; `make` and `make install` only check, so
# that building on a server never pulls in (and starts) nginx.
set -eu

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
mode=${1:-build}
# What compiling needs; the rest is for running (`make run`) and testing.
compile="gcc g++ make pkg-config libsqlite3-dev libcjson-dev libfcgi-dev
libcurl4-openssl-dev libctemplate-dev libprotobuf-c-dev protobuf-c-compiler
zlib1g-dev"
bench=""
if [ "$mode" = bench ]; then
	mode=test
	bench="goaccess"
fi
case $mode in
build)
	pkgs="$compile"
	[ $check -eq 1 ] || pkgs="$pkgs sqlite3 libjs-chart.js spawn-fcgi nginx curl" ;;
test)
	pkgs="$compile libcriterion-dev clang libclang-rt-14-dev"
	# fonts: the browser tests' screenshots show Chinese, Japanese
	# and emoji as text, not boxes
	[ $check -eq 1 ] || pkgs="$pkgs sqlite3 libjs-chart.js spawn-fcgi nginx
curl python3 mandoc chromium fonts-noto-cjk fonts-noto-color-emoji time wrk
strace python3-aiosmtpd openssl systemd logrotate clickhouse-server $bench" ;;
*)
	echo "usage: tools/deps.sh [--check] [build|test|bench]" >&2
	exit 2 ;;
esac

# One dpkg-query for all: it prints the packages it knows, one a line.
missing=""
known=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $pkgs 2>/dev/null || true)
for p in $pkgs; do
	case "$known" in
	"$p ii"* | *"
$p ii"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ $check -eq 1 ]; then
	[ -z "$missing" ] && exit 0
	target=deps
	[ "$mode" = test ] && target=deps-test
	echo "deps: missing$missing" >&2
	echo "deps: run \`make $target\` to install them (apt-get, as root or through sudo);" \
	    "\`make\` and \`make install\` never install packages" >&2
	exit 1
fi

# Node may come from another repository (nodesource bundles npm): ask for
# Debian's packages only when the commands are missing.
if [ "$mode" = test ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi

npm_ci() {	# folder, a module whose presence says it is installed
	[ -d "$1/node_modules/$2" ] && return 0
	[ -f "$1/package-lock.json" ] || return 0
	echo "deps: npm ci in $1" >&2
	(cd "$1" && npm ci --no-audit --no-fund --loglevel=error) >&2
}

test_modules() {
	# The browser tests drive Debian's chromium with playwright-core from
	# npm; it never downloads a browser of its own.
	npm_ci tests/browser playwright-core
	# The OTLP tests send with OpenTelemetry's own JS SDK and exporters,
	npm_ci tests/otlp @opentelemetry/exporter-trace-otlp-proto
	# ...and the guide's Node example, which the end-to-end test runs.
	npm_ci docs/examples/otel-node @opentelemetry/exporter-trace-otlp-proto
}

if [ -z "$missing" ]; then
	[ "$mode" = build ] || test_modules
	exit 0
fi

echo "deps: installing$missing" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
[ "$mode" = build ] || test_modules
