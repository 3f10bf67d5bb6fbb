#!/usr/bin/env bash
# bench/aggregate/run.sh — `bin/apimon-aggregate` on 90 days of traffic
# (~10,000,000 simulated records) in a non-UTC zone (Asia/Taipei), against
# the ceiling of one plain SQL GROUP BY that computes the hourly rollup.
#
#   (a) --rebuild        the first full rollup of a freshly imported database
#   (b) incremental      after importing NEW (10,000) records into the last day
#   (c) --rebuild        again, over rollups that already exist
#   ceiling              sqlite3 DB "SELECT <hour>, source, model, COUNT(*), ...
#                        COUNT(DISTINCT user_id) FROM api_requests GROUP BY 1,2,3"
#   floor                sqlite3: one scan (in ts_ms order) of the columns apimon
#                        reads, summed; what any rollup must spend reading rows
#
# Each is timed with /usr/bin/time -v (wall time, CPU time, peak RSS).  Goals:
# incremental <= 0.1 s, rebuild <= 6 s (both cores), peak RSS < 100 MiB.  The script also
# checks that the hourly rollup equals the GROUP BY, and that (c) --rebuild
# leaves hourly_stats and daily_stats exactly as (b) left them.
#
# The database is built once (`apimon-simulate --days 90 --per-day 111112
# --seed 1 --end END | apimon-ingest --import -`, 3-4 minutes) and cached in
# bench/out/aggregate-cache/ (git-ignored), keyed by DAYS, PER_DAY, SEED and
# END; every run works on a copy in a temp dir.  END is the local midnight
# (ZONE) that starts the day of the first build, and is reused from the cache
# afterwards, so reruns skip the build and measure the same data; "now" for
# every aggregate run is END - 1 s, the last second of the last day, and the
# NEW records (seed NEW_SEED) fall into that last, full day.
#
# Other benchmarks share this 2-core machine: before anything heavy, the
# script waits (polling every POLL s, at most WAIT_MAX s) until
# `pgrep -f 'bench/(ingest|import)/run.sh|wrk '` finds nothing.
#
# Environment (defaults): DAYS=90 PER_DAY=111112 SEED=1 NEW=10000 NEW_SEED=99
#   ZONE=Asia/Taipei  SIM_END=<cached, else today's local midnight in ZONE>
#   REPEAT=1 (runs on fresh copies; the summary gives medians)
#   WAIT_MAX=1200 POLL=20  TIMEOUT=3600 (seconds, per step)  KEEP=0 (1 keeps
#   the temp dir)  REBUILD_CACHE=0 (1 builds the cached database again)
#   APIMON_AGGREGATE, APIMON_INGEST, APIMON_SIMULATE=<repo>/bin/...  TMPDIR
# Exit status: 0 when the benchmark ran (read the "goals" lines), 1 when the
# harness failed.
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

DAYS=${DAYS:-90}
PER_DAY=${PER_DAY:-111112}
SEED=${SEED:-1}
NEW=${NEW:-10000}
NEW_SEED=${NEW_SEED:-99}
ZONE=${ZONE:-Asia/Taipei}
SIM_END=${SIM_END:-}
WAIT_MAX=${WAIT_MAX:-1200}
POLL=${POLL:-20}
TIMEOUT=${TIMEOUT:-3600}
KEEP=${KEEP:-0}
REPEAT=${REPEAT:-1}
REBUILD_CACHE=${REBUILD_CACHE:-0}
AGGREGATE=${APIMON_AGGREGATE:-$ROOT/bin/apimon-aggregate}
INGEST=${APIMON_INGEST:-$ROOT/bin/apimon-ingest}
SIMULATE=${APIMON_SIMULATE:-$ROOT/bin/apimon-simulate}
CACHE_DIR=$ROOT/bench/out/aggregate-cache
BUSY='bench/(ingest|import)/run.sh|wrk '

die() { echo "bench/aggregate: $*" >&2; exit 1; }

for tool in sqlite3 timeout awk sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || die "missing tool: $tool (make deps)"
done
for prog in "$AGGREGATE" "$INGEST" "$SIMULATE"; do
	[ -x "$prog" ] || die "$prog not built (run make)"
done
if [ ! -x /usr/bin/time ]; then
	[ "$(id -u)" = 0 ] || die "/usr/bin/time missing: apt-get install time"
	echo "bench/aggregate: installing the time package" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null \
		|| die "apt-get install time failed"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/apimon-bench-aggregate.XXXXXX")
PARTIAL=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -z "$PARTIAL" ] || rm -f "$PARTIAL" "$PARTIAL-wal" "$PARTIAL-shm" "$PARTIAL.json"
	if [ "$KEEP" = 1 ]; then echo "bench/aggregate: kept $TMP" >&2; else rm -rf "$TMP"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (b-a)/1e9}'; }

