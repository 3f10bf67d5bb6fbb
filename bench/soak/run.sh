#!/usr/bin/env bash
# bench/soak/run.sh — apimon-ingest steady for hours: MINUTES of one-record
# POSTs through nginx at half the single-record rate measured first (or
# RATE), with apimon-cron (aggregate, then render) every minute, as in
# production.  Minute by minute it reports the answers (non-2xx must be 0),
# latency p50/p99/max (must stay flat), the worker's RSS (flat) and the WAL
# file's size (bounded); at the end it checks that every request answered
# 2xx is stored exactly once.
#
# Load: bench/soak/load.c, open loop (requests leave on schedule whatever the
# answers take; latency counts from the scheduled time), CONNS keep-alive
# connections, unique request ids soak-TAG-CONN-N; it writes the id of every
# 2xx answer to a file the check reads.
#
# Environment (defaults): MINUTES=30  RATE=<half the rate wrk measures in
#   MEASURE_S=10 s at 64 connections>  CONNS=8  SYNC=normal  WORKERS=1
#   FCGI_THREADS=16  CRON_S=60  EXPLORER_DAYS=7  KEEP=0  APIMON_BIN=<repo>/bin
#   TMPDIR
# EXPLORER_DAYS is site.explorer_days (7, the default config's): each cron
# run adds the minute's requests to the request explorer's files and
# exports (about 650 bytes a request: at 8,000 requests a second, some 300
# MB a minute and 9 GB in 30 minutes, in TMPDIR); 0 turns it off.
# Exit status: 0 when it ran and every check passed, 1 otherwise (a soak's
# checks are correctness, not speed: non-2xx, lost or doubled records).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

MINUTES=${MINUTES:-30}
RATE=${RATE:-}
MEASURE_S=${MEASURE_S:-10}
CONNS=${CONNS:-8}
SYNC=${SYNC:-normal}
WORKERS=${WORKERS:-1}
FCGI_THREADS=${FCGI_THREADS:-16}
CRON_S=${CRON_S:-60}
EXPLORER_DAYS=${EXPLORER_DAYS:-7}
KEEP=${KEEP:-0}
BIN=${APIMON_BIN:-$ROOT/bin}

die() { echo "bench/soak: $*" >&2; exit 1; }

for tool in nginx spawn-fcgi wrk sqlite3 curl cc ss timeout; do
	command -v "$tool" >/dev/null 2>&1 || die "missing tool: $tool (make deps-test)"
done
for p in apimon-ingest apimon-cron apimon-aggregate apimon-render; do
	[ -x "$BIN/$p" ] || die "$BIN/$p not built (run make)"
