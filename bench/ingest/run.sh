#!/usr/bin/env bash
# bench/ingest/run.sh — HTTP ingest throughput of bin/apimon-ingest behind nginx,
# against two ceilings measured in the same run on the same nginx:
#   /ceiling/204  nginx `return 204;`                 (HTTP ceiling: no FastCGI)
#   /bare/        bench/ingest/bare.c via FastCGI     (FastCGI ceiling: read body, 204)
#   /api/         bin/apimon-ingest via FastCGI       (POST /api/log-request)
#   :REF/api/     APIMON_REF via FastCGI, when set    (an older build, for before/after)
# for synchronous=normal, then synchronous=full, each with a fresh database.
# Each FastCGI target's CPU time per request (user + system, all its threads)
# is read from /proc around every wrk run: steadier than rates on a shared box.
#
# Environment (defaults):  WORKERS=1 (spawn-fcgi -F, both responders)
#   FCGI_THREADS=16 (request threads per worker, --threads, both responders;
#   4 is apimon-ingest's default)  CONNS=64  THREADS=2 (wrk)  DURATION=10s
#   LAT_CONNS=8 (an extra bare/apimon pass at low concurrency for latency;
#   0 skips it)  REPEAT=1 (interleaved runs per target; medians reported)
#   NGINX_WORKERS=1  SYNC_MODES="normal full"
#   BATCH=1 (records per POST: > 1 sends a JSON array; rates are then records/s)
#   APIMON_REF= (a second apimon-ingest measured interleaved with the first)
#   KEEP=0 (1 keeps the temp dir)
#   APIMON_INGEST=<repo>/bin/apimon-ingest  TMPDIR=/tmp
# Loopback only (127.0.0.1).  Every process it starts is stopped on exit,
# Ctrl-C included.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

WORKERS=${WORKERS:-1}
FCGI_THREADS=${FCGI_THREADS:-16}
CONNS=${CONNS:-64}
LAT_CONNS=${LAT_CONNS:-8}
REPEAT=${REPEAT:-1}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10s}
NGINX_WORKERS=${NGINX_WORKERS:-1}
SYNC_MODES=${SYNC_MODES:-"normal full"}
BATCH=${BATCH:-1}
KEEP=${KEEP:-0}
APIMON=${APIMON_INGEST:-$ROOT/bin/apimon-ingest}
REF=${APIMON_REF:-}

die() { echo "bench/ingest: $*" >&2; exit 1; }

for tool in nginx spawn-fcgi wrk sqlite3 curl cc pkg-config ss timeout; do
	command -v "$tool" >/dev/null 2>&1 || die "missing tool: $tool (make deps)"
done
[ -x "$APIMON" ] || die "$APIMON not built (run make)"
[ -z "$REF" ] || [ -x "$REF" ] || die "APIMON_REF=$REF is not executable"
case $WORKERS$FCGI_THREADS$CONNS$LAT_CONNS$REPEAT$THREADS$NGINX_WORKERS$BATCH in *[!0-9]*) die "WORKERS, FCGI_THREADS, CONNS, LAT_CONNS, REPEAT, THREADS, NGINX_WORKERS, BATCH must be integers";; esac
if [ "$REPEAT" -lt 1 ] || [ "$CONNS" -lt 1 ] || [ "$WORKERS" -lt 1 ] || [ "$BATCH" -lt 1 ]; then
	die "REPEAT, CONNS, WORKERS and BATCH must be >= 1"
fi

# wrk duration -> seconds, for the outer `timeout` guard.
case $DURATION in
*m) dur_s=$(( ${DURATION%m} * 60 )) ;;
*s) dur_s=${DURATION%s} ;;
*) dur_s=$DURATION ;;
esac
case $dur_s in ''|*[!0-9]*) die "DURATION must look like 10, 10s or 1m";; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/apimon-bench-ingest.XXXXXX")
STARTED=""        # pids of everything we started (nginx master, fcgi children)
NGINX_PID=""

