#!/usr/bin/env bash
# bench/import/run.sh — bulk import throughput of `bin/apimon-ingest --import`
# against a bare C loop (bench/import/bare.c) that inserts the same rows into
# the same schema with one prepared statement, 10,000 rows per transaction.
#
#   apimon: wall time of `apimon-ingest --config CONF --import FILE` (process
#           start, read, parse, validate, insert, commit) into a fresh database.
#   bare:   bind + step + commit only; the rows are parsed into memory first,
#           untimed.  Schema from `apimon-ingest --config CONF --import /dev/null`.
#
# Environment (defaults): DAYS=100 PER_DAY=10000 SEED=1 (~1,000,000 records)
#   SIM_END=<today 00:00 UTC> (--end: the same records all day, never future)
#   SYNC=normal  BATCH=10000  CACHE_KIB=16384 (bare's page cache; apimon's
#   --import sets the same)  NDJSON=<existing file: skip generation>
#   REPEAT=1 (interleaved runs of each; medians)  APIMON_REF=<an older
#   apimon-ingest, run interleaved with this one: before/after>
#   TIMEOUT=1800 (seconds, per step)  KEEP=0 (1 keeps the temp dir)
#   APIMON_INGEST=<repo>/bin/apimon-ingest  APIMON_SIMULATE=<repo>/bin/apimon-simulate
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

DAYS=${DAYS:-100}
PER_DAY=${PER_DAY:-10000}
SEED=${SEED:-1}
SIM_END=${SIM_END:-$(date -u +%Y-%m-%dT00:00:00Z)}
SYNC=${SYNC:-normal}
BATCH=${BATCH:-10000}
CACHE_KIB=${CACHE_KIB:-16384}
REPEAT=${REPEAT:-1}
REF=${APIMON_REF:-}
NDJSON=${NDJSON:-}
TIMEOUT=${TIMEOUT:-1800}
KEEP=${KEEP:-0}
INGEST=${APIMON_INGEST:-$ROOT/bin/apimon-ingest}
SIMULATE=${APIMON_SIMULATE:-$ROOT/bin/apimon-simulate}

die() { echo "bench/import: $*" >&2; exit 1; }

for tool in cc pkg-config sqlite3 timeout; do
	command -v "$tool" >/dev/null 2>&1 || die "missing tool: $tool (make deps)"
done
[ -x "$INGEST" ] || die "$INGEST not built (run make)"
[ -z "$REF" ] || [ -x "$REF" ] || die "APIMON_REF=$REF is not executable"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (make deps-test)"
case $REPEAT in ''|*[!0-9]*|0) die "REPEAT must be an integer >= 1" ;; esac
case $SYNC in off|normal|full) ;; *) die "SYNC must be off, normal or full" ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/apimon-bench-import.XXXXXX")
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$KEEP" = 1 ]; then echo "bench/import: kept $TMP" >&2; else rm -rf "$TMP"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (b-a)/1e9}'; }

# shellcheck disable=SC2046 # pkg-config output is meant to be split
cc -std=c17 -O2 -Wall -Wextra -Werror $(pkg-config --cflags sqlite3 libcjson) \
	-o "$TMP/bare" "$HERE/bare.c" $(pkg-config --libs sqlite3 libcjson) -lm

echo "== apimon import benchmark =="
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "db dir:  $TMP ($(df -T "$TMP" | awk 'NR==2{print $2}')), synchronous=$SYNC"

# ---- the records --------------------------------------------------------------
if [ -n "$NDJSON" ]; then
	[ -r "$NDJSON" ] || die "cannot read NDJSON=$NDJSON"
	FILE=$NDJSON
	echo "records: $FILE (given)"
else
	[ -x "$SIMULATE" ] || die "$SIMULATE not built (run make), or pass NDJSON=FILE"
	FILE=$TMP/records.ndjson
	t0=$(now_ns)
	timeout --foreground "$TIMEOUT" "$SIMULATE" --days "$DAYS" --per-day "$PER_DAY" --seed "$SEED" \
		--end "$SIM_END" >"$FILE" \
		|| die "apimon-simulate failed"
	t1=$(now_ns)
	echo "records: apimon-simulate --days $DAYS --per-day $PER_DAY --seed $SEED --end $SIM_END ($(secs "$t0" "$t1") s)"
fi
LINES=$(grep -c . "$FILE" || true)
echo "         $LINES records, $(du -m "$FILE" | cut -f1) MiB"
cat "$FILE" >/dev/null   # both runs start with the file in the page cache
echo

conf() {  # conf NAME -> path of a config for a fresh database NAME.db
	rm -f "$TMP/$1.db" "$TMP/$1.db-wal" "$TMP/$1.db-shm"
	printf '{"database": "%s", "ingest": {"synchronous": "%s"}}\n' "$TMP/$1.db" "$SYNC" >"$TMP/$1.json"
	echo "$TMP/$1.json"
}