done
case $MINUTES$CONNS$MEASURE_S$WORKERS$FCGI_THREADS$CRON_S$EXPLORER_DAYS in *[!0-9]*) die "MINUTES, CONNS, MEASURE_S, WORKERS, FCGI_THREADS, CRON_S, EXPLORER_DAYS must be integers" ;; esac
[ "$MINUTES" -ge 1 ] || die "MINUTES must be >= 1"
case $SYNC in off|normal|full) ;; *) die "SYNC must be off, normal or full" ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/apimon-bench-soak.XXXXXX")
STARTED=""
stop_pids() {     # TERM, wait (bounded), then KILL what is left
	local p _ alive
	[ $# -gt 0 ] || return 0
	for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
	for _ in $(seq 1 100); do
		alive=""
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in $alive; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	# shellcheck disable=SC2086
	stop_pids $STARTED
	if [ "$KEEP" = 1 ]; then echo "bench/soak: kept $TMP" >&2; else rm -rf "$TMP"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pick_port() {     # sets PORT: a free loopback port below the ephemeral range
	local _ p
	for _ in $(seq 1 500); do
		p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
		if [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then PORT=$p; return 0; fi
	done
	die "no free port"
}
pick_port; HTTP_PORT=$PORT
pick_port; API_PORT=$PORT
[ "$HTTP_PORT" != "$API_PORT" ] || die "port clash, run again"

cc -std=c17 -O2 -Wall -Wextra -Werror -pthread -o "$TMP/load" "$HERE/load.c"

DB=$TMP/apimon.db
CONF=$TMP/apimon.json
printf '{"database": "%s", "site_dir": "%s", "ingest": {"synchronous": "%s"}, "site": {"explorer_days": %s}}\n' \
	"$DB" "$TMP/site" "$SYNC" "$EXPLORER_DAYS" >"$CONF"

mkdir -p "$TMP/nginx"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat >"$TMP/nginx/nginx.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
    map \$status \$non2xx { ~^2 0; default 1; }
    log_format st '\$status \$uri \$upstream_status \$request_time';
    access_log $TMP/nginx/non2xx.log st if=\$non2xx;
    client_body_temp_path $TMP/nginx/client_body;
    proxy_temp_path       $TMP/nginx/proxy;
    fastcgi_temp_path     $TMP/nginx/fastcgi;
    uwsgi_temp_path       $TMP/nginx/uwsgi;
    scgi_temp_path        $TMP/nginx/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 3600s;
    upstream apimon { server 127.0.0.1:$API_PORT; }
    server {
        listen 127.0.0.1:$HTTP_PORT backlog=4096;
        location /api/ {
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param CONTENT_TYPE   \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param REQUEST_URI    \$request_uri;
            fastcgi_pass apimon;
        }
    }
}
EOF
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" &
STARTED="$STARTED $!"

printf '#!/bin/sh\nexec "$@" 2>>%s/apimon.stderr\n' "$TMP" >"$TMP/wrap.sh"
chmod +x "$TMP/wrap.sh"
spawn-fcgi -a 127.0.0.1 -p "$API_PORT" -F "$WORKERS" -P "$TMP/apimon.pids" -- \
	"$TMP/wrap.sh" "$BIN/apimon-ingest" --config "$CONF" --threads "$FCGI_THREADS" \
	>"$TMP/spawn.out" 2>&1 || { cat "$TMP/spawn.out" >&2; die "spawn-fcgi failed"; }
API_PIDS=$(tr '\n' ' ' <"$TMP/apimon.pids")
STARTED="$STARTED $API_PIDS"

BASE=http://127.0.0.1:$HTTP_PORT
for _ in $(seq 1 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/health" || true)" = 200 ] && break
	sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/health" || true)" = 200 ] \
	|| die "apimon-ingest never answered /api/health"

echo "== apimon soak benchmark =="
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "$RATE" ]; then
	timeout --foreground $((MEASURE_S + 60)) wrk -t2 -c64 -d"${MEASURE_S}s" --timeout 2s \
		-s "$ROOT/bench/ingest/post.lua" "$BASE/api/log-request" -- "soak-measure-$$" \
		>"$TMP/measure.txt" 2>&1 || { cat "$TMP/measure.txt" >&2; die "wrk failed"; }
	line=$(grep '^BENCHLINE ' "$TMP/measure.txt") || die "no BENCHLINE from wrk"
	M_RPS=$(awk -v l="$line" 'BEGIN{split(l, a, " "); for (i in a) {split(a[i], kv, "="); v[kv[1]] = kv[2]}
		printf "%.0f", v["requests"] / (v["duration_us"] / 1e6)}')
	RATE=$((M_RPS / 2))
	echo "rate:    $RATE requests/s (half of $M_RPS, measured with wrk -c64 for ${MEASURE_S} s)"
else
	echo "rate:    $RATE requests/s (given)"
fi
echo "load:    bench/soak/load.c, $CONNS connections, open loop, $MINUTES min; apimon-cron every $CRON_S s;"
echo "         spawn-fcgi -F $WORKERS, --threads $FCGI_THREADS; synchronous=$SYNC; explorer_days=$EXPLORER_DAYS; db $DB"
echo