stop_pids() {     # stop_pids PID... : TERM, wait (bounded), then KILL
	local p _ alive=""
	[ $# -gt 0 ] || return 0
	for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
	for _ in $(seq 1 50); do
		alive=""
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in $alive; do kill -KILL "$p" 2>/dev/null || true; done   # only those still there
	# reap our own children (nginx); others were reparented by spawn-fcgi
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

forget() {        # forget PID... : drop from STARTED once stopped
	local p out=""
	for p in $STARTED; do
		case " $* " in *" $p "*) ;; *) out="$out $p" ;; esac
	done
	STARTED=$out
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	# shellcheck disable=SC2086
	stop_pids $STARTED
	if [ "$KEEP" = 1 ]; then
		echo "bench/ingest: kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- free loopback ports (below the ephemeral range, so no clash with
# ---- nginx's own outgoing connections to the FastCGI workers) --------------
PICKED=""
pick_port() {     # sets PORT
	local _ p
	for _ in $(seq 1 500); do
		p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
		case " $PICKED " in *" $p "*) continue ;; esac
		if [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then
			PICKED="$PICKED $p"; PORT=$p; return 0
		fi
	done
	die "no free port"
}
pick_port; HTTP_PORT=$PORT
pick_port; BARE_PORT=$PORT
pick_port; API_PORT=$PORT
pick_port; REF_PORT=$PORT
pick_port; REF_HTTP_PORT=$PORT

# ---- build the bare responder ----------------------------------------------
# shellcheck disable=SC2046 # pkg-config output is meant to be split
cc -std=c17 -O2 -Wall -Wextra -Werror -pthread $(pkg-config --cflags fcgi) \
	-o "$TMP/bare" "$HERE/bare.c" $(pkg-config --libs fcgi)

# spawn-fcgi points the children's stderr at /dev/null; this wrapper keeps it.
cat >"$TMP/wrap.sh" <<'EOF'
#!/bin/sh
log=$1; shift
exec "$@" 2>>"$log"
EOF
chmod +x "$TMP/wrap.sh"

spawn() {         # spawn NAME PORT CMD... ; appends the children's pids to STARTED
	local name=$1 port=$2 rc=0 n; shift 2
	rm -f "$TMP/$name.pids"
	spawn-fcgi -a 127.0.0.1 -p "$port" -F "$WORKERS" -P "$TMP/$name.pids" \
		-- "$TMP/wrap.sh" "$TMP/$name.stderr" "$@" >"$TMP/$name.spawn" 2>&1 || rc=$?
	# The pid file lists every child that started, also when a later one failed.
	SPAWNED=$(tr '\n' ' ' <"$TMP/$name.pids" 2>/dev/null || true)
	STARTED="$STARTED $SPAWNED"
	n=$(wc -w <<<"$SPAWNED")
	if [ "$rc" -ne 0 ] || [ "$n" -ne "$WORKERS" ] || grep -q 'exited' "$TMP/$name.spawn"; then
		cat "$TMP/$name.spawn" "$TMP/$name.stderr" >&2 2>/dev/null || true
		die "$name: spawn-fcgi exit $rc, expected $WORKERS workers, got $n"
	fi
}

# ---- nginx --------------------------------------------------------------------
mkdir -p "$TMP/nginx"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat >"$TMP/nginx/fastcgi_params" <<'EOF'
fastcgi_param  QUERY_STRING       $query_string;
fastcgi_param  REQUEST_METHOD     $request_method;
fastcgi_param  CONTENT_TYPE       $content_type;
fastcgi_param  CONTENT_LENGTH     $content_length;
fastcgi_param  SCRIPT_NAME        $fastcgi_script_name;
fastcgi_param  REQUEST_URI        $request_uri;
fastcgi_param  DOCUMENT_URI       $document_uri;
fastcgi_param  DOCUMENT_ROOT      $document_root;
fastcgi_param  SERVER_PROTOCOL    $server_protocol;
fastcgi_param  REQUEST_SCHEME     $scheme;
fastcgi_param  GATEWAY_INTERFACE  CGI/1.1;
fastcgi_param  SERVER_SOFTWARE    nginx/$nginx_version;
fastcgi_param  REMOTE_ADDR        $remote_addr;
fastcgi_param  REMOTE_PORT        $remote_port;
fastcgi_param  SERVER_ADDR        $server_addr;
fastcgi_param  SERVER_PORT        $server_port;
fastcgi_param  SERVER_NAME        $server_name;
fastcgi_param  HTTP_HOST          $host;
EOF
cat >"$TMP/nginx/nginx.conf" <<EOF
$user_line
worker_processes $NGINX_WORKERS;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
    # Only non-2xx answers are logged (a map lookup per request otherwise),
    # so the report can say which status codes were returned.
    map \$status \$non2xx { ~^2 0; default 1; }
    log_format st '\$status \$uri \$upstream_status \$request_time';
    access_log $TMP/nginx/non2xx.log st if=\$non2xx;
    client_body_temp_path $TMP/nginx/client_body;
    proxy_temp_path       $TMP/nginx/proxy;
    fastcgi_temp_path     $TMP/nginx/fastcgi;
    uwsgi_temp_path       $TMP/nginx/uwsgi;
    scgi_temp_path        $TMP/nginx/scgi;
    keepalive_requests 1000000;
    # Batches of 100 are ~40 KB: keep bodies in memory, not in temp files.
    client_body_buffer_size 1m;
    # No upstream keepalive for either FastCGI path: libfcgi workers are
    # single-threaded and serve one connection at a time, so idle cached
    # connections would pin workers.  Same settings for /bare/ and /api/.
    upstream bare   { server 127.0.0.1:$BARE_PORT; }
    upstream apimon { server 127.0.0.1:$API_PORT; }
    upstream ref    { server 127.0.0.1:$REF_PORT; }
    server {
        listen 127.0.0.1:$HTTP_PORT backlog=4096;
        server_name localhost;
        location = /ceiling/204 { return 204; }
        location /bare/ { include $TMP/nginx/fastcgi_params; fastcgi_pass bare; }
        location /api/  { include $TMP/nginx/fastcgi_params; fastcgi_pass apimon; }
    }
    # The reference build answers the same paths, on a port of its own.
    server {
        listen 127.0.0.1:$REF_HTTP_PORT backlog=4096;
        server_name localhost;
        location /api/  { include $TMP/nginx/fastcgi_params; fastcgi_pass ref; }
    }
}
EOF
nginx -t -q -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" \
	|| { cat "$TMP/nginx/error.log" >&2; die "nginx -t failed"; }
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" &
NGINX_PID=$!
STARTED="$STARTED $NGINX_PID"

