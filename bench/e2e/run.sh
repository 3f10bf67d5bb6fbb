#!/usr/bin/env bash
# bench/e2e/run.sh — 1,000,000 simulated requests end to end, against GoAccess
# reading the same requests as an access log.
#
#   apimon:   apimon-ingest --import (fresh database), apimon-aggregate (the
#             first run rolls up every day), apimon-render (every page): the
#             sum of their wall times, and the largest peak RSS of the three.
#   GoAccess: goaccess LOG --log-format=COMBINED -o report.html: its wall time
#             and peak RSS (Debian's goaccess; one parsing thread, its default).
#   The log: bench/e2e/combined.py writes each record as a Combined Log Format
#             line (untimed): host from the user, status from the record's
#             status, response size = tokens, user agent = source (provider).
#
# Each of REPEAT rounds runs GoAccess, then apimon, on files already in the
# page cache; the summary gives medians and the ratio GoAccess time / apimon
# time.  Goals: apimon at least 2x faster, peak RSS at or below GoAccess's.
#
# Environment (defaults): DAYS=100 PER_DAY=10000 SEED=1
#   SIM_END=<today 00:00 UTC>  REPEAT=1  ZONE=UTC  TIMEOUT=1800 (s per step)
#   KEEP=0 (1 keeps the temp dir)  APIMON_BIN=<repo>/bin  GOACCESS=goaccess
#   TMPDIR.  Exit status: 0 when it ran (read the goals line), 1 when the
# harness failed.
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

DAYS=${DAYS:-100}
PER_DAY=${PER_DAY:-10000}
SEED=${SEED:-1}
SIM_END=${SIM_END:-$(date -u +%Y-%m-%dT00:00:00Z)}
REPEAT=${REPEAT:-1}
ZONE=${ZONE:-UTC}
TIMEOUT=${TIMEOUT:-1800}
KEEP=${KEEP:-0}
BIN=${APIMON_BIN:-$ROOT/bin}
GOACCESS=${GOACCESS:-goaccess}

die() { echo "bench/e2e: $*" >&2; exit 1; }

for tool in "$GOACCESS" /usr/bin/python3 /usr/bin/time timeout; do
	command -v "$tool" >/dev/null 2>&1 || die "missing $tool (make deps-bench)"
done
for p in apimon-ingest apimon-aggregate apimon-render apimon-simulate; do
	[ -x "$BIN/$p" ] || die "$BIN/$p not built (run make)"
done
case $REPEAT in ''|*[!0-9]*|0) die "REPEAT must be an integer >= 1" ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/apimon-bench-e2e.XXXXXX")
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$KEEP" = 1 ]; then echo "bench/e2e: kept $TMP" >&2; else rm -rf "$TMP"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

NOW=$(date -u -d "$SIM_END - 1 second" +%Y-%m-%dT%H:%M:%SZ)
echo "== apimon end-to-end benchmark (against GoAccess) =="
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ); $($GOACCESS --version | head -1); sqlite3 $(sqlite3 --version | cut -d' ' -f1)"

"$BIN/apimon-simulate" --days "$DAYS" --per-day "$PER_DAY" --seed "$SEED" \
	--end "$SIM_END" >"$TMP/records.ndjson" || die "apimon-simulate failed"
/usr/bin/python3 "$HERE/combined.py" <"$TMP/records.ndjson" >"$TMP/access.log" \
	|| die "combined.py failed"
N=$(wc -l <"$TMP/records.ndjson")
[ "$(wc -l <"$TMP/access.log")" -eq "$N" ] || die "the log has not one line per record"
echo "records: $N (apimon-simulate --days $DAYS --per-day $PER_DAY --seed $SEED --end $SIM_END);" \
	"NDJSON $(du -m "$TMP/records.ndjson" | cut -f1) MiB, access log $(du -m "$TMP/access.log" | cut -f1) MiB"
echo "now:     $NOW (zone $ZONE)"
echo