# The cron job, every CRON_S seconds: its exit status and time, by minute.
(
	start=$(date +%s)
	while :; do
		t0=$(date +%s%N)
		rc=0
		APIMON_BIN=$BIN timeout 600 "$BIN/apimon-cron" --config "$CONF" \
			>>"$TMP/cron.out" 2>>"$TMP/cron.err" || rc=$?
		t1=$(date +%s%N)
		echo "$(( ($(date +%s) - start) / 60 + 1 )) $rc $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1e9}')" >>"$TMP/cron.log"
		# The run under way finishes: a killed one would hold the lock
		# that the final run below needs.
		for _ in $(seq 1 "$CRON_S"); do
			[ -e "$TMP/cron.stop" ] && exit 0
			sleep 1
		done
	done
) &
CRON_PID=$!
STARTED="$STARTED $CRON_PID"

TAG=$$
"$TMP/load" "$HTTP_PORT" "$RATE" $((MINUTES * 60)) "$CONNS" "$TAG" "$TMP/acked.txt" \
	>"$TMP/minutes.txt" 2>"$TMP/load.err" &
LOAD_PID=$!
STARTED="$STARTED $LOAD_PID"

rss() {           # the workers' resident memory, MiB
	local p t=0 v
	for p in $API_PIDS; do
		v=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
		t=$((t + ${v:-0}))
	done
	awk -v k="$t" 'BEGIN{printf "%.1f", k/1024}'
}
walsize() { awk -v b="$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)" 'BEGIN{printf "%.1f", b/1048576}'; }

printf '| %3s | %7s | %7s | %7s | %6s | %7s | %7s | %8s | %8s | %7s | %s\n' \
	min sent 2xx non-2xx errors p50_ms p99_ms max_ms "RSS MiB" "WAL MiB" cron
shown=0 FAIL=0
while :; do
	alive=0
	kill -0 "$LOAD_PID" 2>/dev/null && alive=1
	while [ "$(cat "$TMP/minutes.txt" 2>/dev/null | grep -c '^MINUTE ')" -gt "$shown" ]; do
		shown=$((shown + 1))
		line=$(grep '^MINUTE ' "$TMP/minutes.txt" | sed -n "${shown}p")
		kv() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$line"; }
		cron=$(awk -v m="$shown" '$1 == m {printf "%s%s:%ss", (n++ ? "," : ""), $2 == 0 ? "ok" : "exit " $2, $3}' "$TMP/cron.log" 2>/dev/null || true)
		r=$(rss) w=$(walsize)
		printf '| %3s | %7s | %7s | %7s | %6s | %7s | %7s | %8s | %8s | %7s | %s\n' "$shown" \
			"$(kv sent)" "$(kv ok)" "$(kv non2xx)" "$(kv errors)" \
			"$(awk -v u="$(kv p50_us)" 'BEGIN{printf "%.2f", u/1000}')" \
			"$(awk -v u="$(kv p99_us)" 'BEGIN{printf "%.2f", u/1000}')" \
			"$(awk -v u="$(kv max_us)" 'BEGIN{printf "%.1f", u/1000}')" "$r" "$w" "${cron:--}"
		echo "$shown $(kv sent) $(kv ok) $(kv non2xx) $(kv errors) $(kv p99_us) $r $w" >>"$TMP/table.txt"
	done
	[ "$alive" = 1 ] || break
	sleep 2
done
wait "$LOAD_PID" || FAIL=1
sleep 2       # answers in flight
touch "$TMP/cron.stop"
wait "$CRON_PID" || true
APIMON_BIN=$BIN "$BIN/apimon-cron" --config "$CONF" >>"$TMP/cron.out" 2>>"$TMP/cron.err" \
	|| { echo "final apimon-cron failed:"; tail -5 "$TMP/cron.err"; FAIL=1; }

# ---- the checks ---------------------------------------------------------------
sort -u "$TMP/acked.txt" >"$TMP/acked.sorted"
sqlite3 "$DB" "SELECT request_id FROM api_requests WHERE request_id LIKE 'soak-$TAG-%';" \
	| sort >"$TMP/stored.sorted"
