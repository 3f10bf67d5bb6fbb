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
# Rollups, alerts, notifications, retention against a real SQLite file.
suite aggregate python3 tests/integration/aggregate.py --bin build/san/bin
# E-mail (a real SMTP server), grouping, repeats, silences, budgets,
# anomalies, no-data, the digest.
suite alerting python3 tests/integration/alerting.py --bin build/san/bin
# The rendered site: report numbers against the raw rows, atomic writes.
suite render python3 tests/integration/render.py --bin build/san/bin
# A fresh directory end to end, make install, the Python client.
suite e2e python3 tests/integration/e2e.py --bin build/san/bin
# The pages in headless Chromium served by nginx.
suite browser node tests/browser/run.mjs --bin build/san/bin

# Two minutes of steady ingest with the cron job every minute (bench/soak,
# at a rate any machine keeps up with): no answer but 2xx, every
# acknowledged record stored exactly once, no sanitizer report.  No timing
# is judged.
soak_check() {
	if MINUTES=2 RATE=200 CONNS=4 APIMON_BIN=build/san/bin bench/soak/run.sh; then
		echo "soak: 1 passed, 0 failed"
	else
		echo "soak: 0 passed, 1 failed"
	fi
}
suite soak soak_check

# Fuzzing the body parser (object, array, NDJSON) for a bounded time.
echo "== fuzz (${FUZZ_SECONDS:-30} s)"
mkdir -p build/fuzz/corpus
if build/fuzz/fuzz-body -max_total_time="${FUZZ_SECONDS:-30}" \
    build/fuzz/corpus tests/fuzz/corpus >"$out/fuzz.log" 2>&1; then
	tail -n 3 "$out/fuzz.log"
	count fuzz 1 0
else
	tail -n 30 "$out/fuzz.log"
	count fuzz 0 1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