# ---- wait for the other benchmarks --------------------------------------------
WAITED=0
WAIT_NOTE=
wait_idle() {	# wait_idle WHAT
	local busy
	while busy=$(pgrep -af "$BUSY" | head -3 || true) && [ -n "$busy" ]; do
		if [ "$WAITED" -ge "$WAIT_MAX" ]; then
			WAIT_NOTE="gave up waiting after ${WAIT_MAX} s; timed while other benchmarks ran"
			echo "bench/aggregate: WARNING: $WAIT_NOTE (before $1):" >&2
			sed 's/^/    /' <<<"$busy" >&2
			return 0
		fi
		[ "$WAITED" -gt 0 ] || { echo "bench/aggregate: waiting for other benchmarks:"; sed 's/^/    /' <<<"$busy"; }
		sleep "$POLL"
		WAITED=$((WAITED + POLL))
	done
}

# ---- the cached database ---------------------------------------------------------
KEY=d$DAYS-p$PER_DAY-s$SEED
mkdir -p "$CACHE_DIR"
if [ -z "$SIM_END" ]; then
	newest=$(ls -t "$CACHE_DIR/$KEY"-e*.db 2>/dev/null | head -1 || true)
	if [ -n "$newest" ] && [ "$REBUILD_CACHE" != 1 ]; then
		e=${newest##*-e}; e=${e%.db}	# 20261125T160000Z
		SIM_END=${e:0:4}-${e:4:2}-${e:6:2}T${e:9:2}:${e:11:2}:${e:13:2}Z
	else
		SIM_END=$(date -u -d "@$(TZ=$ZONE date -d 'today 00:00' +%s)" +%Y-%m-%dT%H:%M:%SZ)
	fi
fi
END_S=$(date -u -d "$SIM_END" +%s) || die "SIM_END=$SIM_END is not a time"
SIM_END=$(date -u -d "@$END_S" +%Y-%m-%dT%H:%M:%SZ)
NOW=$(date -u -d "@$((END_S - 1))" +%Y-%m-%dT%H:%M:%SZ)
[ "$END_S" -le "$(date +%s)" ] || die "SIM_END=$SIM_END is in the future: ingest would reject it"
CACHED=$CACHE_DIR/$KEY-e$(date -u -d "@$END_S" +%Y%m%dT%H%M%SZ).db

conf() {	# conf DB -> config for DB in ZONE
	printf '{"database": "%s", "timezone": "%s"}\n' "$1" "$ZONE" >"$1.json"
	echo "$1.json"
}

echo "== apimon aggregate benchmark =="
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ); $(uname -sr); sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
echo "data:    apimon-simulate --days $DAYS --per-day $PER_DAY --seed $SEED --end $SIM_END (zone $ZONE)"
echo "now:     $NOW (--now of every aggregate run: the last second of the last day)"
echo "db dir:  $TMP ($(df -T "$TMP" | awk 'NR==2{print $2}'))"

wait_idle "building the database"
if [ "$REBUILD_CACHE" = 1 ] || [ ! -s "$CACHED" ]; then
	PARTIAL=$CACHE_DIR/.building-$KEY-$$.db
	c=$(conf "$PARTIAL")
	echo "building $CACHED ..."
	t0=$(now_ns)
	timeout --foreground "$TIMEOUT" "$SIMULATE" --days "$DAYS" --per-day "$PER_DAY" \
		--seed "$SEED" --end "$SIM_END" \
		| timeout --foreground "$TIMEOUT" "$INGEST" --config "$c" --import - \
		>"$TMP/build.out" 2>"$TMP/build.err" \
		|| { head -5 "$TMP/build.out" "$TMP/build.err" >&2; die "building the database failed"; }
	t1=$(now_ns)
	sqlite3 "$PARTIAL" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	echo "  $(head -1 "$TMP/build.out") in $(secs "$t0" "$t1") s"
	rm -f "$c" "$PARTIAL-wal" "$PARTIAL-shm"
	mv "$PARTIAL" "$CACHED"
	PARTIAL=
else
	echo "database: cached $CACHED"
fi

# ---- one run on a fresh copy -------------------------------------------------------
DB=$TMP/apimon.db
C=$(conf "$DB")
need=$(du -k "$CACHED" | cut -f1)
free=$(df -k --output=avail "$TMP" | tail -1)
[ "$free" -gt $((need * 2)) ] || die "not enough space in $TMP: need $((need * 2)) KiB, have $free"