ACKED=$(wc -l <"$TMP/acked.sorted")
ACKED_LINES=$(wc -l <"$TMP/acked.txt")
STORED=$(wc -l <"$TMP/stored.sorted")
MISSING=$(comm -23 "$TMP/acked.sorted" "$TMP/stored.sorted" | wc -l)
DOUBLE=$(sqlite3 "$DB" "SELECT COUNT(*) - COUNT(DISTINCT request_id) FROM api_requests WHERE request_id LIKE 'soak-$TAG-%';")
ROLLED=$(sqlite3 "$DB" "SELECT COALESCE(SUM(requests), 0) FROM daily_stats")
INTEGRITY=$(sqlite3 "$DB" "PRAGMA integrity_check" | head -5)
ALLROWS=$(sqlite3 "$DB" "SELECT COUNT(*) FROM api_requests")
read -r SENT OK NON ERR <<<"$(awk '{s+=$2; o+=$3; n+=$4; e+=$5} END{print s+0, o+0, n+0, e+0}' "$TMP/table.txt")"
P99=$(awk '{print $6/1000}' "$TMP/table.txt" | sort -g)
RSS_FIRST=$(awk 'NR==1{print $7}' "$TMP/table.txt") RSS_LAST=$(awk 'END{print $7}' "$TMP/table.txt")
WAL_MAX=$(awk '$8 > m {m = $8} END{print m+0}' "$TMP/table.txt")
CRON_RUNS=$(wc -l <"$TMP/cron.log" 2>/dev/null || echo 0)
CRON_BAD=$(awk '$2 != 0' "$TMP/cron.log" 2>/dev/null | wc -l)

echo
echo "summary (load average after: $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "  requests sent $SENT, 2xx $OK, non-2xx $NON, connection errors $ERR"
echo "  p99 per minute: min $(head -1 <<<"$P99") ms, median $(awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}' <<<"$P99") ms, max $(tail -1 <<<"$P99") ms"
echo "  worker RSS: $RSS_FIRST MiB after minute 1, $RSS_LAST MiB at the end; WAL at most $WAL_MAX MiB"
echo "  apimon-cron: $CRON_RUNS runs, $CRON_BAD failed; rolled up $ROLLED requests of $ALLROWS rows"
echo "  acknowledged ids: $ACKED ($ACKED_LINES lines); stored: $STORED; acknowledged but missing: $MISSING; stored twice: $DOUBLE"
[ "$STORED" -ge "$ACKED" ] && echo "  stored but not acknowledged: $((STORED - ACKED)) (answers lost on a connection error or in flight at the end)"
if [ -s "$TMP/apimon.stderr" ]; then
	echo "  apimon stderr ($(wc -l <"$TMP/apimon.stderr") lines), first 5:"
	head -5 "$TMP/apimon.stderr" | sed 's/^/    /'
fi
ok_non=PASS; [ "$NON" -eq 0 ] && [ "$ERR" -eq 0 ] || ok_non=FAIL
ok_lost=PASS; [ "$MISSING" -eq 0 ] && [ "$DOUBLE" -eq 0 ] && [ "$ACKED" -eq "$ACKED_LINES" ] || ok_lost=FAIL
ok_cron=PASS; [ "$CRON_BAD" -eq 0 ] || ok_cron=FAIL
# The rollups count every row once (the last run took them all).
ok_rolled=PASS; [ "$ROLLED" -eq "$ALLROWS" ] || ok_rolled=FAIL
ok_db=PASS; [ "$INTEGRITY" = ok ] || { ok_db=FAIL; echo "  integrity_check: $INTEGRITY"; }
# A sanitizer build (make test) reports to stderr: any report fails.
ok_san=PASS
if grep -l -E 'Sanitizer|runtime error:' "$TMP/apimon.stderr" "$TMP/cron.err" >/dev/null 2>&1; then
	ok_san=FAIL
	grep -h -E -A5 'Sanitizer|runtime error:' "$TMP/apimon.stderr" "$TMP/cron.err" | head -20 | sed 's/^/    /'
fi
echo "checks: zero non-2xx and connection errors $ok_non; every acknowledged id stored exactly once $ok_lost; every cron run succeeded $ok_cron; every row rolled up once $ok_rolled; integrity_check $ok_db; no sanitizer report $ok_san"
[ "$ok_non$ok_lost$ok_cron$ok_rolled$ok_db$ok_san" = PASSPASSPASSPASSPASSPASS ] || FAIL=1
exit "$FAIL"
