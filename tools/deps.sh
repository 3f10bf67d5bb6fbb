#!/bin/sh
# Install the Debian packages apimon needs that are not installed yet.
# Quiet and fast when everything is present.
#   tools/deps.sh build   to build and run it (`make deps`)
#   tools/deps.sh test    to test and benchmark it too (`make deps-test`)
set -eu

mode=${1:-build}
pkgs="gcc g++ make pkg-config libsqlite3-dev sqlite3 libcjson-dev libfcgi-dev
libcurl4-openssl-dev libctemplate-dev libjs-chart.js spawn-fcgi nginx curl"
case $mode in
build) ;;
test)
	# fonts: the browser tests' screenshots show Chinese, Japanese
	# and emoji as text, not boxes
	pkgs="$pkgs libcriterion-dev clang libclang-rt-14-dev python3 mandoc
chromium fonts-noto-cjk fonts-noto-color-emoji time wrk strace
python3-aiosmtpd openssl systemd logrotate" ;;
*)
	echo "usage: tools/deps.sh [build|test]" >&2
	exit 2 ;;
esac

missing=""
for p in $pkgs; do
	s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$s" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
# Node may come from another repository (nodesource bundles npm): ask for
# Debian's packages only when the commands are missing.
if [ "$mode" = test ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi

browser_modules() {
	# The browser tests drive Debian's chromium with playwright-core from
	# npm; it never downloads a browser of its own.
	[ -d tests/browser/node_modules/playwright-core ] && return 0
	[ -f tests/browser/package-lock.json ] || return 0
	echo "deps: npm ci in tests/browser" >&2
	(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) >&2
}

if [ -z "$missing" ]; then
	[ "$mode" = build ] || browser_modules
	exit 0
fi

echo "deps: installing$missing" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
[ "$mode" = build ] || browser_modules
