#!/usr/bin/python3
"""bench/e2e/combined.py — apimon-simulate's NDJSON as an access log in the
Combined Log Format, so that GoAccess reads the same requests apimon does.

    combined.py < records.ndjson > access.log

One line per record:

    HOST - USER [10/Nov/2026:13:55:36 +0000] "POST /v1/SOURCE/MODEL HTTP/1.1"
        STATUS TOKENS "-" "SOURCE (PROVIDER)"

HOST is an IPv4 address derived from the user (a visitor to GoAccess; the
anonymous share from the request id), STATUS 200 for success, 500 error,
504 timeout, 429 rate_limited, and the response size is the tokens used,
so that GoAccess's bandwidth totals are the token totals.
"""
import json
import sys
import zlib
from datetime import datetime, timezone

STATUS = {"success": 200, "error": 500, "timeout": 504, "rate_limited": 429}


def host(key):
    h = zlib.crc32(key.encode())
    return f"10.{h >> 16 & 255}.{h >> 8 & 255}.{h & 255}"


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        r = json.loads(line)
        ts = r.get("timestamp")
        t = datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=timezone.utc)
        user = r.get("user_id") or "-"
        tokens = r.get("tokens_used")
        if tokens is None:
            tokens = (r.get("input_tokens") or 0) + (r.get("output_tokens") or 0)
        out.write(f'{host(user if user != "-" else r["request_id"])} - '
                  f'{user} [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] '
                  f'"POST /v1/{r["source"]}/{r.get("model") or "none"} '
                  f'HTTP/1.1" {STATUS[r["status"]]} {tokens} "-" '
                  f'"{r["source"]} ({r.get("provider") or "none"})"\n')


if __name__ == "__main__":
    main()
