#!/bin/sh
# Install the Debian packages apimon needs that are not installed yet.
# Quiet and fast when everything is present; used by `make deps`.
set -eu

pkgs="gcc g++ make pkg-config libsqlite3-dev sqlite3 libcjson-dev libfcgi-dev
spawn-fcgi nginx libcriterion-dev libcurl4-openssl-dev clang libclang-rt-14-dev
libctemplate-dev libjs-chart.js
python3 curl wrk mandoc chromium time"
[ $# -gt 0 ] && pkgs="$*"

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
if [ $# -eq 0 ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
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
	[ $# -gt 0 ] || browser_modules
	exit 0
fi

echo "deps: installing$missing" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
[ $# -gt 0 ] || browser_modules
