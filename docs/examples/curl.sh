#!/bin/sh
# curl.sh — talk to apimon's ingest API with curl.
#   sh docs/examples/curl.sh [BASE_URL]      (default http://localhost:8001)
# Set APIMON_TOKEN when the config has ingest.token.
set -eu
base=${1:-${APIMON_BASE:-http://localhost:8001}}
auth=""
[ -n "${APIMON_TOKEN:-}" ] && auth="Authorization: Bearer $APIMON_TOKEN"
id="curl-$(date +%s)-$$"

post() {	# content-type body
	curl -sS --max-time 2 -H "Content-Type: $1" ${auth:+-H "$auth"} \
	    --data-binary "$2" "$base/api/log-request"
	echo
}

echo "# one record"
post application/json '{"request_id":"'"$id"'-1","source":"web","status":"success",
  "execution_time":1.2,"user_id":"alice","command":"/ask hello",
  "model":"gpt-4o-mini","input_tokens":900,"output_tokens":300}'

echo "# the same request_id again: stored once, counted as a duplicate"
post application/json '{"request_id":"'"$id"'-1","source":"web","status":"success",
  "execution_time":1.2}'

echo "# a JSON array: every valid item is stored, each bad one listed"
post application/json '[
  {"request_id":"'"$id"'-2","source":"telegram","status":"error","execution_time":0.4,
   "error":"upstream 500","user_id":"bob"},
  {"request_id":"'"$id"'-3","source":"discord","status":"rate_limited","execution_time":0.1},
  {"request_id":"'"$id"'-4","source":"web","status":"maybe","execution_time":0.1}]'

echo "# NDJSON, one record a line, with a reported cost and a timestamp"
post application/x-ndjson '{"request_id":"'"$id"'-5","source":"wechat","status":"success","execution_time":2.5,"cost":0.0042,"timestamp":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}
{"request_id":"'"$id"'-6","source":"web","status":"timeout","execution_time":30,"time_to_first_token":null}'

echo "# health: 200 while the database takes writes"
curl -sS --max-time 2 "$base/api/health"
echo