# step NAME CMD...: wall seconds and peak RSS (MiB) of CMD into S_ and M_NAME
step() {
	local name=$1 rc
	shift
	set +e
	timeout --foreground "$TIMEOUT" /usr/bin/time -f '%e %M' -o "$TMP/$name.time" \
		"$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	set -e
	if [ "$rc" -ne 0 ]; then
		head -5 "$TMP/$name.err" >&2
		die "$name failed (exit $rc)"
	fi
	read -r S M <"$TMP/$name.time" || die "$name: no time"
	M=$(awk -v k="$M" 'BEGIN{printf "%.1f", k/1024}')
}

G_S="" G_M="" A_S="" A_M=""
cat "$TMP/records.ndjson" "$TMP/access.log" >/dev/null	# in the page cache
for r in $(seq 1 "$REPEAT"); do
	echo "-- round $r of $REPEAT (load $(cut -d' ' -f1 /proc/loadavg)) --"
	rm -f "$TMP/report.html"
	step goaccess "$GOACCESS" "$TMP/access.log" --log-format=COMBINED \
		--no-global-config -o "$TMP/report.html"
	[ -s "$TMP/report.html" ] || die "goaccess wrote no report"
	gs=$S gm=$M
	printf '  %-28s %8s s  peak RSS %7s MiB\n' "goaccess" "$gs" "$gm"

	rm -rf "$TMP/apimon.db"* "$TMP/site"
	# Every raw row is kept, as GoAccess keeps every line.
	printf '{"database": "%s", "timezone": "%s", "site_dir": "%s", "retention": {"raw_days": 36500}}\n' \
		"$TMP/apimon.db" "$ZONE" "$TMP/site" >"$TMP/apimon.json"
	total=0 peak=0
	for s in ingest aggregate render; do
		case $s in
		ingest) step ingest "$BIN/apimon-ingest" --config "$TMP/apimon.json" --import "$TMP/records.ndjson" ;;
		aggregate) step aggregate "$BIN/apimon-aggregate" --config "$TMP/apimon.json" --now "$NOW" ;;
		render) step render "$BIN/apimon-render" --config "$TMP/apimon.json" --now "$NOW" ;;
		esac
		printf '  %-28s %8s s  peak RSS %7s MiB  %s\n' "apimon-$s" "$S" "$M" "$(head -c 100 "$TMP/$s.out")"
		total=$(awk -v a="$total" -v b="$S" 'BEGIN{printf "%.2f", a + b}')
		peak=$(awk -v a="$peak" -v b="$M" 'BEGIN{print (b > a) ? b : a}')
	done
	rows=$(sqlite3 "$TMP/apimon.db" 'SELECT count(*) FROM api_requests')
	req=$(sqlite3 "$TMP/apimon.db" 'SELECT sum(requests) FROM daily_stats')
	[ "$rows" -eq "$N" ] && [ "$req" -eq "$N" ] \
		|| die "apimon stored $rows rows and rolled up $req requests of $N"
	[ -s "$TMP/site/index.html" ] || die "apimon-render wrote no dashboard"
	printf '  %-28s %8s s  peak RSS %7s MiB  (%s rows, all rolled up)\n' "apimon, all three" "$total" "$peak" "$rows"
	G_S="$G_S $gs" G_M="$G_M $gm" A_S="$A_S $total" A_M="$A_M $peak"
done

med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# shellcheck disable=SC2086
gs=$(med $G_S) gm=$(med $G_M) as=$(med $A_S) am=$(med $A_M)
speed=$(awk -v g="$gs" -v a="$as" 'BEGIN{printf "%.2f", (a > 0 ? g/a : 0)}')
echo
[ "$REPEAT" -le 1 ] || echo "(medians of $REPEAT rounds)"
echo "summary ($N records; load average after: $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "| | wall s | peak RSS MiB |"
echo "|---|---:|---:|"
echo "| GoAccess (access log, COMBINED) | $gs | $gm |"
echo "| apimon import + aggregate + render | $as | $am |"
echo "apimon is ${speed}x as fast as GoAccess; peak RSS $am MiB against $gm MiB"
echo "goals: >= 2x as fast $(awk -v s="$speed" 'BEGIN{print (s >= 2) ? "PASS" : "FAIL"}');" \
	"peak RSS <= GoAccess's $(awk -v a="$am" -v g="$gm" 'BEGIN{print (a <= g) ? "PASS" : "FAIL"}')"
