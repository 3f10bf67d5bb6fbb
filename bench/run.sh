#!/usr/bin/env bash
# bench/run.sh — every apimon benchmark: HTTP ingest (bench/ingest/run.sh, one
# record per POST, then batches of 100), bulk import (bench/import/run.sh),
# rollups (bench/aggregate/run.sh), the site (bench/render/run.sh, on
# aggregate's cached database), the request explorer's part of it
# (bench/explorer/run.sh), the ClickHouse scale-out
# (bench/clickhouse/run.sh), 1 M records end to end against GoAccess
# (bench/e2e/run.sh) and, with SOAK=1, the 30-minute soak (bench/soak/run.sh).
# `make bench` builds and runs this.
# The output is also saved to bench/out/bench-<UTC time>.txt (git-ignored).
# Environment knobs are passed through; see bench/README.md.
# Exit status: 0 when both benchmarks ran (whether or not they met their
# goals: read the "goals" lines), 1 when either harness failed.
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$HERE/out"
log=$HERE/out/bench-$(date -u +%Y%m%dT%H%M%SZ).txt

{
	rc=0
	"$HERE/ingest/run.sh" || rc=1
	echo
	BATCH=100 "$HERE/ingest/run.sh" || rc=1
	echo
	"$HERE/import/run.sh" || rc=1
	echo
	"$HERE/aggregate/run.sh" || rc=1
	echo
	"$HERE/render/run.sh" || rc=1
	echo
	"$HERE/explorer/run.sh" || rc=1
	"$HERE/clickhouse/run.sh" || rc=1
	"$HERE/e2e/run.sh" || rc=1
	if [ "${SOAK:-0}" = 1 ]; then
		echo
		"$HERE/soak/run.sh" || rc=1
	fi
	exit "$rc"
} 2>&1 | tee "$log"
echo "saved: $log"