# ---- the runs, interleaved: apimon [, ref], bare ------------------------------
A_ALL="" R_ALL="" B_ALL="" A_RSS="" R_RSS=""
for r in $(seq 1 "$REPEAT"); do
	for who in apimon ref; do
		bin=$INGEST
		if [ "$who" = ref ]; then [ -n "$REF" ] || continue; bin=$REF; fi
		t0=$(now_ns)
		c=$(conf "$who")
		set +e
		timeout --foreground "$TIMEOUT" /usr/bin/time -f '%M' -o "$TMP/$who.time" \
			"$bin" --config "$c" --import "$FILE" >"$TMP/$who.out" 2>"$TMP/$who.err"
		rc=$?
		set -e
		t1=$(now_ns)
		S=$(secs "$t0" "$t1")
		ROWS=$(sqlite3 "$TMP/$who.db" 'SELECT count(*) FROM api_requests;' 2>/dev/null || echo 0)
		RSS=$(awk 'END{printf "%.1f", $1/1024}' "$TMP/$who.time")
		RPS=$(awk -v r="$ROWS" -v s="$S" 'BEGIN{printf "%.0f", (s > 0 ? r/s : 0)}')
		echo "$who run $r: exit $rc, $S s, $ROWS rows stored: $RPS rows/s, peak RSS $RSS MiB"
		echo "  stdout: $(head -1 "$TMP/$who.out")"
		if grep -qv '^Command exited' "$TMP/$who.err" 2>/dev/null; then
			echo "  stderr, first 5 lines:"
			grep -v '^Command exited' "$TMP/$who.err" | head -5 | sed 's/^/    /'
		fi
		[ "$rc" -eq 0 ] || echo "  WARNING: $bin --import exited $rc"
		if [ "$who" = apimon ]; then A_ALL="$A_ALL $RPS"; A_RSS="$A_RSS $RSS"; A_ROWS=$ROWS
		else R_ALL="$R_ALL $RPS"; R_RSS="$R_RSS $RSS"; fi
	done
	c=$(conf bare)
	"$INGEST" --config "$c" --import /dev/null >"$TMP/schema.out" 2>&1 \
		|| { cat "$TMP/schema.out" >&2; die "creating the schema with --import /dev/null failed"; }
	timeout --foreground "$TIMEOUT" "$TMP/bare" --db "$TMP/bare.db" --ndjson "$FILE" --synchronous "$SYNC" \
		--batch "$BATCH" --cache-kib "$CACHE_KIB" >"$TMP/bare.out" || { cat "$TMP/bare.out"; die "bare loop failed"; }
	grep -v '^BARELINE ' "$TMP/bare.out" | sed "s/^bare:/bare run $r:/"
	line=$(grep '^BARELINE ' "$TMP/bare.out")
	kv() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
	B_ALL="$B_ALL $(kv rows_per_s)"
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{ if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
# shellcheck disable=SC2086
A_RPS=$(med $A_ALL); B_RPS=$(med $B_ALL); A_MAXRSS=$(printf '%s\n' $A_RSS | sort -n | tail -1)
B_ROWS=$(sqlite3 "$TMP/bare.db" 'SELECT count(*) FROM api_requests;')
B_E2E=$(awk -v r="$(kv inserted)" -v p="$(kv parse_s)" -v i="$(kv insert_s)" 'BEGIN{printf "%.0f", ((p+i) > 0 ? r/(p+i) : 0)}')
echo "  bare rows stored: $B_ROWS; bare parse+insert together: $B_E2E rows/s (for reference)"

# Same rows?  Compare every contract column (received_ms aside) row by row.
cols="ts_ms source user_id command model provider status latency_us ttft_us input_tokens output_tokens tokens cost_nusd cost_source error metadata"
sel=""
for c in $cols; do sel="$sel${sel:+, }sum(b.$c IS NOT a.$c)"; done
diffs=$(sqlite3 "$TMP/bare.db" "ATTACH '$TMP/apimon.db' AS x;
	SELECT count(*), $sel FROM main.api_requests b JOIN x.api_requests a USING (request_id);" 2>&1 || true)
matched=${diffs%%|*}
echo "  same request_id in both databases: $matched; rows differing per column (apimon vs bare):"
i=2
line=""
for c in $cols; do
	n=$(cut -d'|' -f$i <<<"$diffs"); i=$((i + 1))
	[ "${n:-0}" = 0 ] || line="$line $c=$n"
done
echo "    ${line:- none}"

RATIO=$(awk -v a="$A_RPS" -v b="$B_RPS" 'BEGIN{ if (b > 0) printf "%.1f %%", 100*a/b; else print "n/a" }')
OK=$(awk -v a="$A_RPS" -v b="$B_RPS" 'BEGIN{print (b > 0 && a >= 0.85*b) ? "PASS" : "FAIL"}')
[ "$A_ROWS" = "$B_ROWS" ] || echo "  NOTE: apimon stored $A_ROWS rows, bare $B_ROWS"
echo
[ "$REPEAT" -le 1 ] || echo "(medians of $REPEAT interleaved runs)"
echo "summary (load average after: $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "| records | apimon rows/s | bare rows/s | apimon / bare | apimon peak RSS MiB |"
printf '| %7s | %13s | %11s | %13s | %s |\n' "$LINES" "$A_RPS" "$B_RPS" "$RATIO" "$A_MAXRSS"
if [ -n "$REF" ]; then
	# shellcheck disable=SC2086
	R_RPS=$(med $R_ALL)
	# shellcheck disable=SC2086
	echo "ref $REF: $R_RPS rows/s ($(awk -v a="$R_RPS" -v b="$B_RPS" 'BEGIN{printf "%.1f %%", 100*a/b}') of bare), peak RSS $(printf '%s\n' $R_RSS | sort -n | tail -1) MiB; apimon / ref $(awk -v a="$A_RPS" -v b="$R_RPS" 'BEGIN{printf "%.1f %%", 100*a/b}')"
fi
echo "import goal (>= 85 % of bare): $OK"
