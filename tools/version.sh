#!/bin/sh
# The version every program prints (make writes it into build/version.h).
#   in a git checkout of apimon with a release tag:  git describe (v0.2.0-3-gabc1234 -> 0.2.0-3-gabc1234)
#   in one without a tag:      VERSION and the commit (0.1.0-gabc1234)
#   anywhere else (a tarball): VERSION alone
# Uncommitted changes add -dirty.  Tag a release only together with VERSION
# (tests/integration/e2e.py checks that the two agree).
set -eu
cd "$(dirname "$0")/.."
v=$(cat VERSION)
# Only this tree's own repository: a tarball unpacked inside another
# checkout must not take that checkout's commit.
if top=$(git rev-parse --show-toplevel 2>/dev/null) && [ "$top" = "$(pwd -P)" ]; then
	if d=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
		v=${d#v}
	elif h=$(git describe --always --dirty 2>/dev/null); then
		v=$v-g$h
	fi
fi
echo "$v"
