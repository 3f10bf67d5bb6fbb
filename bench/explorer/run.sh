#!/usr/bin/env bash
# bench/explorer/run.sh — bin/apimon-render with the request explorer on 7
# days of 10,000 simulated requests a day (Asia/Taipei): a full render into
# an empty folder, a render with nothing new, and an incremental render
# after one minute of new traffic (only today's chunks change).  Wall time
# and peak RSS by /usr/bin/time -v, files and bytes from the summary line.
# References measured in the same run: the render with nothing new (the
# ceiling of an incremental one), the same full render with
# site.explorer_days 0 (the site without the explorer), and sqlite3
# writing the same rows as CSV once (what any export must at least do).
# Goals: full < 2 s, incremental < 0.5 s.
# Environment: DAYS=7 PER_DAY=10000 SEED=1 REPEAT=1 KEEP=0 TMPDIR.
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DAYS=${DAYS:-7}
PER_DAY=${PER_DAY:-10000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-1}
KEEP=${KEEP:-0}
die() { echo "bench/explorer: $*" >&2; exit 1; }

for p in apimon-aggregate apimon-render apimon-ingest apimon-simulate; do
	[ -x "$ROOT/bin/$p" ] || die "bin/$p not built (run make)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time missing: apt-get install time"
command -v sqlite3 >/dev/null || die "sqlite3 missing: apt-get install sqlite3"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/apimon-bench-explorer.XXXXXX")
cleanup() { [ "$KEEP" = 1 ] && echo "kept $TMP" || rm -rf "$TMP"; }
trap cleanup EXIT

# Local midnight in Asia/Taipei that starts today: the days are whole.
END=$(TZ=Asia/Taipei date -d "today 00:00" -u +%Y-%m-%dT%H:%M:%SZ)
NOW=$(date -u -d "$END - 1 second" +%Y-%m-%dT%H:%M:%SZ)
conf() {	# file site explorer_days
	cat >"$1" <<JSON
{ "database": "$TMP/apimon.db", "site_dir": "$2", "timezone": "Asia/Taipei",
  "site": { "explorer_days": $3 } }
JSON
}
conf "$TMP/apimon.json" "$TMP/site" 7
conf "$TMP/off.json" "$TMP/site-off" 0

echo "== apimon explorer render benchmark =="
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ); data: $DAYS days x $PER_DAY requests (seed $SEED), now $NOW"
"$ROOT/bin/apimon-simulate" --days "$DAYS" --per-day "$PER_DAY" --seed "$SEED" --end "$END" >"$TMP/sim.ndjson"
"$ROOT/bin/apimon-ingest" --config "$TMP/apimon.json" --import "$TMP/sim.ndjson" >/dev/null
"$ROOT/bin/apimon-aggregate" --config "$TMP/apimon.json" --now "$NOW" >/dev/null
rows=$(sqlite3 "$TMP/apimon.db" "SELECT COUNT(*) FROM api_requests")
echo "rows:    $rows"

timed() {	# label command... : sets wall, rss; prints a line
	local label=$1 out
	shift
	/usr/bin/time -v -o "$TMP/time" "$@" >"$TMP/out" 2>"$TMP/err" || {
		cat "$TMP/err" >&2
		die "$label failed"
	}
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$TMP/time")
	rss=$(awk -F': ' '/Maximum resident set size/{printf "%.1f", $2/1024}' "$TMP/time")
	out=$(sed 's/^apimon-render: [^:]*: //' "$TMP/out")
	printf '%-30s %8.3f s  %7s MiB  %s\n' "$label" "$wall" "$rss" "$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$TMP/full"; : >"$TMP/same"; : >"$TMP/incr"; : >"$TMP/off"; : >"$TMP/csv"
for i in $(seq 1 "$REPEAT"); do
	rm -rf "$TMP/site" "$TMP/site-off"
	timed "full render" "$ROOT/bin/apimon-render" --config "$TMP/apimon.json" --now "$NOW"
	echo "$wall" >>"$TMP/full"; full_rss=$rss
	timed "render, nothing new" "$ROOT/bin/apimon-render" --config "$TMP/apimon.json" --now "$NOW"
	echo "$wall" >>"$TMP/same"
	# One minute of traffic at the end of today (the last day), then rollups.
	"$ROOT/bin/apimon-simulate" --days 1 --per-day "$PER_DAY" --seed $((100 + i)) --end "$NOW" |
		awk -v since="$(date -u -d "$NOW - 60 seconds" +%Y-%m-%dT%H:%M:%S)" \
		    'match($0, /"timestamp":"[^"]*"/) { t = substr($0, RSTART + 13, 19); if (t >= since) print }' |
		sed "s/\"request_id\":\"sim-$((100 + i))-/\"request_id\":\"bench-$i-/" >"$TMP/minute.ndjson"
	"$ROOT/bin/apimon-ingest" --config "$TMP/apimon.json" --import "$TMP/minute.ndjson" >/dev/null
	"$ROOT/bin/apimon-aggregate" --config "$TMP/apimon.json" --now "$NOW" >/dev/null
	timed "incremental render" "$ROOT/bin/apimon-render" --config "$TMP/apimon.json" --now "$NOW"
	echo "$wall" >>"$TMP/incr"
	echo "new records: $(wc -l <"$TMP/minute.ndjson")"
	timed "full render, explorer off" "$ROOT/bin/apimon-render" --config "$TMP/off.json" --now "$NOW"
	echo "$wall" >>"$TMP/off"
	from=$(TZ=Asia/Taipei date -d "$END - $DAYS days" +%s)000
	timed "sqlite3 -csv of the rows" sh -c "sqlite3 -csv -header '$TMP/apimon.db' \
	    \"SELECT * FROM api_requests WHERE ts_ms >= $from ORDER BY ts_ms, id\" >'$TMP/rows.csv'"
	echo "$wall" >>"$TMP/csv"
done

full=$(median <"$TMP/full"); same=$(median <"$TMP/same"); incr=$(median <"$TMP/incr")
off=$(median <"$TMP/off"); csv=$(median <"$TMP/csv")
x=$TMP/site/data/requests
echo "explorer: $(find "$x" -type f | wc -l) files, $(du -sb "$x" | cut -f1) bytes; chunks $(find "$x" -name '[0-9]*.json' | wc -l), largest $(find "$x" -name '[0-9]*.json' -printf '%s\n' | sort -n | tail -1) B; exports $(find "$x" -name 'requests.*' -printf '%s\n' | awk '{s+=$1} END {print s}') B"
awk -v f="$full" -v s="$same" -v i="$incr" -v o="$off" -v c="$csv" 'BEGIN {
	printf "ratios: incremental / nothing new %.2f; full / full without the explorer %.2f; full / sqlite3 -csv %.2f\n",
	    (s > 0 ? i / s : 0), (o > 0 ? f / o : 0), (c > 0 ? f / c : 0) }'
awk -v f="$full" -v i="$incr" -v r="$full_rss" -v n="$REPEAT" 'BEGIN {
	printf "goals (median of %d): full < 2 s %s (%.3f s); incremental < 0.5 s %s (%.3f s); peak %.1f MiB\n",
	    n, f < 2 ? "met" : "NOT met", f, i < 0.5 ? "met" : "NOT met", i, r }'
