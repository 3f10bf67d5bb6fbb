#!/bin/bash
# make run: seed demo traffic, then serve the site and the ingest endpoint on
# http://localhost:8001 until Ctrl-C, stopping exactly what it started.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
port=${APIMON_PORT:-8001}
workers=${APIMON_WORKERS:-1}
var=$root/var
conf=$var/apimon.json

mkdir -p "$var/nginx/logs" "$var/nginx/tmp" "$var/run"
if [ ! -f "$conf" ]; then
	cat >"$conf" <<JSON
{
  "database": "$var/apimon.db",
  "site_dir": "$root/public",
  "timezone": "UTC",
  "prices": {
    "gpt-4o-mini":       { "input_per_mtok": 0.15,  "output_per_mtok": 0.60 },
    "gpt-4o":            { "input_per_mtok": 2.50,  "output_per_mtok": 10.00 },
    "claude-3-5-haiku":  { "input_per_mtok": 0.80,  "output_per_mtok": 4.00 },
    "claude-3-5-sonnet": { "input_per_mtok": 3.00,  "output_per_mtok": 15.00 },
    "gemini-1.5-flash":  { "input_per_mtok": 0.075, "output_per_mtok": 0.30 }
  }
}
JSON
	echo "run: wrote $conf"
fi

# Same seed every time: a second run finds the records stored already.
echo "run: seeding 30 days of simulated traffic"
bin/apimon-simulate --days 30 --per-day 1000 --seed 1 |
	bin/apimon-ingest --config "$conf" --import -

echo "run: first rollup and render"
bin/apimon-cron --config "$conf"

if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
	echo "run: port $port is in use; set APIMON_PORT=N to pick another" >&2
	exit 1
fi

user=""
[ "$(id -u)" -eq 0 ] && user="user root;"
cat >"$var/nginx/nginx.conf" <<NGINX
$user
worker_processes 1;
daemon off;
pid $var/nginx/nginx.pid;
error_log $var/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
	include /etc/nginx/mime.types;
	access_log $var/nginx/logs/access.log;
	gzip on;
	gzip_types application/json text/css application/javascript text/csv application/x-ndjson;
	client_body_temp_path $var/nginx/tmp/body;
	fastcgi_temp_path $var/nginx/tmp/fastcgi;
	proxy_temp_path $var/nginx/tmp/proxy;
	uwsgi_temp_path $var/nginx/tmp/uwsgi;
	scgi_temp_path $var/nginx/tmp/scgi;
	server {
		listen 127.0.0.1:$port;
		root $root/public;
		client_max_body_size 2m;
		location /api/ {
			include /etc/nginx/fastcgi_params;
			fastcgi_pass unix:$var/run/ingest.sock;
		}
		location = /v1/traces {
			include /etc/nginx/fastcgi_params;
			fastcgi_pass unix:$var/run/ingest.sock;
		}
		location /assets/ {
			expires 1h;
		}
		location /data/ {
			add_header Cache-Control "no-store";
			types { application/json json; text/csv csv; application/x-ndjson ndjson; }
		}
	}
}
NGINX

pids=""
cleanup() {
	trap - INT TERM EXIT
	[ -n "$pids" ] && kill $pids 2>/dev/null || true
	if [ -f "$var/run/ingest.pid" ]; then
		kill $(cat "$var/run/ingest.pid") 2>/dev/null || true
		rm -f "$var/run/ingest.pid"
	fi
	rm -f "$var/run/ingest.sock"
	echo "run: stopped"
}
trap cleanup INT TERM EXIT

rm -f "$var/run/ingest.sock"
spawn-fcgi -s "$var/run/ingest.sock" -F "$workers" -P "$var/run/ingest.pid" \
	-- "$root/bin/apimon-ingest" --config "$conf" >/dev/null
nginx -p "$var/nginx" -c "$var/nginx/nginx.conf" -e "$var/nginx/logs/error.log" &
pids="$pids $!"
sleep 0.5
kill -0 $pids 2>/dev/null || { echo "run: nginx did not start; see $var/nginx/logs/error.log" >&2; exit 1; }

cat <<MSG

apimon is serving http://localhost:$port/  (Ctrl-C stops it)
The dashboard is rebuilt every minute by bin/apimon-cron running here.

Post a record:
  curl -s -H 'Content-Type: application/json' \\
    -d '{"request_id":"demo-'\$(date +%s)'","source":"web","status":"success","execution_time":1.2,"model":"gpt-4o-mini","input_tokens":900,"output_tokens":300}' \\
    http://localhost:$port/api/log-request
Health:
  curl -s http://localhost:$port/api/health
OpenTelemetry (OTLP/HTTP, GenAI spans; docs/guide.md):
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://localhost:$port/v1/traces

MSG
# The cron job, in the foreground: every minute until Ctrl-C.
while kill -0 $pids 2>/dev/null; do
	sleep 60 &
	wait $! || break
	bin/apimon-cron --config "$conf" || true
done