# measure NAME CMD... -> runs CMD under /usr/bin/time -v; appends its wall
# seconds, peak RSS (MiB) and CPU seconds (user + sys) to W_, R_, U_<NAME>.
measure() {
	local name=$1 t0 t1 rc rss cpu w load
	shift
	wait_idle "$name"
	load=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(now_ns)
	set +e
	timeout --foreground "$TIMEOUT" /usr/bin/time -v -o "$TMP/$name.time" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	set -e
	t1=$(now_ns)
	w=$(secs "$t0" "$t1")
	rss=$(awk -F': ' '/Maximum resident set size/{printf "%.1f", $2/1024}' "$TMP/$name.time")
	cpu=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{printf "%.2f", u + s}' "$TMP/$name.time")
	W[$name]+=" $w"
	R[$name]+=" ${rss:-0}"
	U[$name]+=" ${cpu:-0}"
	printf '%-14s %8s s  peak RSS %7s MiB  cpu %6s s  load %s->%s  exit %s\n' \
		"$name" "$w" "${rss:-?}" "${cpu:-?}" "$load" "$(cut -d' ' -f1 /proc/loadavg)" "$rc"
	if [ "$rc" -ne 0 ] || [ -s "$TMP/$name.err" ]; then
		head -5 "$TMP/$name.err" | sed 's/^/    stderr: /'
	fi
	[ "$rc" -eq 0 ] || die "$name failed (exit $rc)"
}
declare -A W R U MW MR MU

# The ceiling: the hourly rollup as one plain GROUP BY (sqlite3 defaults).
CEIL_SQL="SELECT strftime('%Y-%m-%dT%H:00', ts_ms/1000, 'unixepoch'), source, COALESCE(model,''),
	COUNT(*), SUM(status='success'), SUM(latency_us), SUM(tokens), SUM(cost_nusd),
	COUNT(DISTINCT user_id) FROM api_requests GROUP BY 1,2,3"
# The floor: read every column apimon reads, in ts_ms order, and nothing else.
SCAN_SQL="SELECT COUNT(*), MAX(ts_ms), SUM(length(source)), SUM(length(model)),
	SUM(length(status)), SUM(length(user_id)), SUM(latency_us), SUM(ttft_us), SUM(tokens),
	SUM(input_tokens), SUM(output_tokens), SUM(cost_nusd), SUM(length(cost_source))
	FROM api_requests INDEXED BY api_requests_ts WHERE ts_ms >= 0"
ROLLUP_SQL="SELECT hour, source, model, requests, successes, latency_sum_us, tokens,
	cost_nusd, users FROM hourly_stats"
# Everything both rollup tables hold, in one stable order.
TABLES_SQL="SELECT 'h', hour, source, model, requests, successes, failures, errors,
	timeouts, rate_limited, latency_sum_us, hex(latency_hist), ttft_count, ttft_sum_us,
	tokens, input_tokens, output_tokens, cost_nusd, unpriced, users
	FROM hourly_stats ORDER BY hour, source, model;
	SELECT 'd', day, source, model, requests, successes, failures, errors,
	timeouts, rate_limited, latency_sum_us, hex(latency_hist), ttft_count, ttft_sum_us,
	tokens, input_tokens, output_tokens, cost_nusd, unpriced, users
	FROM daily_stats ORDER BY day, source, model;"
SAME=yes
IDENT=yes

