#!/bin/bash
# make test: every suite, sanitizers on; ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
out=tests/out
mkdir -p "$out"
passed=0
failed=0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

count() {	# suite passed failed
	echo "== $1: $2 passed, $3 failed"
	passed=$((passed + $2))
	failed=$((failed + $3))
}

# Unit tests (Criterion).
echo "== unit"
build/san/unit --jobs 2 2>&1 | tee "$out/unit.log" | grep -v '^\[----\]' | tail -n 40
line=$(grep -a 'Synthesis:' "$out/unit.log" | tail -1)
if [ -n "$line" ]; then
	p=$(sed -E 's/.*Passing: ([0-9]+).*/\1/' <<<"$line")
	f=$(sed -E 's/.*Failing: ([0-9]+).*Crashing: ([0-9]+).*/\1+\2/' <<<"$line")
	count unit "$p" $((f))
else
	count unit 0 1
fi

# A suite whose last line is "NAME: N passed, N failed".
suite() {	# name command...
	local name=$1 line
	shift
	echo "== $name"
	"$@" 2>&1 | tee "$out/$name.log"
	line=$(grep -aE "^$name: [0-9]+ passed, [0-9]+ failed" "$out/$name.log" | tail -1)
	if [ -n "$line" ]; then
		count "$name" "$(awk '{print $2}' <<<"$line")" "$(awk '{print $4}' <<<"$line")"
	else
		count "$name" 0 1
	fi
}

# The site's JavaScript that needs no browser (number formatting), in Node.
suite js node tests/js/run.mjs
# Integration: real nginx + spawn-fcgi workers on 127.0.0.1.
suite integration python3 tests/integration/run.py --bin build/san/bin
# POST /v1/traces: OpenTelemetry's own JS exporters (JSON, protobuf, gzip)
# and hostile bodies, against the same stack.
suite otlp python3 tests/integration/otlp.py --bin build/san/bin
# Rollups, alerts, notifications, retention against a real SQLite file.
suite aggregate python3 tests/integration/aggregate.py --bin build/san/bin
# E-mail (a real SMTP server), grouping, repeats, silences, budgets,
# anomalies, no-data, the digest.
suite alerting python3 tests/integration/alerting.py --bin build/san/bin
# The rendered site: report numbers against the raw rows, atomic writes.
suite render python3 tests/integration/render.py --bin build/san/bin
# The request explorer and raw exports against the raw rows; retention,
# limits, invalid UTF-8, concurrent runs, kill -9, a day of 100,000 rows.
suite explorer python3 tests/integration/explorer.py --bin build/san/bin
# Scale-out: apimon-ship from three ingest databases into two
# clickhouse-server shards; rollups in ClickHouse equal the single node's.
suite clickhouse python3 tests/integration/clickhouse.py --bin build/san/bin
# A fresh directory end to end, make install, the Python client.
suite e2e python3 tests/integration/e2e.py --bin build/san/bin
# The pages in headless Chromium served by nginx.
suite browser node tests/browser/run.mjs --bin build/san/bin

# A minute of steady ingest with the cron job every 20 s (bench/soak, at a
# rate any machine keeps up with, the explorer on): no answer but 2xx,
# every acknowledged record stored exactly once and rolled up once (the
# runs after the first add to today's rollups), integrity_check ok, no
# sanitizer report.  No timing is judged.
soak_check() {
	if MINUTES=1 CRON_S=20 RATE=200 CONNS=4 EXPLORER_DAYS=7 \
	    APIMON_BIN=build/san/bin bench/soak/run.sh; then
		echo "soak: 1 passed, 0 failed"
	else
		echo "soak: 0 passed, 1 failed"
	fi
}
suite soak soak_check

# Fuzzing for a bounded time: the body parser (object, array, NDJSON) and
# the two OTLP decoders (protobuf, JSON) with the span mapping behind them.
fuzz() {	# name target corpus
	local name=$1 target=$2 corpus=$3
	echo "== $name (${FUZZ_SECONDS:-20} s)"
	mkdir -p "build/fuzz/$corpus"
	if "build/fuzz/$target" -max_total_time="${FUZZ_SECONDS:-20}" \
	    "build/fuzz/$corpus" "tests/fuzz/$corpus" >"$out/$name.log" 2>&1; then
		tail -n 3 "$out/$name.log"
		count "$name" 1 0
	else
		tail -n 30 "$out/$name.log"
		count "$name" 0 1
	fi
}
fuzz fuzz fuzz-body corpus
fuzz fuzz-otlp-pb fuzz-otlp-pb corpus-otlp-pb
fuzz fuzz-otlp-json fuzz-otlp-json corpus-otlp-json

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
