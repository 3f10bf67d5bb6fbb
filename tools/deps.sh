#!/bin/sh
# Install the Debian packages apimon needs that are not installed yet.
# Quiet and fast when everything is present; used by `make deps`.
set -eu

pkgs="gcc g++ make pkg-config libsqlite3-dev sqlite3 libcjson-dev libfcgi-dev
spawn-fcgi nginx libcriterion-dev libcurl4-openssl-dev clang libclang-rt-14-dev
libctemplate-dev libjs-chart.js
python3 curl wrk mandoc"
[ $# -gt 0 ] && pkgs="$*"

missing=""
for p in $pkgs; do
	s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$s" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
