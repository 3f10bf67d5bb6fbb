#!/usr/bin/env bash
# bench/render/run.sh — bin/apimon-render on 90 days of rollups (~10,000,000
# simulated records, Asia/Taipei): a full render of every page into an empty
# folder, a second render with nothing new (ceiling: it writes nothing), and
# an incremental render after one minute of new traffic.  Wall time and peak
# RSS by /usr/bin/time -v; bytes written from apimon-render's summary line;
# the dashboard's weight (index.html + style.css + dashboard.js, Chart.js
# excluded).  Goals: full < 2 s, incremental < 0.3 s, dashboard < 150 KB.
#
# It reuses the database that bench/aggregate/run.sh builds and caches in
# bench/out/aggregate-cache/ (run that first; it takes 3-4 minutes once).
# Environment: KEEP=0 (1 keeps the temp dir), TMPDIR.
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE_DIR=$ROOT/bench/out/aggregate-cache
KEEP=${KEEP:-0}
die() { echo "bench/render: $*" >&2; exit 1; }

cached=$(ls -t "$CACHE_DIR"/d90-p111112-s1-e*.db 2>/dev/null | head -1 || true)
[ -n "$cached" ] || die "no cached database: run bench/aggregate/run.sh first"
for p in apimon-aggregate apimon-render apimon-ingest apimon-simulate; do
	[ -x "$ROOT/bin/$p" ] || die "bin/$p not built (run make)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time missing: apt-get install time"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/apimon-bench-render.XXXXXX")
cleanup() { [ "$KEEP" = 1 ] && echo "kept $TMP" || rm -rf "$TMP"; }
trap cleanup EXIT

e=${cached##*-e}; e=${e%.db}
END=${e:0:4}-${e:4:2}-${e:6:2}T${e:9:2}:${e:11:2}:${e:13:2}Z
NOW=$(date -u -d "$END - 1 second" +%Y-%m-%dT%H:%M:%SZ)
cp "$cached" "$TMP/apimon.db"
cat >"$TMP/apimon.json" <<JSON
{ "database": "$TMP/apimon.db", "site_dir": "$TMP/site", "timezone": "Asia/Taipei" }
JSON

echo "== apimon render benchmark =="
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ); data: $(basename "$cached"), now $NOW"
echo "rollups: apimon-aggregate --rebuild (untimed)"
"$ROOT/bin/apimon-aggregate" --config "$TMP/apimon.json" --rebuild --now "$NOW" >/dev/null

timed() {	# label command... : prints wall s, peak MiB, the command's line
	local label=$1 out
	shift
	/usr/bin/time -v -o "$TMP/time" "$@" >"$TMP/out" 2>"$TMP/err" || {
		cat "$TMP/err" >&2
		die "$label failed"
	}
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$TMP/time")
	rss=$(awk -F': ' '/Maximum resident set size/{printf "%.1f", $2/1024}' "$TMP/time")
	out=$(cat "$TMP/out")
	printf '%-26s %8.3f s  %7s MiB  %s\n' "$label" "$wall" "$rss" "$out"
}

timed "full render" "$ROOT/bin/apimon-render" --config "$TMP/apimon.json" --now "$NOW"
full=$wall; full_rss=$rss
timed "render, nothing new" "$ROOT/bin/apimon-render" --config "$TMP/apimon.json" --now "$NOW"
same=$wall
# One minute of traffic at this database's rate (~77 records), then rollups.
NOW2=$(date -u -d "$NOW" +%s)
"$ROOT/bin/apimon-simulate" --days 1 --per-day 111112 --seed 77 --end "$NOW" |
	awk -v since="$(date -u -d "@$((NOW2 - 60))" +%Y-%m-%dT%H:%M:%S)" \
	    'match($0, /"timestamp":"[^"]*"/) { t = substr($0, RSTART + 13, 19); if (t >= since) print }' |
	sed 's/"request_id":"sim-77-/"request_id":"bench-render-/' >"$TMP/minute.ndjson"
"$ROOT/bin/apimon-ingest" --config "$TMP/apimon.json" --import "$TMP/minute.ndjson" >/dev/null
"$ROOT/bin/apimon-aggregate" --config "$TMP/apimon.json" --now "$NOW" >/dev/null
timed "incremental render" "$ROOT/bin/apimon-render" --config "$TMP/apimon.json" --now "$NOW"
incr=$wall
echo "new records: $(wc -l <"$TMP/minute.ndjson")"

site=$TMP/site
page=$(( $(stat -c %s "$site/index.html") + $(stat -c %s "$site/assets/style.css") + $(stat -c %s "$site/assets/dashboard.js") ))
echo "dashboard: index.html $(stat -c %s "$site/index.html") B (data embedded), style.css $(stat -c %s "$site/assets/style.css") B, dashboard.js $(stat -c %s "$site/assets/dashboard.js") B = $page B; data/dashboard.json $(stat -c %s "$site/data/dashboard.json") B; chart.min.js $(stat -c %s "$site/assets/chart.min.js") B (excluded)"
echo "site: $(find "$site" -type f | wc -l) files, $(du -sb "$site" | cut -f1) bytes"
# The ceiling of an incremental render: one that finds nothing to write.
awk -v a="$incr" -v b="$same" 'BEGIN { printf "incremental / nothing-new render: %.2f\n", (b > 0 ? a / b : 0) }'

awk -v f="$full" -v i="$incr" -v p="$page" -v r="$full_rss" 'BEGIN {
	printf "goals: full < 2 s %s (%.3f s); incremental < 0.3 s %s (%.3f s); dashboard < 150 KB %s (%.1f KB); peak %.1f MiB\n",
	    f < 2 ? "met" : "NOT met", f, i < 0.3 ? "met" : "NOT met", i,
	    p < 150 * 1024 ? "met" : "NOT met", p / 1024, r }'