BASE=http://127.0.0.1:$HTTP_PORT
REFBASE=http://127.0.0.1:$REF_HTTP_PORT
wait_http() {     # wait_http URL [METHOD] : until any 2xx, at most 10 s
	local _ code
	for _ in $(seq 1 100); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -X "${2:-GET}" "$1" 2>/dev/null || true)
		case $code in 2??) return 0 ;; esac
		kill -0 "$NGINX_PID" 2>/dev/null || { cat "$TMP/nginx/error.log" >&2; die "nginx exited"; }
		sleep 0.1
	done
	echo "bench/ingest: $1 never answered 2xx (last: $code)" >&2
	return 1
}
wait_http "$BASE/ceiling/204" || die "nginx not up"

spawn bare "$BARE_PORT" "$TMP/bare" --threads "$FCGI_THREADS"
BARE_PIDS=$SPAWNED
wait_http "$BASE/bare/" POST || die "bare responder not up"

# CPU ticks (user + system, every thread) of the processes PIDS, summed.
cpu_ticks() {
	local p t=0 v
	for p in "$@"; do
		v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
		t=$((t + v))
	done
	echo "$t"
}
HZ=$(getconf CLK_TCK)

# ---- one wrk run ---------------------------------------------------------------
# run_wrk NAME URL TAG CONNS [PID...] : sets W_RPS (records/s) W_P50 W_P99
# W_NON2XX W_SOCKERR W_REQ W_OK W_CPU (µs of the PIDs' CPU per record, or -)
run_wrk() {
	local name=$1 url=$2 tag=$3 conns=$4 threads=$THREADS line t0 t1
	shift 4
	[ "$threads" -le "$conns" ] || threads=$conns
	t0=$(cpu_ticks "$@")
	timeout --foreground $(( dur_s + 60 )) wrk -t"$threads" -c"$conns" -d"$DURATION" \
		--timeout 2s --latency -s "$HERE/post.lua" "$url" -- "$tag" "$BATCH" >"$TMP/wrk-${name// /_}.txt" 2>&1 \
		|| { cat "$TMP/wrk-${name// /_}.txt" >&2; die "wrk failed on $url"; }
	t1=$(cpu_ticks "$@")
	line=$(grep "^BENCHLINE " "$TMP/wrk-${name// /_}.txt") \
		|| { cat "$TMP/wrk-${name// /_}.txt" >&2; die "no BENCHLINE from wrk"; }
	kv() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$line"; }
	W_REQ=$(kv requests)
	W_NON2XX=$(kv non2xx)
	W_SOCKERR=$(( $(kv connect) + $(kv read) + $(kv write) + $(kv timeout) ))
	W_OK=$(( W_REQ - W_NON2XX ))
	W_RPS=$(awk -v r="$W_REQ" -v b="$BATCH" -v d="$(kv duration_us)" 'BEGIN{printf "%.0f", (d > 0 ? r*b/(d/1e6) : 0)}')
	W_P50=$(awk -v u="$(kv p50_us)" 'BEGIN{printf "%.2f", u/1000}')
	W_P99=$(awk -v u="$(kv p99_us)" 'BEGIN{printf "%.2f", u/1000}')
	W_CPU=-
	if [ $# -gt 0 ] && [ "$W_REQ" -gt 0 ]; then
		W_CPU=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$W_REQ" -v b="$BATCH" 'BEGIN{printf "%.1f", t/hz*1e6/(n*b)}')
	fi
	printf '%-26s %10s %9s %9s %9s %9s %10s\n' "$name" "$W_RPS" "$W_P50" "$W_P99" "$W_NON2XX" "$W_SOCKERR" "$W_CPU"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.1f %%", 100*a/b; else print "n/a" }'; }
count_rows() {    # count_rows DB PREFIX
	sqlite3 "$1" "SELECT count(*) FROM api_requests WHERE request_id LIKE '$2%';" 2>&1 || true
}
rows_ok() {       # rows_ok ROWS OK SLACK -> PASS|FAIL (rows may exceed 2xx by in-flight answers)
	case $1 in ''|*[!0-9]*) echo FAIL; return ;; esac
	if [ "$1" -ge $(( $2 * BATCH )) ] && [ "$1" -le $(( ($2 + $3) * BATCH )) ]; then echo PASS; else echo FAIL; fi
}
U=req; [ "$BATCH" -gt 1 ] && U=rec

echo "== apimon ingest benchmark =="
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "load:    wrk -t$THREADS -c$CONNS -d$DURATION --latency (latency pass: -c$LAT_CONNS); nginx workers $NGINX_WORKERS;"
echo "         $BATCH record(s) per POST; FastCGI: spawn-fcgi -F $WORKERS, --threads $FCGI_THREADS (bare and apimon alike); no upstream keepalive"
[ -z "$REF" ] || echo "ref:     $REF (interleaved with $APIMON)"
echo "db dir:  $TMP ($(df -T "$TMP" | awk 'NR==2{print $2}'))"
echo

# Per-target accumulators over REPEAT runs (median of rates, latencies and
# CPU per record, sums of errors and 2xx).
declare -A RPS P50 P99 NON SOCK OKS CPU
reset_acc() { RPS=(); P50=(); P99=(); NON=(); SOCK=(); OKS=(); CPU=(); }
acc() {
	RPS[$1]="${RPS[$1]:-} $W_RPS"; P50[$1]="${P50[$1]:-} $W_P50"; P99[$1]="${P99[$1]:-} $W_P99"
	[ "$W_CPU" = - ] || CPU[$1]="${CPU[$1]:-} $W_CPU"
	NON[$1]=$(( ${NON[$1]:-0} + W_NON2XX )); SOCK[$1]=$(( ${SOCK[$1]:-0} + W_SOCKERR ))
	OKS[$1]=$(( ${OKS[$1]:-0} + W_OK ))
}
med() {           # med FORMAT VALUES...
	local fmt=$1; shift
	printf '%s\n' "$@" | sort -n | awk -v f="$fmt" '{a[NR]=$1}
		END{ if (NR == 0) print "-"; else if (NR % 2) printf f, a[(NR+1)/2]; else printf f, (a[NR/2]+a[NR/2+1])/2 }'
}
# shellcheck disable=SC2086
mrps() { med %.0f ${RPS[$1]:-}; }
# shellcheck disable=SC2086
mp50() { med %.2f ${P50[$1]:-}; }
# shellcheck disable=SC2086
mp99() { med %.2f ${P99[$1]:-}; }
# shellcheck disable=SC2086
mcpu() { med %.1f ${CPU[$1]:-}; }
# at most LIMIT: PASS, else FAIL
le() { awk -v a="$1" -v b="$2" 'BEGIN{print (a != "-" && b != "-" && a+0 <= b+0) ? "PASS" : "FAIL"}'; }

GOAL=75; [ "$BATCH" -gt 1 ] && GOAL=50
SUMMARY=""
FAILED=0
for mode in $SYNC_MODES; do
	case $mode in off|normal|full) ;; *) die "SYNC_MODES: $mode is not off|normal|full" ;; esac
	db=$TMP/ingest-$mode.db
	conf=$TMP/apimon-$mode.json
	logoff=$(wc -l <"$TMP/nginx/non2xx.log" 2>/dev/null || echo 0)
	rm -f "$db" "$db-wal" "$db-shm" "$TMP/ref-$mode.db"*
	printf '{"database": "%s", "ingest": {"synchronous": "%s"}}\n' "$db" "$mode" >"$conf"
	printf '{"database": "%s", "ingest": {"synchronous": "%s"}}\n' "$TMP/ref-$mode.db" "$mode" >"$TMP/ref-$mode.json"
	spawn "apimon-$mode" "$API_PORT" "$APIMON" --config "$conf" --threads "$FCGI_THREADS"
	API_PIDS=$SPAWNED
	REF_PIDS=""
	if [ -n "$REF" ]; then
		spawn "ref-$mode" "$REF_PORT" "$REF" --config "$TMP/ref-$mode.json" --threads "$FCGI_THREADS"
		REF_PIDS=$SPAWNED
	fi
	echo "-- synchronous=$mode (fresh database) --"
	wait_http "$BASE/api/health" || true
	[ -z "$REF" ] || wait_http "$REFBASE/api/health" || true
	echo "health: $(curl -s -w ' [HTTP %{http_code}]' "$BASE/api/health" || true)"
	# smoke test: one record, so a rejected body shows up here, not as 100 % non-2xx
	echo "smoke POST: $(curl -s -w ' [HTTP %{http_code}]' -H 'Content-Type: application/json' \
		--data '{"request_id":"smoke-'"$mode"'","source":"web","status":"success","execution_time":0.5}' \
		"$BASE/api/log-request" || true)"

	tag=$mode-$$
	reset_acc
	printf '%-26s %10s %9s %9s %9s %9s %10s\n' "target" "$U/s" p50_ms p99_ms non-2xx sock-err "cpu_us/$U"
	# Interleaved, so that a burst of other load on the machine hits all targets alike.
	# shellcheck disable=SC2086
	for r in $(seq 1 "$REPEAT"); do
		run_wrk "nginx-204 c=$CONNS" "$BASE/ceiling/204" "$tag-c$r" "$CONNS"; acc c
		run_wrk "bare-fastcgi c=$CONNS" "$BASE/bare/log-request" "$tag-b$r" "$CONNS" $BARE_PIDS; acc b
		run_wrk "apimon-ingest c=$CONNS" "$BASE/api/log-request" "$tag-a$r" "$CONNS" $API_PIDS; acc a
		if [ -n "$REF" ]; then
			run_wrk "ref-ingest c=$CONNS" "$REFBASE/api/log-request" "$tag-r$r" "$CONNS" $REF_PIDS; acc r
		fi
	done
	sleep 1   # let answers still in flight when wrk stopped finish
	A_ROWS=$(count_rows "$db" "wrk-$tag-a")
	if [ "$LAT_CONNS" -gt 0 ]; then
		# shellcheck disable=SC2086
		for r in $(seq 1 "$REPEAT"); do
			run_wrk "bare-fastcgi c=$LAT_CONNS" "$BASE/bare/log-request" "$tag-lb$r" "$LAT_CONNS" $BARE_PIDS; acc lb
			run_wrk "apimon-ingest c=$LAT_CONNS" "$BASE/api/log-request" "$tag-la$r" "$LAT_CONNS" $API_PIDS; acc la
			if [ -n "$REF" ]; then
				run_wrk "ref-ingest c=$LAT_CONNS" "$REFBASE/api/log-request" "$tag-lr$r" "$LAT_CONNS" $REF_PIDS; acc lr
			fi
		done
		sleep 1
		L_ROWS=$(count_rows "$db" "wrk-$tag-la")
	fi
	if [ "$REPEAT" -gt 1 ]; then
		echo "medians of $REPEAT runs:"
		for k in c b a r lb la lr; do
			[ -n "${RPS[$k]:-}" ] || continue
			case $k in
			c) n="nginx-204 c=$CONNS" ;; b) n="bare-fastcgi c=$CONNS" ;; a) n="apimon-ingest c=$CONNS" ;;
			r) n="ref-ingest c=$CONNS" ;; lb) n="bare-fastcgi c=$LAT_CONNS" ;;
			la) n="apimon-ingest c=$LAT_CONNS" ;; lr) n="ref-ingest c=$LAT_CONNS" ;;
			esac
			printf '%-26s %10s %9s %9s %9s %9s %10s\n' "  $n" "$(mrps $k)" "$(mp50 $k)" "$(mp99 $k)" "${NON[$k]}" "${SOCK[$k]}" "$(mcpu $k)"
		done
	fi

	C_RPS=$(mrps c) B_RPS=$(mrps b) B_P99=$(mp99 b)
	A_RPS=$(mrps a) A_P50=$(mp50 a) A_P99=$(mp99 a)
	A_NON2XX=${NON[a]} A_SOCKERR=${SOCK[a]} A_OK=${OKS[a]}
	r_bare=$(ratio "$A_RPS" "$B_RPS"); r_ceil=$(ratio "$A_RPS" "$C_RPS")
	echo "apimon / bare FastCGI:  $r_bare   (goal >= $GOAL %)"
	echo "apimon / nginx 204:     $r_ceil"
	echo "CPU per $U: bare $(mcpu b) us, apimon $(mcpu a) us"
	if [ -n "$REF" ]; then
		echo "apimon / ref:           $(ratio "$A_RPS" "$(mrps r)") (ref / bare $(ratio "$(mrps r)" "$B_RPS"); ref CPU $(mcpu r) us per $U)"
	fi
	slack=$(( CONNS * REPEAT ))
	echo "rows stored: $A_ROWS; 2xx counted by wrk: $A_OK x $BATCH (c=$CONNS; rows may exceed by the answers of at most $slack requests in flight when wrk stopped)"
	ok_ratio=$(awk -v a="$A_RPS" -v b="$B_RPS" -v g="$GOAL" 'BEGIN{print (b > 0 && a >= g/100*b) ? "PASS" : "FAIL"}')
	ok_err=FAIL; [ "$A_NON2XX" -eq 0 ] && [ "$A_SOCKERR" -eq 0 ] && ok_err=PASS
	ok_rows=$(rows_ok "$A_ROWS" "$A_OK" "$slack")
	ok_p99=-
	L_TXT=""
	if [ "$LAT_CONNS" -gt 0 ]; then
		L_RPS=$(mrps la) L_P50=$(mp50 la) L_P99=$(mp99 la) LB_RPS=$(mrps lb) LB_P99=$(mp99 lb)
		ok_p99=$(le "$L_P99" "$(awk -v p="$LB_P99" 'BEGIN{print 2*p}')")
		echo "rows stored: $L_ROWS; 2xx counted by wrk: ${OKS[la]} x $BATCH (c=$LAT_CONNS: $(rows_ok "$L_ROWS" "${OKS[la]}" $(( LAT_CONNS * REPEAT ))))"
		echo "latency at c=$LAT_CONNS: apimon p50 $L_P50 ms, p99 $L_P99 ms; bare FastCGI p99 $LB_P99 ms (goal: apimon p99 <= 2x bare's)"
		L_TXT="| $mode, c=$LAT_CONNS | | $LB_RPS | $L_RPS | $L_P50 / $L_P99 | $LB_P99 | ${NON[la]} | $(ratio "$L_RPS" "$LB_RPS") | | $(mcpu lb) / $(mcpu la) | $L_ROWS / ${OKS[la]} |"
	fi
	echo "goals: c=$CONNS ratio>=$GOAL% $ok_ratio; c=$LAT_CONNS p99<=2x bare $ok_p99; zero non-2xx/socket errors $ok_err; rows==2xx $ok_rows"
	for g in $ok_ratio $ok_p99 $ok_err $ok_rows; do [ "$g" = FAIL ] && FAILED=1; done
	# non-2xx answers (all targets) are logged by nginx: "status uri upstream_status request_time"
	nlog=$(tail -n +$(( logoff + 1 )) "$TMP/nginx/non2xx.log" 2>/dev/null || true)
	n499=$(awk '$1 == 499' <<<"$nlog" | grep -c . || true)
	if [ "$n499" -gt 0 ]; then
		echo "nginx 499s: $n499 (requests in flight when wrk closed its connections at the end; wrk does not count them)"
	fi
	nlog=$(awk '$1 != 499' <<<"$nlog")
	if [ -n "$nlog" ]; then
		echo "non-2xx answers logged by nginx this round (count, status, uri, upstream status):"
		awk '{print $1, $2, $3}' <<<"$nlog" | sort | uniq -c | sort -rn | head -10 | sed 's/^/  /'
	fi
	if [ "$A_NON2XX" -gt 0 ]; then   # what does apimon answer now, unloaded?
		echo "probe after the run: $(curl -s -w ' [HTTP %{http_code}]' -H 'Content-Type: application/json' \
			--data '{"request_id":"probe-'"$mode"'","source":"web","status":"success","execution_time":0.5}' \
			"$BASE/api/log-request" 2>/dev/null || true)"
	fi
	# shellcheck disable=SC2086
	stop_pids $API_PIDS $REF_PIDS
	# shellcheck disable=SC2086
	forget $API_PIDS $REF_PIDS
	if [ -s "$TMP/apimon-$mode.stderr" ]; then
		echo "apimon stderr ($(wc -l <"$TMP/apimon-$mode.stderr") lines), first 5:"
		head -5 "$TMP/apimon-$mode.stderr" | sed 's/^/  /'
	fi
	echo
	R_TXT=""
	[ -z "$REF" ] || R_TXT=" (ref $(mrps r), $(ratio "$(mrps r)" "$B_RPS"))"
	SUMMARY="$SUMMARY| $mode, c=$CONNS | $C_RPS | $B_RPS | $A_RPS$R_TXT | $A_P50 / $A_P99 | $B_P99 | $A_NON2XX | $r_bare | $r_ceil | $(mcpu b) / $(mcpu a) | $A_ROWS / $A_OK |
"
	if [ -n "$L_TXT" ]; then SUMMARY="$SUMMARY$L_TXT
"; fi
done

nerr=$(grep -c -v ' \[notice\] ' "$TMP/nginx/error.log" 2>/dev/null || true)
if [ "${nerr:-0}" -gt 0 ]; then
	echo "nginx error.log: $nerr non-notice lines, first 5:"
	grep -v ' \[notice\] ' "$TMP/nginx/error.log" | head -5 | sed 's/^/  /'
	echo
fi

[ "$REPEAT" -le 1 ] || echo "(medians of $REPEAT interleaved runs; errors and rows summed)"
echo "summary ($U/s, $BATCH record(s) per POST; latency in ms; CPU us per $U; load average after: $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "| sync, conns | nginx 204 | bare FastCGI | apimon | apimon p50 / p99 | bare p99 | non-2xx | apimon/bare | apimon/nginx | cpu bare / apimon | rows / 2xx |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s' "$SUMMARY"
if [ "$FAILED" -eq 0 ]; then echo "ingest goals: all met"; else echo "ingest goals: NOT all met"; fi
exit 0
