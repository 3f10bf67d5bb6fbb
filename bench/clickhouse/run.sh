#!/bin/sh
# bench/clickhouse/run.sh — the scale-out path on ~10,000,000 simulated rows
# across two clickhouse-server shards on this machine: apimon-ship against a
# bare curl POST of the same rows, and apimon-aggregate's rollups computed in
# ClickHouse against the SQLite rollups of the same rows.  See run.py.
exec python3 "$(dirname "$0")/run.py" "$@"