run_once() {
	local t0 t1 ngroups span
	rm -f "$DB" "$DB-wal" "$DB-shm"
	cp "$CACHED" "$DB"
	ROWS=$(sqlite3 "$DB" 'SELECT count(*) FROM api_requests;')
	if [ "$r" -eq 1 ]; then
		span=$(sqlite3 "$DB" "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', min(ts_ms)/1000, 'unixepoch')
			|| ' to ' || strftime('%Y-%m-%dT%H:%M:%SZ', max(ts_ms)/1000, 'unixepoch')
			FROM api_requests;")
		echo "database: $ROWS rows, $span, $(du -m "$DB" | cut -f1) MiB"
	fi
	cat "$DB" >/dev/null	# every step starts with the database in the page cache

	measure rebuild_first "$AGGREGATE" --config "$C" --rebuild --now "$NOW"
	echo "    $(head -1 "$TMP/rebuild_first.out")"

	measure sql_group_by sqlite3 -bail -list "$DB" "$CEIL_SQL;"
	ngroups=$(wc -l <"$TMP/sql_group_by.out")
	sqlite3 -list "$DB" "$ROLLUP_SQL;" | sort >"$TMP/rollup.txt"
	sort "$TMP/sql_group_by.out" >"$TMP/ceiling.txt"
	if cmp -s "$TMP/ceiling.txt" "$TMP/rollup.txt"; then
		echo "    $ngroups groups; hourly_stats equals the GROUP BY (requests, successes, latency, tokens, cost, users)"
	else
		SAME=NO
		echo "    MISMATCH: hourly_stats ($(wc -l <"$TMP/rollup.txt") rows) differs from the GROUP BY ($ngroups rows):"
		{ diff "$TMP/ceiling.txt" "$TMP/rollup.txt" || true; } | head -6 | sed 's/^/      /'
	fi

	measure scan sqlite3 -bail -list "$DB" "$SCAN_SQL;"

	wait_idle "importing the new records"
	t0=$(now_ns)
	"$SIMULATE" --days 1 --per-day "$NEW" --seed "$NEW_SEED" --end "$SIM_END" \
		| "$INGEST" --config "$C" --import - >"$TMP/new.out" 2>"$TMP/new.err" \
		|| { cat "$TMP/new.err" >&2; die "importing the new records failed"; }
	t1=$(now_ns)
	NEW_ROWS=$(($(sqlite3 "$DB" 'SELECT count(*) FROM api_requests;') - ROWS))
	echo "import of $NEW_ROWS new records: $(head -1 "$TMP/new.out") in $(secs "$t0" "$t1") s (not timed)"
	measure incremental "$AGGREGATE" --config "$C" --now "$NOW"
	echo "    $(head -1 "$TMP/incremental.out")"
	sqlite3 -list "$DB" "$TABLES_SQL" | sha256sum >"$TMP/after-incremental.sum"

	measure rebuild_again "$AGGREGATE" --config "$C" --rebuild --now "$NOW"
	echo "    $(head -1 "$TMP/rebuild_again.out")"
	sqlite3 -list "$DB" "$TABLES_SQL" | sha256sum >"$TMP/after-rebuild.sum"
	if cmp -s "$TMP/after-incremental.sum" "$TMP/after-rebuild.sum"; then
		echo "    hourly_stats and daily_stats after --rebuild = after the incremental run"
	else
		IDENT=NO
		echo "    MISMATCH: hourly_stats or daily_stats differ after --rebuild from after the incremental run"
	fi
}

for ((r = 1; r <= REPEAT; r++)); do
	echo
	echo "-- run $r of $REPEAT (fresh copy of the database) --"
	run_once
done

# ---- summary ------------------------------------------------------------------------
median() {	# median "v1 v2 ..." -> the median
	tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR] = $1}
		END {if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }
pass() { awk -v v="$1" -v lim="$2" 'BEGIN{print (v <= lim) ? "PASS" : "FAIL"}'; }
for k in rebuild_first sql_group_by scan incremental rebuild_again; do
	MW[$k]=$(median "${W[$k]}")
	MR[$k]=$(median "${R[$k]}")
	MU[$k]=$(median "${U[$k]}")
done
row() {	# row LABEL KEY
	printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "${MW[$2]}" "${MU[$2]}" "${MR[$2]}" \
		"$(ratio "${MW[$2]}" "${MW[sql_group_by]}")" "$(ratio "${MW[$2]}" "${MW[scan]}")"
}
PEAK=$(tr ' ' '\n' <<<"${R[rebuild_first]} ${R[incremental]} ${R[rebuild_again]}" | grep . | sort -g | tail -1)
SLOW=$(printf '%s\n' "${MW[rebuild_first]}" "${MW[rebuild_again]}" | sort -g | tail -1)
echo
[ "$REPEAT" -eq 1 ] && what="one run" || what="medians of $REPEAT runs"
echo "summary ($what; $ROWS rows over $DAYS days, then +$NEW_ROWS; zone $ZONE):"
echo "| step | wall s | cpu s | peak RSS MiB | / GROUP BY | / scan |"
echo "|---|---:|---:|---:|---:|---:|"
row "(a) apimon-aggregate --rebuild, first" rebuild_first
row "(b) apimon-aggregate, incremental +$NEW_ROWS rows" incremental
row "(c) apimon-aggregate --rebuild, again" rebuild_again
row "ceiling: sqlite3 GROUP BY, hourly only" sql_group_by
row "floor: sqlite3 scan of the same columns" scan
echo "apimon --rebuild / SQL GROUP BY: $(ratio "${MW[rebuild_first]}" "${MW[sql_group_by]}") (first), $(ratio "${MW[rebuild_again]}" "${MW[sql_group_by]}") (again)"
echo "checks: hourly_stats = GROUP BY: $SAME; --rebuild = incremental: $IDENT"
echo "goals: incremental <= 0.1 s: $(pass "${MW[incremental]}" 0.1) (${MW[incremental]} s);" \
	"rebuild <= 6 s: $(pass "$SLOW" 6) ($SLOW s; cpu ${MU[rebuild_first]} s on $(nproc) cores);" \
	"peak RSS < 100 MiB: $(pass "$PEAK" 100) ($PEAK MiB)"
[ -z "$WAIT_NOTE" ] || echo "NOTE: $WAIT_NOTE"
[ "$WAITED" -eq 0 ] || echo "waited $WAITED s for other benchmarks"
