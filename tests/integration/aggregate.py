#!/usr/bin/env python3
"""apimon-aggregate integration tests: rollups, percentiles, incremental runs,
alerts, notifications and retention, checked against the raw rows.

    python3 tests/integration/aggregate.py --bin build/san/bin [-k PATTERN]...

Every test gets a directory tests/out/aggregate/<test>/ with its configs, its
SQLite databases, a log of every command it ran (commands.log) and the
sanitizer logs of those commands (san/).  Records go in with
apimon-ingest --import, rollups are made by apimon-aggregate (with --now), and
every expectation is computed here, independently, from the api_requests rows
(zoneinfo for local days, the histogram definition of lib/hist.h for buckets).

A test FAILS when an assertion fails, when a program exits with an unexpected
status, or when a sanitizer (ASan/UBSan) wrote a report.  -k PATTERN selects
tests whose name contains PATTERN (case-insensitive), or matches it as a glob
when it holds * ? or [.

Python 3 standard library only.  Only 127.0.0.1 is used.  The last line of
output is always "aggregate: N passed, N failed"; the exit status is 1 when
anything failed.
"""

import argparse
import datetime
import fnmatch
import html
import http.server
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from zoneinfo import ZoneInfo

import catalogue

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "out" / "aggregate"
BIN = None                      # Path, set by main()
LIVE = set()                    # Popen objects not yet reaped
RECEIVERS = set()               # HTTP receivers not yet stopped
TEMPLATES = {}                  # name -> path of a built template database
# The programs a suite runs (copied, see main()); others add theirs.
PROGS = ["apimon-ingest", "apimon-aggregate", "apimon-simulate", "apimon-render"]

GAMMA = 1.02 / 0.98             # lib/hist.c
HIST_BUCKETS = 640
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS

STATS_COLS = ("source, model, requests, successes, failures, errors, timeouts,"
              " rate_limited, latency_sum_us, latency_hist, ttft_count,"
              " ttft_sum_us, tokens, input_tokens, output_tokens, cost_nusd,"
              " unpriced, users, lat_0_1s, lat_1_2s, lat_2_3s, lat_3_5s,"
              " lat_5s_up")
COL_NAMES = ["key"] + [c.strip() for c in STATS_COLS.split(",")]

PRICES = {"gpt-4o-mini": {"input_per_mtok": 0.15, "output_per_mtok": 0.60}}

SUMMARY_RE = re.compile(
    r"^apimon-aggregate: (\d+) rows rolled up over (\d+) days; alerts (\d+) "
    r"fired, (\d+) escalated, (\d+) resolved, (\d+) closed, (\d+) repeated, "
    r"(\d+) held back; (\d+) old rows deleted; (\d+) digests; "
    r"notifications (\d+) delivered, (\d+) failed$")


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def eq(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


# --------------------------------------------------------------------------
# time
# --------------------------------------------------------------------------

def ms_of(iso):
    """RFC 3339 (with Z or offset) -> UTC milliseconds."""
    s = iso.replace("Z", "+00:00")
    return int(round(datetime.datetime.fromisoformat(s).timestamp() * 1000))


def iso_of(ms):
    """UTC milliseconds -> the RFC 3339 text apimon writes (.mmmZ)."""
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def local_hour(ms, zone):
    """The key of the local hour of ms: its UTC start, 'YYYY-MM-DDTHH:MM'."""
    z = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    t = datetime.datetime.fromtimestamp(ms / 1000, z)
    t = t.replace(minute=0, second=0, microsecond=0)
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M")


def local_day(ms, zone):
    z = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return datetime.datetime.fromtimestamp(ms // 1000, z).strftime("%Y-%m-%d")


def local_midnight_ms(day, zone):
    """UTC ms of the first instant of local day 'YYYY-MM-DD' (first existing
    local time when DST skips midnight)."""
    z = ZoneInfo(zone)
    d = datetime.date.fromisoformat(day)
    for h in range(24):
        t = datetime.datetime(d.year, d.month, d.day, h, tzinfo=z)
        u = t.astimezone(datetime.timezone.utc).astimezone(z)
        if u.replace(tzinfo=None) == t.replace(tzinfo=None):
            return int(t.timestamp()) * 1000
    raise ValueError(day)


def add_days(day, n):
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=n)).isoformat()


# --------------------------------------------------------------------------
# histograms (lib/hist.h), written from the definition
# --------------------------------------------------------------------------

def hist_index(us):
    """Bucket i > 0 holds GAMMA^(i-1) < us <= GAMMA^i; bucket 0 holds us <= 1."""
    if us <= 1:
        return 0
    i = max(1, math.ceil(math.log(us) / math.log(GAMMA)))
    while i > 1 and GAMMA ** (i - 1) >= us:
        i -= 1
    while GAMMA ** i < us:
        i += 1
    return min(i, HIST_BUCKETS - 1)


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def hist_encode(h):
    out, last = bytearray(), -1
    for i in sorted(h):
        if h[i]:
            out += varint(i - last) + varint(h[i])
            last = i
    return bytes(out)


def hist_decode(blob):
    h, i, p = {}, -1, 0
    blob = bytes(blob)

    def get():
        nonlocal p
        v, shift = 0, 0
        while True:
            check(p < len(blob), f"truncated varint in histogram {blob.hex()}")
            b = blob[p]
            p += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7
    while p < len(blob):
        gap, count = get(), get()
        check(gap > 0 and i + gap < HIST_BUCKETS,
              f"bad index gap {gap} after {i} in histogram {blob.hex()}")
        i += gap
        h[i] = h.get(i, 0) + count
    return h


def hist_merge(dst, src):
    for i, n in src.items():
        dst[i] = dst.get(i, 0) + n


def hist_quantile(h, q):
    total = sum(h.values())
    if total == 0:
        return 0
    rank = max(1, math.ceil(q * total))
    seen = 0
    for i in sorted(h):
        seen += h[i]
        if seen >= rank:
            break
    if i == 0:
        return 1
    return round(2 * GAMMA ** i / (GAMMA + 1))


def exact_quantile(values, q):
    """Nearest rank: the smallest value with at least q of all at or below."""
    v = sorted(values)
    from fractions import Fraction
    rank = max(1, math.ceil(Fraction(q).limit_denominator(1000) * len(v)))
    return v[rank - 1]


# --------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------

def clean_env(san_dir):
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and k.lower() != "apimon_config"}
    env["NO_PROXY"] = env["no_proxy"] = "*"
    env["ASAN_OPTIONS"] = (f"log_path={san_dir}/asan:detect_leaks=1:"
                           "halt_on_error=1:abort_on_error=0")
    env["UBSAN_OPTIONS"] = (f"log_path={san_dir}/ubsan:print_stacktrace=1:"
                            "halt_on_error=1")
    env["LSAN_OPTIONS"] = f"log_path={san_dir}/lsan"
    return env


def cpu_seconds(pid):
    """User + system CPU time of a process so far; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def reap(p, timeout=30):
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    LIVE.discard(p)


class Env:
    """One test's directory, configs, databases and programs."""

    def __init__(self, name):
        self.name = name
        self.dir = OUT / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.san = self.dir / "san"
        self.san.mkdir()
        self.env = clean_env(self.san)
        self.log = open(self.dir / "commands.log", "w", encoding="utf-8")
        self.lock = threading.Lock()
        self.nrec = 0

    def close(self):
        self.log.close()

    def sanitizer_reports(self):
        return sorted(p for p in self.san.iterdir() if p.is_file())

    # ---- configs -----------------------------------------------------------

    def config(self, name="apimon.json", db="apimon.db", timezone="UTC",
               alerts=None, notify=None, raw_days=3650, prices=PRICES,
               locale=None):
        c = {"database": str(self.dir / db), "timezone": timezone,
             "alerts": {"daily_cost_usd": 0, "warn_ratio": 0.8,
                        "error_rate": 0, "min_requests": 20,
                        "latency_p95_s": 0},
             "retention": {"raw_days": raw_days},
             "prices": prices}
        if alerts:
            c["alerts"].update(alerts)
        if notify is not None:
            c["notify"] = notify
        if locale is not None:
            c["locale"] = locale
        path = self.dir / name
        path.write_text(json.dumps(c, indent=2))
        return str(path)

    @staticmethod
    def db_of(conf):
        return json.loads(Path(conf).read_text())["database"]

    # ---- programs -----------------------------------------------------------

    def run(self, prog, args, input=None, timeout=180):
        argv = [str(BIN / prog)] + [a if isinstance(a, bytes) else str(a)
                                    for a in args]
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None
                             else subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env)
        LIVE.add(p)
        try:
            out, err = p.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            LIVE.discard(p)
            raise Failure(f"{prog} {' '.join(map(str, args))}: timed out after "
                          f"{timeout} s")
        LIVE.discard(p)
        dt = time.monotonic() - t0
        o, e = out.decode(errors="replace"), err.decode(errors="replace")
        with self.lock:
            self.log.write(f"$ {' '.join(map(str, argv))}\n# exit "
                           f"{p.returncode} in "
                           f"{dt:.2f} s\n")
            if prog != "apimon-simulate":
                self.log.write(o[-4000:])
            self.log.write(("" if not e else "# stderr:\n" + e[-4000:]) +
                           "\n")
            self.log.flush()
        if "runtime error:" in e or "Sanitizer" in e:
            raise Failure(f"{prog}: sanitizer output on stderr:\n{e[-3000:]}")
        return p.returncode, o, e

    def simulate(self, days, per_day, seed, end, name=None):
        path = self.dir / (name or f"sim-{seed}.ndjson")
        rc, out, err = self.run("apimon-simulate",
                                ["--days", days, "--per-day", per_day,
                                 "--seed", seed, "--end", end])
        eq(rc, 0, f"apimon-simulate exit status (stderr: {err.strip()})")
        path.write_text(out)
        return path

    def ingest(self, conf, records=None, path=None, expect_rejected=0):
        if records is not None:
            with self.lock:
                self.nrec += 1
                path = self.dir / f"import-{self.nrec}.ndjson"
            path.write_text("".join(json.dumps(r) + "\n" for r in records))
        rc, out, err = self.run("apimon-ingest",
                                ["--config", conf, "--import", path])
        eq(rc, 0, f"apimon-ingest --import {path} exit status ({err.strip()})")
        m = re.search(r"accepted (\d+), duplicates (\d+), rejected (\d+)", out)
        check(m is not None, f"apimon-ingest printed {out!r}")
        if expect_rejected is not None:
            eq(int(m.group(3)), expect_rejected,
               f"rejected records of {path} ({out.strip()} {err.strip()})")
        return int(m.group(1))

    def aggregate(self, conf, now=None, rebuild=False, expect_rc=0):
        args = ["--config", conf]
        if rebuild:
            args.append("--rebuild")
        if now is not None:
            args += ["--now", now if isinstance(now, str) else iso_of(now)]
        rc, out, err = self.run("apimon-aggregate", args)
        eq(rc, expect_rc, f"apimon-aggregate {' '.join(args)} exit status "
           f"(stderr: {err.strip()[-1500:]})")
        if expect_rc != 0:
            return None
        lines = out.strip().split("\n")
        eq(len(lines), 1, "lines apimon-aggregate printed on stdout")
        m = SUMMARY_RE.match(lines[0])
        check(m is not None, f"summary line {lines[0]!r}")
        keys = ("rows", "days", "fired", "escalated", "resolved", "closed",
                "repeated", "held", "purged", "digests", "delivered",
                "failed")
        return dict(zip(keys, map(int, m.groups())))

    def start_aggregate(self, conf, now):
        argv = [str(BIN / "apimon-aggregate"), "--config", conf, "--now", now]
        self.log.write(f"$ {' '.join(argv)} &\n")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=self.env)
        LIVE.add(p)
        return p


# --------------------------------------------------------------------------
# databases
# --------------------------------------------------------------------------

def connect(db):
    con = sqlite3.connect(db, timeout=30)
    con.execute("PRAGMA busy_timeout = 30000")
    return con


def copy_db(src, dst):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(str(dst) + suffix)
        except FileNotFoundError:
            pass
    s, d = connect(src), connect(dst)
    s.backup(d)
    s.close()
    d.close()


def dump(db, table):
    con = connect(db)
    rows = [tuple(bytes(c) if isinstance(c, (bytes, memoryview)) else c
                  for c in r)
            for r in con.execute(f"SELECT * FROM {table}")]
    con.close()
    return sorted(rows, key=repr)


def rollup_dump(db):
    return {"hourly_stats": dump(db, "hourly_stats"),
            "daily_stats": dump(db, "daily_stats")}


def meta(db, key):
    con = connect(db)
    r = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    con.close()
    return None if r is None else r[0]


def query(db, sql, args=()):
    con = connect(db)
    rows = con.execute(sql, args).fetchall()
    con.close()
    return rows


def table_stats(db, table):
    """{(key, source, model): tuple of the stats columns} as stored."""
    key = "hour" if table == "hourly_stats" else "day"
    out = {}
    for r in query(db, f"SELECT {key}, {STATS_COLS} FROM {table}"):
        r = tuple(bytes(c) if isinstance(c, (bytes, memoryview)) else c
                  for c in r)
        out[(r[0], r[1], r[2])] = r[3:]
    return out


def raw_rows(db):
    return query(db, "SELECT id, ts_ms, source, COALESCE(model, ''), status,"
                 " user_id, latency_us, ttft_us, tokens, input_tokens,"
                 " output_tokens, cost_nusd, cost_source FROM api_requests")


def expected_stats(rows, zone):
    """Independent rollups of raw rows: (hourly, daily) as table_stats()."""
    z = ZoneInfo(zone)
    acc = ({}, {})
    for (_id, ts, src, model, status, user, lat, ttft, tok, itok, otok, cost,
         cs) in rows:
        keys = ((local_hour(ts, z), src, model), (local_day(ts, z), src, model))
        for tab, key in zip(acc, keys):
            a = tab.get(key)
            if a is None:
                a = tab[key] = {"requests": 0, "successes": 0, "failures": 0,
                                "errors": 0, "timeouts": 0, "rate_limited": 0,
                                "latency_sum_us": 0, "hist": {},
                                "ttft_count": 0, "ttft_sum_us": 0,
                                "tokens": 0, "input_tokens": 0,
                                "output_tokens": 0, "cost_nusd": 0,
                                "unpriced": 0, "users": set(),
                                "lat": [0, 0, 0, 0, 0]}
            a["requests"] += 1
            if status == "success":
                a["successes"] += 1
            else:
                a["failures"] += 1
            a["errors"] += status == "error"
            a["timeouts"] += status == "timeout"
            a["rate_limited"] += status == "rate_limited"
            a["latency_sum_us"] += lat
            a["lat"][0 if lat <= 1_000_000 else 1 if lat <= 2_000_000 else
                     2 if lat <= 3_000_000 else 3 if lat <= 5_000_000 else 4] += 1
            b = hist_index(lat)
            a["hist"][b] = a["hist"].get(b, 0) + 1
            if ttft is not None:
                a["ttft_count"] += 1
                a["ttft_sum_us"] += ttft
            a["tokens"] += tok
            a["input_tokens"] += itok or 0
            a["output_tokens"] += otok or 0
            a["cost_nusd"] += cost
            a["unpriced"] += tok > 0 and cs == "none"
            if user is not None:
                a["users"].add(user)
    res = []
    for tab in acc:
        res.append({k: (a["requests"], a["successes"], a["failures"],
                        a["errors"], a["timeouts"], a["rate_limited"],
                        a["latency_sum_us"], hist_encode(a["hist"]),
                        a["ttft_count"], a["ttft_sum_us"], a["tokens"],
                        a["input_tokens"], a["output_tokens"], a["cost_nusd"],
                        a["unpriced"], len(a["users"]), *a["lat"])
                    for k, a in tab.items()})
    return tuple(res)


def diff_stats(expected, actual, what, limit=8, names=("expected", "got")):
    """Mismatch descriptions between two table_stats()-like dicts."""
    ne, na = names
    msgs = []
    for k in sorted(set(expected) | set(actual)):
        e, a = expected.get(k), actual.get(k)
        if e == a:
            continue
        if e is None:
            msgs.append(f"{what} {k}: no row in {ne}, {na} has "
                        f"{describe(a)}")
        elif a is None:
            msgs.append(f"{what} {k}: no row in {na}, {ne} has "
                        f"{describe(e)}")
        else:
            cols = []
            for name, x, y in zip(COL_NAMES[3:], e, a):
                if x != y:
                    if name == "latency_hist":
                        x, y = hist_decode(x), hist_decode(y)
                        dx = {i: (x.get(i, 0), y.get(i, 0))
                              for i in set(x) | set(y)
                              if x.get(i, 0) != y.get(i, 0)}
                        cols.append(f"latency_hist buckets ({ne}, {na}) "
                                    f"{dict(sorted(dx.items())[:6])}")
                    else:
                        cols.append(f"{name} {ne} {x}, {na} {y}")
            msgs.append(f"{what} {k}: " + "; ".join(cols))
        if len(msgs) >= limit:
            msgs.append("...")
            break
    return msgs


def describe(t):
    return {n: (hist_decode(v) if n == "latency_hist" else v)
            for n, v in zip(COL_NAMES[3:], t)}


def check_rollups_exact(db, zone, what="", ignore_hours=()):
    """Every row of hourly_stats and daily_stats equals the computation from
    the raw rows, key by key and column by column (but hours named in
    ignore_hours)."""
    eh, ed = expected_stats(raw_rows(db), zone)
    hs = {k: v for k, v in table_stats(db, "hourly_stats").items()
          if k[0] not in ignore_hours}
    msgs = (diff_stats(eh, hs, "hourly_stats") +
            diff_stats(ed, table_stats(db, "daily_stats"), "daily_stats"))
    check(not msgs, f"{what}rollups differ from the raw rows ({zone}):\n  " +
          "\n  ".join(msgs))
    return eh, ed


def check_same_rollups(a, b, what, names=("incremental", "rebuild")):
    msgs = []
    for t in ("hourly_stats", "daily_stats"):
        x, y = dict(((r[0], r[1], r[2]), r[3:]) for r in a[t]), \
            dict(((r[0], r[1], r[2]), r[3:]) for r in b[t])
        msgs += diff_stats(x, y, t, names=names)
    check(not msgs, f"{what}:\n  " + "\n  ".join(msgs))


def rebuild_copy(env, conf, now, tag="rebuild"):
    """Copy the database, run --rebuild on the copy; its rollups."""
    c = json.loads(Path(conf).read_text())
    copy = env.dir / f"{tag}.db"
    copy_db(c["database"], copy)
    c["database"] = str(copy)
    c.pop("notify", None)
    cpath = env.dir / f"{tag}.json"
    cpath.write_text(json.dumps(c, indent=2))
    env.aggregate(str(cpath), now=now, rebuild=True)
    return rollup_dump(copy)


AUDITED = ("hourly_stats", "daily_stats", "alerts", "outbox", "deliveries",
           "api_requests")


def install_audit(db):
    """Triggers that log every row written to the job's tables."""
    con = connect(db)
    con.execute("CREATE TABLE IF NOT EXISTS zz_audit (tbl TEXT, op TEXT)")
    for t in AUDITED:
        for op in ("INSERT", "UPDATE", "DELETE"):
            con.execute(f"CREATE TRIGGER IF NOT EXISTS zz_{t}_{op} AFTER {op} "
                        f"ON {t} BEGIN INSERT INTO zz_audit VALUES "
                        f"('{t}', '{op}'); END")
    con.commit()
    con.close()


def audit_take(db):
    con = connect(db)
    rows = con.execute("SELECT tbl, op, COUNT(*) FROM zz_audit GROUP BY 1, 2"
                       ).fetchall()
    con.execute("DELETE FROM zz_audit")
    con.commit()
    con.close()
    return {(t, o): n for t, o, n in rows}


# --------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------

SEQ = [0]


def rec(ts, **kw):
    """A valid record at ts (ms or RFC 3339); keyword args add/override;
    a value of None removes the field."""
    SEQ[0] += 1
    r = {"request_id": f"t-{os.getpid()}-{SEQ[0]}", "source": "web",
         "status": "success", "execution_time": 0.25,
         "timestamp": ts if isinstance(ts, str) else iso_of(ts)}
    for k, v in kw.items():
        if v is None:
            r.pop(k, None)
        else:
            r[k] = v
    return r


def varied(ts, i, source="hand"):
    """A record whose optional fields vary with i."""
    rnd = random.Random(i * 7919 + ts)
    statuses = ("success", "success", "error", "timeout", "rate_limited",
                "success")
    kw = {"source": source, "status": statuses[i % len(statuses)],
          "execution_time": round(rnd.uniform(0.0, 8.0), 6)}
    m = i % 5
    if m == 0:
        kw["model"] = "gpt-4o-mini"                 # priced from tokens
        kw["input_tokens"] = rnd.randint(0, 5000)
        kw["output_tokens"] = rnd.randint(0, 900)
    elif m == 1:
        kw["model"] = "mystery-9b"                  # unpriced
        kw["tokens_used"] = rnd.randint(1, 999)
    elif m == 2:
        kw["model"] = "gpt-4o"                      # reported cost
        kw["cost"] = round(rnd.uniform(0, 0.2), 9)
        kw["output_tokens"] = rnd.randint(0, 700)   # input_tokens NULL
    elif m == 3:
        kw["cost"] = 0.0005                         # no model, reported
    # m == 4: no model, no cost, no tokens
    if i % 3 == 0:
        kw["user_id"] = f"u{i % 7}"
    elif i % 3 == 1:
        kw["user_id"] = f"v{i % 4}"
    if i % 4 == 0:
        kw["time_to_first_token"] = round(rnd.uniform(0, 2), 6)
    if i % 11 == 0:
        kw["execution_time"] = 0                    # bucket 0
    if i % 13 == 0:
        kw["execution_time"] = 0.000001             # 1 us: bucket 0
    r = rec(ts, **kw)
    if i % 17 == 0:                                 # Unix seconds, fractional
        r["timestamp"] = ts / 1000.0
    return r


# --------------------------------------------------------------------------
# HTTP receiver and command notifier
# --------------------------------------------------------------------------

class Receiver:
    """An HTTP server on 127.0.0.1 that records every request it gets and
    answers with self.status (or self.status_for[path])."""

    def __init__(self, port=0, logfile=None):
        self.requests = []
        self.status = 200
        self.status_for = {}
        self.lock = threading.Lock()
        rcv = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with rcv.lock:
                    st = rcv.status_for.get(self.path, rcv.status)
                    rcv.requests.append({"path": self.path, "body": body,
                                         "ctype": self.headers.get(
                                             "Content-Type"),
                                         "status": st})
                self.send_response(st)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "11")
                self.end_headers()
                self.wfile.write(b'{"ok":true}')

            do_PUT = do_GET = do_POST

            def log_message(self, fmt, *args):
                if logfile is not None:
                    with open(logfile, "a") as f:
                        f.write("%s %s\n" % (self.address_string(),
                                             fmt % args))

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        RECEIVERS.add(self)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def taken(self):
        with self.lock:
            return list(self.requests)

    def stop(self):
        if self in RECEIVERS:
            self.srv.shutdown()
            self.srv.server_close()
            self.thread.join(5)
            RECEIVERS.discard(self)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def capture_notifier(env, fail_flag=None):
    """A command notifier that appends each payload as one line to a file;
    it exits 1 (not delivered) while fail_flag exists."""
    cap = env.dir / "captured.ndjson"
    script = 'cat >> "$0" && echo >> "$0"'
    argv = ["/bin/sh", "-c", script, str(cap)]
    if fail_flag is not None:
        argv = ["/bin/sh", "-c", '[ -e "$1" ] && exit 1; ' + script, str(cap),
                str(fail_flag)]
    return ({"type": "command", "argv": argv}, cap,
            fnv_key("command", "sh", " ".join(argv)))


def messages(cap):
    """What the command notifier got: one JSON document a message."""
    if not cap.exists():
        return []
    return [json.loads(line) for line in cap.read_text().splitlines()
            if line.strip()]


def captured(cap):
    """The alert events of every message the command notifier got, in
    order."""
    return [e for m in messages(cap) for e in m.get("events", [])]


def alerts_of(db):
    rows = query(db, "SELECT rule, scope, day, severity, state, value,"
                 " threshold, message, fired_ms, updated_ms, resolved_ms, id"
                 " FROM alerts ORDER BY id")
    keys = ("rule", "scope", "day", "severity", "state", "value", "threshold",
            "message", "fired_ms", "updated_ms", "resolved_ms", "id")
    return {(r[0], r[1], r[2]): dict(zip(keys, r)) for r in rows}


def outbox_of(db):
    rows = query(db, "SELECT o.id, a.rule, a.scope, a.day, o.event, o.payload,"
                 " o.created_ms FROM outbox o JOIN alerts a ON a.id ="
                 " o.alert_id ORDER BY o.id")
    return [{"id": r[0], "rule": r[1], "scope": r[2], "day": r[3],
             "event": r[4], "payload": r[5], "created_ms": r[6]} for r in rows]


def deliveries_of(db):
    rows = query(db, "SELECT outbox_id, notifier, attempts, next_ms,"
                 " delivered_ms, last_error FROM deliveries"
                 " ORDER BY outbox_id, notifier")
    keys = ("outbox_id", "notifier", "attempts", "next_ms", "delivered_ms",
            "last_error")
    return [dict(zip(keys, r)) for r in rows]


def check_payload(p, **want):
    keys = {"event", "rule", "scope", "day", "severity", "state", "value",
            "threshold", "message", "time", "fired"}
    eq(set(p), keys, "payload keys")
    for k, v in want.items():
        if isinstance(v, float):
            check(abs(p[k] - v) <= 1e-9 * max(1, abs(v)),
                  f"payload {k}: expected {v}, got {p[k]} in {p}")
        else:
            eq(p[k], v, f"payload {k} of {p}")


def chat_code(s, kind):
    """What came from a request, in a code span escaped for the service
    (Slack & < >, Telegram HTML)."""
    if kind != "discord":
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if kind == "telegram":
        return f"<code>{s}</code>"
    return "`" + s.replace("`", "\u02cb") + "`"


def chat(p, kind="slack"):
    """The line a chat service gets: what came from a request sits in a
    code span."""
    tag = ("RESOLVED" if p["event"] == "resolve" else
           "CRITICAL" if p["severity"] == "critical" else "WARNING")
    return (f"[{tag}] apimon: {chat_code(p['message'], kind)} "
            f"({chat_code(p['scope'], kind)}, {p['day']})")


def fnv_key(kind, where, identity):
    """The notifier key apimon stores: type, where it sends, a hash."""
    h = 0xcbf29ce484222325
    for b in identity.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return f"{kind} {where} #{(h ^ (h >> 32)) & 0xffffffff:08x}"


# --------------------------------------------------------------------------
# shared data sets
# --------------------------------------------------------------------------

ZONES = ("UTC", "Asia/Taipei", "America/New_York", "Asia/Kolkata",
         "America/Santiago")

# windows (UTC) around DST changes and odd offsets, filled with hand rows
WINDOWS = (("2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z"),   # NY 23 h day
           ("2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z"),   # NY 25 h day
           ("2026-04-04T00:00:00Z", "2026-04-06T12:00:00Z"),   # Santiago 25 h
           ("2026-09-05T00:00:00Z", "2026-09-07T12:00:00Z"))   # Santiago 23 h


def hand_rows():
    """Rows every 20 minutes through WINDOWS, and rows 1 ms either side of
    every local midnight (and around every DST change) of every zone."""
    out, i = [], 0
    for a, b in WINDOWS:
        t = ms_of(a)
        while t < ms_of(b):
            out.append(varied(t + (i * 37) % 60000, i))
            i += 1
            t += 20 * 60 * 1000
    edges = set()
    for z in ZONES:
        for a, b in WINDOWS + (("2026-03-03T00:00:00Z", "2026-03-13T00:00:00Z"),
                               ("2026-10-27T00:00:00Z", "2026-11-06T00:00:00Z")):
            d = local_day(ms_of(a), z)
            while local_midnight_ms(d, z) < ms_of(b):
                m = local_midnight_ms(d, z)
                edges.update((m - 1, m, m + 1))
                d = add_days(d, 1)
    # the DST instants themselves (UTC): NY 2026-03-08 07:00, 2026-11-01 06:00
    for s in ("2026-03-08T06:59:59.999Z", "2026-03-08T07:00:00.000Z",
              "2026-11-01T05:30:00.000Z", "2026-11-01T06:30:00.000Z",
              "2026-11-01T05:59:59.999Z", "2026-11-01T06:00:00.000Z",
              "2026-04-05T02:59:59.999Z", "2026-04-05T03:00:00.000Z",
              "2026-09-06T03:59:59.999Z", "2026-09-06T04:00:00.000Z"):
        edges.add(ms_of(s))
    for t in sorted(edges):
        out.append(varied(t, i, source="edge"))
        i += 1
    return out


def template(env, name, build):
    """A database built once per run by build(env, conf) and copied."""
    if name not in TEMPLATES:
        tdir = OUT / "_templates"
        tdir.mkdir(parents=True, exist_ok=True)
        db = tdir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(str(db) + suffix)
            except FileNotFoundError:
                pass
        conf = env.config(name=f"template-{name}.json", db=str(db))
        build(env, conf)
        con = connect(db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        TEMPLATES[name] = db
    return TEMPLATES[name]


def build_dst_set(env, conf):
    a = env.simulate(10, 2000, 11, "2026-03-13T00:00:00Z", "sim-march.ndjson")
    b = env.simulate(10, 2000, 12, "2026-11-06T00:00:00Z", "sim-nov.ndjson")
    env.ingest(conf, path=a)
    env.ingest(conf, path=b)
    env.ingest(conf, records=hand_rows())


# --------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def exactness(env, zone, checks=None):
    tdb = template(env, "dst", build_dst_set)
    conf = env.config(timezone=zone)
    copy_db(tdb, env.db_of(conf))
    s = env.aggregate(conf, now="2026-11-10T00:00:00Z")
    n = query(env.db_of(conf), "SELECT COUNT(*) FROM api_requests")[0][0]
    eq(s["rows"], n, "rows rolled up (summary)")
    eh, ed = check_rollups_exact(env.db_of(conf), zone)
    # hours and days hold the same totals
    hs = table_stats(env.db_of(conf), "hourly_stats").values()
    ds = table_stats(env.db_of(conf), "daily_stats").values()
    for col in range(len(COL_NAMES) - 3):
        if COL_NAMES[3 + col] in ("latency_hist", "users"):
            continue
        eq(sum(v[col] for v in hs), sum(v[col] for v in ds),
           f"sum of {COL_NAMES[3 + col]} over hours vs over days")
    check(len(ed) > 100 and len(eh) > 1000, "the data set is too small")
    if checks:
        checks(env.db_of(conf))
    # a --rebuild gives the very same tables
    before = rollup_dump(env.db_of(conf))
    env.aggregate(conf, now="2026-11-10T00:00:00Z", rebuild=True)
    check_same_rollups(before, rollup_dump(env.db_of(conf)),
                       "--rebuild changed the rollups", ("before", "after"))


def day_hours(db, day, source="hand"):
    """Distinct UTC hours of the rows of one source counted in day."""
    return query(db, "SELECT SUM(requests) FROM daily_stats WHERE day = ? AND"
                 " source = ?", (day, source))[0][0]


@test
def test_rollup_matches_raw_rows_in_utc():
    env = Env("test_rollup_matches_raw_rows_in_utc")

    def more(db):
        # hand rows come every 20 minutes: 72 per whole UTC day
        eq(day_hours(db, "2026-03-08"), 72, "hand rows on 2026-03-08 (UTC)")
    exactness(env, "UTC", more)


@test
def test_a_day_of_400_models_is_grouped_by_sqlite_and_stays_exact():
    """A day's rollup groups its rows itself (by hash) unless its groups and
    users would take more than rollup_hash_bytes (24 MiB): 400 models on
    one day (each group holds 25 hour buckets of ~5 KB) take the sorted way,
    a small day the next one the hashed way; both equal the raw rows, and
    --rebuild (both days, two threads) gives the same tables."""
    env = Env("test_a_day_of_400_models_is_grouped_by_sqlite_and_stays_exact")
    conf = env.config(timezone="Asia/Taipei")
    db = env.db_of(conf)
    big = [varied(T + (k * 7919) % DAY_MS // 2, k, source=("web", "tg")[k % 2])
           for k in range(1200)]
    for k, r in enumerate(big):
        r["model"] = f"m-{k % 400:03d}"
        r["user_id"] = f"u-{k % 37}"
    small = [varied(T + DAY_MS + k * 60000, k) for k in range(50)]
    env.ingest(conf, records=big + small)
    env.aggregate(conf, now=iso_of(T + 2 * DAY_MS))
    eq(query(db, "SELECT COUNT(DISTINCT model) FROM daily_stats WHERE day = ?",
             (DAY,)), [(400,)], "models of the big day")
    check_rollups_exact(db, "Asia/Taipei")
    check_same_rollups(rollup_dump(db),
                       rebuild_copy(env, conf, iso_of(T + 2 * DAY_MS)),
                       "--rebuild")


@test
def test_rollup_matches_raw_rows_in_asia_taipei():
    env = Env("test_rollup_matches_raw_rows_in_asia_taipei")
    exactness(env, "Asia/Taipei")


@test
def test_rollup_matches_raw_rows_in_new_york_across_23_and_25_hour_days():
    env = Env("test_rollup_matches_raw_rows_in_new_york_across_23_and_25_"
              "hour_days")

    def more(db):
        eq(day_hours(db, "2026-03-08"), 69,
           "hand rows (one per 20 min) on the 23-hour day 2026-03-08")
        eq(day_hours(db, "2026-11-01"), 75,
           "hand rows (one per 20 min) on the 25-hour day 2026-11-01")
        eq(day_hours(db, "2026-03-07"), 72, "hand rows on 2026-03-07")
    exactness(env, "America/New_York", more)


@test
def test_rollup_matches_raw_rows_in_asia_kolkata_half_hour_offset():
    env = Env("test_rollup_matches_raw_rows_in_asia_kolkata_half_hour_offset")

    def more(db):
        # Local hours start at :30 UTC: the rows either side of local
        # midnight fall in the last hour of one day and the first of the
        # next, never in an hour shared by two days.
        got = query(db, "SELECT hour, SUM(requests) FROM hourly_stats WHERE"
                    " hour IN ('2026-03-08T17:30', '2026-03-08T18:30') AND"
                    " source = 'edge' GROUP BY hour ORDER BY hour")
        eq(got, [("2026-03-08T17:30", 1), ("2026-03-08T18:30", 2)],
           "edge rows 18:29:59.999Z (23:59 local) and 18:30:00.000Z, "
           "18:30:00.001Z (00:00 local) by local hour")
    exactness(env, "Asia/Kolkata", more)


@test
def test_rollup_matches_raw_rows_in_santiago_where_dst_skips_midnight():
    env = Env("test_rollup_matches_raw_rows_in_santiago_where_dst_skips_"
              "midnight")

    def more(db):
        eq(day_hours(db, "2026-09-06"), 69, "hand rows on the 23-hour day "
           "2026-09-06 (starts 01:00 local)")
        eq(day_hours(db, "2026-04-04"), 75, "hand rows on the 25-hour day "
           "2026-04-04")
    exactness(env, "America/Santiago", more)


@test
def test_histogram_bucket_edges_match_the_definition():
    """One value per UTC hour, each on or just past a bucket edge."""
    env = Env("test_histogram_bucket_edges_match_the_definition")
    conf = env.config()
    vals = {0, 1, 2, 3, 86_400_000_000}
    for i in range(1, 632):
        b = GAMMA ** i
        if b > 86_400_000_000:
            break
        vals.update((math.floor(b), math.floor(b) + 1, math.ceil(b)))
    vals = sorted(v for v in vals if v <= 86_400_000_000)
    t0 = ms_of("2026-01-01T00:30:00Z")
    recs = [rec(t0 + k * HOUR_MS, execution_time=v / 1e6, source="h")
            for k, v in enumerate(vals)]
    env.ingest(conf, records=recs)
    env.aggregate(conf, now="2026-04-01T00:00:00Z")
    db = env.db_of(conf)
    got = {r[0]: hist_decode(r[1]) for r in
           query(db, "SELECT hour, latency_hist FROM hourly_stats")}
    lat = {local_hour(ts, "UTC"): l for ts, l in
           query(db, "SELECT ts_ms, latency_us FROM api_requests")}
    bad = []
    for hour, us in sorted(lat.items()):
        want = {hist_index(us): 1}
        if got.get(hour) != want:
            bad.append(f"{us} us: expected bucket {want}, got {got.get(hour)}"
                       f" (GAMMA^(i-1)={GAMMA ** (hist_index(us) - 1):.6f},"
                       f" GAMMA^i={GAMMA ** hist_index(us):.6f})")
        q = hist_quantile(got.get(hour, {}), 0.5)
        if us > 1 and abs(q - us) > 0.02 * us + 0.5:
            bad.append(f"{us} us: its bucket answers {q} us, more than 2 % "
                       "away")
    check(not bad, f"{len(bad)} values in the wrong bucket:\n  " +
          "\n  ".join(bad[:10]))
    check_rollups_exact(db, "UTC")


@test
def test_percentiles_of_day_week_month_and_source_within_2_percent():
    env = Env("test_percentiles_of_day_week_month_and_source_within_2_percent")
    zone = "Asia/Taipei"
    conf = env.config(timezone=zone)
    sim = env.simulate(40, 1000, 21, "2026-10-05T00:00:00Z")
    env.ingest(conf, path=sim)
    # a tail of slow calls and a few sub-millisecond ones
    extra = [rec(ms_of("2026-09-16T03:00:00Z") + k * 61000,
                 execution_time=[0.0004, 12.5, 33.0, 0.000002][k % 4],
                 source="telegram") for k in range(400)]
    env.ingest(conf, records=extra)
    env.aggregate(conf, now="2026-10-05T00:00:00Z")
    db = env.db_of(conf)
    z = ZoneInfo(zone)
    raw = [(local_day(ts, z), src, lat) for ts, src, lat in
           query(db, "SELECT ts_ms, source, latency_us FROM api_requests")]
    daily = query(db, "SELECT day, source, latency_hist, requests FROM"
                  " daily_stats")

    def iso_week(day):
        y, w, _ = datetime.date.fromisoformat(day).isocalendar()
        return f"{y}-W{w:02d}"

    periods = [
        ("day 2026-09-16", lambda d, s: d == "2026-09-16"),
        ("ISO week 2026-W38", lambda d, s: iso_week(d) == "2026-W38"),
        ("month 2026-09", lambda d, s: d.startswith("2026-09")),
        ("telegram in 2026-09", lambda d, s: d.startswith("2026-09") and
         s == "telegram"),
        ("web on 2026-09-20", lambda d, s: d == "2026-09-20" and s == "web"),
    ]
    bad, lines = [], []
    for name, sel in periods:
        h = {}
        n = 0
        for day, src, blob, req in daily:
            if sel(day, src):
                hist_merge(h, hist_decode(blob))
                n += req
        values = [lat for day, src, lat in raw if sel(day, src)]
        eq(sum(h.values()), len(values), f"histogram count of {name}")
        eq(n, len(values), f"requests of {name}")
        for q in (0.5, 0.95, 0.99):
            ex = exact_quantile(values, q)
            ap = hist_quantile(h, q)
            lines.append(f"{name} p{int(q * 100)}: exact {ex} us, from "
                         f"buckets {ap} us")
            if abs(ap - ex) > 0.02 * ex + 0.5:
                bad.append(lines[-1] + f" ({(ap - ex) / ex * 100:+.2f} %)")
    (env.dir / "percentiles.txt").write_text("\n".join(lines) + "\n")
    check(not bad, "percentiles more than 2 % off:\n  " + "\n  ".join(bad))


# ---- incremental == rebuild -------------------------------------------------

def interleave(env, zone, seed):
    rnd = random.Random(seed)
    conf = env.config(timezone=zone, db=f"inc-{seed}.db")
    db = env.db_of(conf)
    sim = env.simulate(12, 1500, 100 + seed, "2026-06-15T00:00:00Z",
                       f"sim-{seed}.ndjson")
    pool = [json.loads(line) for line in sim.read_text().splitlines()]
    pool.sort(key=lambda r: r["timestamp"])
    start, end = ms_of(pool[0]["timestamp"]), ms_of(pool[-1]["timestamp"])
    held, pos, runs, i = [], 0, 0, 0
    steps = 0
    while (pos < len(pool) or held) and steps < 40:
        steps += 1
        batch = []
        take = rnd.randint(200, 4000)
        for r in pool[pos:pos + take]:
            (held if rnd.random() < 0.05 else batch).append(r)
        pos += take
        frontier = ms_of(pool[min(pos, len(pool)) - 1]["timestamp"])
        if held and rnd.random() < 0.5:          # late rows, days old
            rnd.shuffle(held)
            k = rnd.randint(1, len(held))
            batch += held[:k]
            held = held[k:]
        for _ in range(rnd.randint(0, 30)):      # back-dated hand rows
            i += 1
            batch.append(varied(rnd.randint(start - 3 * DAY_MS, frontier),
                                seed * 100000 + i, source="late"))
        for _ in range(rnd.randint(0, 5)):       # rows of days to come
            i += 1
            batch.append(varied(frontier + rnd.randint(0, 3 * DAY_MS),
                                seed * 100000 + i, source="early"))
        if pos >= len(pool):
            batch += held
            held = []
        if batch:
            env.ingest(conf, records=batch)
        if rnd.random() < 0.6 or pos >= len(pool):
            runs += 1
            now = iso_of(frontier + rnd.randint(0, 5 * HOUR_MS))
            env.aggregate(conf, now=now)
            check_same_rollups(rollup_dump(db),
                               rebuild_copy(env, conf, now, f"rebuild-{seed}"),
                               f"{zone} seed {seed} run {runs}: incremental "
                               "rollups differ from --rebuild")
    env.aggregate(conf, now=iso_of(end + DAY_MS))
    check_rollups_exact(db, zone, f"{zone} seed {seed} after {runs} runs: ")
    check(runs >= 3, "too few runs")
    return conf


@test
def test_incremental_equals_rebuild_after_random_imports_in_kolkata():
    env = Env("test_incremental_equals_rebuild_after_random_imports_in_kolkata")
    for seed in (1, 2):
        interleave(env, "Asia/Kolkata", seed)


@test
def test_incremental_equals_rebuild_after_random_imports_in_new_york():
    env = Env("test_incremental_equals_rebuild_after_random_imports_in_new_"
              "york")
    interleave(env, "America/New_York", 3)


@test
def test_second_run_with_nothing_new_writes_no_row():
    env = Env("test_second_run_with_nothing_new_writes_no_row")
    tdb = template(env, "dst", build_dst_set)
    cap_notify, cap, _ = capture_notifier(env)
    conf = env.config(timezone="America/New_York", notify=[cap_notify],
                      alerts={"daily_cost_usd": 5, "error_rate": 0.05,
                              "min_requests": 20, "latency_p95_s": 3})
    db = env.db_of(conf)
    copy_db(tdb, db)
    now = "2026-11-05T12:00:00Z"
    first = env.aggregate(conf, now=now)
    check(first["fired"] > 0, f"the data set fires no alert: {first}")
    # a run delivers at most 200 notifications; let the rest go out
    for _ in range(10):
        if env.aggregate(conf, now=now)["delivered"] == 0:
            break
    sent = query(db, "SELECT count(*) FROM outbox WHERE held IS NULL")[0][0]
    eq(len(captured(cap)), sent, "notifications delivered vs outbox rows")
    # Days over more than notify_max_age_hours (48) before now are history:
    # recorded, not sent.
    held = query(db, "SELECT DISTINCT o.held, a.day FROM outbox o JOIN"
                 " alerts a ON a.id = o.alert_id WHERE o.held IS NOT NULL")
    check(held and all(h == "old" and d < "2026-11-03" for h, d in held),
          f"events held back: {held}")
    check(sent > 0 and all(json.loads(p)["day"] >= "2026-11-03"
                           for p in [e["payload"] for e in outbox_of(db)
                                     if e["id"] in {r[0] for r in query(
                                         db, "SELECT id FROM outbox WHERE"
                                         " held IS NULL")}]),
          "only the last two days' events are sent")
    install_audit(db)
    tables = {t: dump(db, t) for t in AUDITED}
    n_cap = len(captured(cap))
    s = env.aggregate(conf, now=now)
    eq((s["rows"], s["days"], s["fired"], s["escalated"], s["resolved"],
        s["purged"], s["delivered"], s["failed"]), (0, 0, 0, 0, 0, 0, 0, 0),
       "second run's counts (rows, days, fired, escalated, resolved, purged,"
       " delivered, failed)")
    eq(audit_take(db), {}, "rows written by a run with nothing new "
       "((table, op): count)")
    for t in AUDITED:
        check(dump(db, t) == tables[t], f"table {t} changed")
    eq(len(captured(cap)), n_cap, "notifications sent by the second run")
    # an hour later, still nothing new: the alerts of today are judged again
    s = env.aggregate(conf, now="2026-11-05T13:00:00Z")
    eq(audit_take(db), {}, "rows written an hour later with nothing new")


def build_big(env, conf):
    sim = env.simulate(40, 2500, 31, "2026-08-01T00:00:00Z", "sim-big.ndjson")
    env.ingest(conf, path=sim)


@test
def test_run_killed_midway_then_rerun_equals_rebuild():
    env = Env("test_run_killed_midway_then_rerun_equals_rebuild")
    rnd = random.Random(7)
    tdb = template(env, "big", build_big)
    zone = "Asia/Kolkata"
    conf = env.config(timezone=zone)
    db = env.db_of(conf)
    copy_db(tdb, db)
    now = "2026-08-01T06:00:00Z"
    # How much CPU a whole run takes (not how long: other work on the
    # machine stretches wall time, and would let a run finish unkilled).
    probe = env.dir / "probe.json"
    c = json.loads(Path(conf).read_text())
    c["database"] = str(env.dir / "probe.db")
    probe.write_text(json.dumps(c))
    copy_db(tdb, c["database"])
    cpu0 = children_cpu_seconds()
    env.aggregate(str(probe), now=now)
    full = children_cpu_seconds() - cpu0
    killed, i = 0, 0
    for attempt in range(4):
        p = env.start_aggregate(conf, now)
        target = rnd.uniform(0.3, 0.8) * full
        while p.poll() is None and (cpu_seconds(p.pid) or 0) < target:
            time.sleep(0.005)
        alive = p.poll() is None
        if alive:
            p.send_signal(signal.SIGKILL)
            killed += 1
        reap(p)
        env.log.write(f"# attempt {attempt}: kill after {target:.2f} CPU s "
                      f"of {full:.2f}; killed={alive} rc={p.returncode}\n")
        # a few new and late rows between the attempts
        batch = []
        for _ in range(50):
            i += 1
            batch.append(varied(ms_of("2026-06-20T00:00:00Z") +
                                rnd.randint(0, 42 * DAY_MS), 900000 + i,
                                source="late"))
        env.ingest(conf, records=batch)
        ok = query(db, "PRAGMA integrity_check")[0][0]
        eq(ok, "ok", "integrity_check after a killed run")
    check(killed >= 2, f"only {killed} of 4 runs were still running when "
          f"killed (a whole run takes {full:.2f} CPU s)")
    env.aggregate(conf, now=now)
    check_same_rollups(rollup_dump(db), rebuild_copy(env, conf, now),
                       "after killed runs, incremental rollups differ from "
                       "--rebuild")
    check_rollups_exact(db, zone, "after killed runs: ")


@test
def test_imports_during_runs_then_one_more_run_equals_rebuild():
    env = Env("test_imports_during_runs_then_one_more_run_equals_rebuild")
    tdb = template(env, "big", build_big)
    zone = "America/New_York"
    conf = env.config(timezone=zone)
    db = env.db_of(conf)
    copy_db(tdb, db)
    now = "2026-08-02T06:00:00Z"
    rnd = random.Random(11)
    errors = []

    def writer():
        try:
            for b in range(8):
                env.ingest(conf, records=[
                    varied(ms_of("2026-06-20T00:00:00Z") +
                           rnd.randint(0, 43 * DAY_MS), 700000 + b * 1000 + k,
                           source="busy") for k in range(400)])
        except BaseException as e:          # reported by the main thread
            errors.append(e)
    th = threading.Thread(target=writer)
    th.start()
    runs = 0
    try:
        while th.is_alive() and runs < 12:
            env.aggregate(conf, now=now)
            runs += 1
    finally:
        th.join(120)
    if errors:
        raise errors[0]
    env.aggregate(conf, now=now)
    check_same_rollups(rollup_dump(db), rebuild_copy(env, conf, now),
                       f"after {runs} runs during imports, incremental "
                       "rollups differ from --rebuild")
    check_rollups_exact(db, zone, f"after {runs} runs during imports: ")


def known_days(db):
    return dict(query(db, "SELECT day, upto_id FROM rollup_days"))


@test
def test_a_busy_day_gets_only_its_new_rows_added_and_stays_exact():
    """Today and yesterday are known (rollup_days, rollup_users): a run adds
    their new rows to the rollups, deleting none, and counts only the users
    a bucket had not counted; the tables then equal --rebuild's and the raw
    rows' whatever mix of new, returning and late users and rows comes.  An
    older day is read whole; days before yesterday are forgotten; three runs
    at once while rows arrive still end equal to --rebuild."""
    env = Env("test_a_busy_day_gets_only_its_new_rows_added_and_stays_exact")
    zone = "Asia/Taipei"
    conf = env.config(timezone=zone)
    db = env.db_of(conf)
    day0 = ms_of("2026-11-20T16:00:00Z")        # 2026-11-21 00:00 in Taipei
    now = iso_of(day0 + 20 * HOUR_MS)
    rnd = random.Random(5)
    i = 0

    def batch(n, lo, hi):
        nonlocal i
        out = []
        for _ in range(n):
            i += 1
            r = varied(rnd.randint(lo, hi), 300000 + i)
            if i % 9 == 0:
                r["user_id"] = f"new-{i}"           # a user seen once
            out.append(r)
        return out

    env.ingest(conf, records=batch(400, day0 - 20 * HOUR_MS,
                                   day0 + 18 * HOUR_MS) +
               batch(15, day0 - 5 * DAY_MS, day0 - 4 * DAY_MS))
    env.aggregate(conf, now=now)
    top = query(db, "SELECT MAX(id) FROM api_requests")[0][0]
    eq(known_days(db), {"2026-11-20": top, "2026-11-21": top},
       "known days after the first run")
    install_audit(db)
    for step in range(6):
        recs = batch(150, day0 + 17 * HOUR_MS, day0 + 20 * HOUR_MS)
        recs += batch(20, day0, day0 + 17 * HOUR_MS)     # earlier hours
        recs += batch(10, day0 - 20 * HOUR_MS, day0 - 1)  # yesterday
        if step == 3:
            recs += batch(15, day0 - 5 * DAY_MS, day0 - 4 * DAY_MS)
        env.ingest(conf, records=recs)
        env.aggregate(conf, now=now)
        ops = audit_take(db)
        deleted = {k: v for k, v in ops.items() if k[1] == "DELETE" and
                   k[0] in ("hourly_stats", "daily_stats")}
        if step == 3:
            check(deleted, f"step {step}: the old day was read whole: {ops}")
        else:
            eq(deleted, {}, f"step {step}: rollup rows deleted")
        top = query(db, "SELECT MAX(id) FROM api_requests")[0][0]
        eq(known_days(db), {"2026-11-20": top, "2026-11-21": top},
           f"step {step}: known days")
        check_same_rollups(rollup_dump(db),
                           rebuild_copy(env, conf, now, f"rebuild-{step}"),
                           f"step {step}: rollups differ from --rebuild")
        check_rollups_exact(db, zone, f"step {step}: ")

    # Three runs at once while rows arrive.
    procs = [env.start_aggregate(conf, now) for _ in range(3)]
    for _ in range(3):
        env.ingest(conf, records=batch(100, day0 + 19 * HOUR_MS,
                                       day0 + 20 * HOUR_MS))
    for p in procs:
        reap(p)
        eq(p.returncode, 0, "a run beside two others")
    env.aggregate(conf, now=now)
    check_same_rollups(rollup_dump(db), rebuild_copy(env, conf, now, "three"),
                       "after three runs at once")
    check_rollups_exact(db, zone, "after three runs at once: ")

    # Three days on: only the new recent days are known.
    later = iso_of(day0 + 3 * DAY_MS + HOUR_MS)
    env.ingest(conf, records=batch(30, day0 + 3 * DAY_MS, day0 + 3 * DAY_MS +
                                   HOUR_MS))
    env.aggregate(conf, now=later)
    eq(sorted(known_days(db)), ["2026-11-24"], "known days three days on")
    eq(query(db, "SELECT DISTINCT day FROM rollup_users"), [("2026-11-24",)],
       "users kept three days on")
    check_rollups_exact(db, zone, "three days on: ")


@test
def test_a_day_of_too_many_users_is_read_whole_and_stays_exact():
    """A day whose users would take more than 100,000 inserts into
    rollup_users (each made while the write lock is held) is not known: it
    is read whole on every run, as before schema 7, and stays exact; a
    small day beside it is known."""
    env = Env("test_a_day_of_too_many_users_is_read_whole_and_stays_exact")
    conf = env.config()
    db = env.db_of(conf)
    day0 = ms_of("2026-11-21T00:00:00Z")
    now = iso_of(day0 + 20 * HOUR_MS)
    many = [rec(day0 + 10 * HOUR_MS + k * 50, user_id=f"many-{k}")
            for k in range(51000)]              # 102,000 (user, bucket) pairs
    few = [rec(day0 - 5 * HOUR_MS + k * 1000, user_id=f"few-{k % 7}")
           for k in range(40)]
    env.ingest(conf, records=many + few)
    env.aggregate(conf, now=now)
    top = query(db, "SELECT MAX(id) FROM api_requests")[0][0]
    eq(known_days(db), {"2026-11-20": top}, "known days")
    eq(query(db, "SELECT COUNT(*) FROM rollup_users WHERE day ="
             " '2026-11-21'"), [(0,)], "users noted for the big day")
    eq(query(db, "SELECT users FROM daily_stats WHERE day = '2026-11-21'"),
       [(51000,)], "users of the big day")
    env.ingest(conf, records=[rec(day0 + 11 * HOUR_MS + k, user_id=f"many-{k}")
                              for k in range(0, 60000, 10)] +
               [rec(day0 - 4 * HOUR_MS, user_id="few-1")])
    env.aggregate(conf, now=now)
    eq(query(db, "SELECT users FROM daily_stats WHERE day = '2026-11-21'"),
       [(51900,)], "users of the big day after more")
    eq(sorted(known_days(db)), ["2026-11-20"], "known days after more")
    check_rollups_exact(db, "UTC", "too many users: ")
    check_same_rollups(rollup_dump(db), rebuild_copy(env, conf, now),
                       "too many users: rollups differ from --rebuild")


# ---- alerts -------------------------------------------------------------------

DAY = "2026-11-20"
T = ms_of(DAY + "T01:00:00Z")


def alert_env(name, zone="UTC", notify_extra=(), fail_flag=None, **alerts):
    env = Env(name)
    cn, cap, key = capture_notifier(env, fail_flag)
    conf = env.config(timezone=zone, alerts=alerts,
                      notify=[cn] + list(notify_extra))
    return env, conf, env.db_of(conf), cap, key


@test
def test_daily_cost_warning_then_critical_fires_once_and_escalates_once():
    env, conf, db, cap, key = alert_env(
        "test_daily_cost_warning_then_critical_fires_once_and_escalates_once",
        daily_cost_usd=10, warn_ratio=0.8)
    now1, now2, now3 = (DAY + "T12:00:00Z", DAY + "T12:30:00Z",
                        DAY + "T13:00:00Z")
    # $7.50: under 80 %
    env.ingest(conf, records=[rec(T + k * 1000, cost=0.5) for k in range(15)])
    s = env.aggregate(conf, now=now1)
    eq(s["fired"], 0, "alerts fired at $7.50")
    eq(alerts_of(db), {}, "alerts at $7.50 of $10")
    # $8.00: exactly 80 % -> warning for all and source:web
    env.ingest(conf, records=[rec(T + 20000, cost=0.5)])
    s = env.aggregate(conf, now=now1)
    eq((s["fired"], s["delivered"]), (2, 2), "fired, delivered at $8.00")
    al = alerts_of(db)
    eq(sorted(al), [("daily_cost", "all", DAY), ("daily_cost", "source:web",
                                                  DAY)], "alerts at $8.00")
    for k, a in al.items():
        eq((a["severity"], a["state"], a["value"], a["threshold"],
            a["fired_ms"], a["updated_ms"], a["resolved_ms"]),
           ("warning", "firing", 8.0, 10.0, ms_of(now1), ms_of(now1), None),
           f"alert {k} (severity, state, value, threshold, fired, updated, "
           "resolved)")
        eq(a["message"], "daily cost $8.00 reached 80% of the $10.00 limit",
           f"message of {k}")
    # $8.20: the same warning, its value follows, nothing is sent
    env.ingest(conf, records=[rec(T + 30000, cost=0.2)])
    s = env.aggregate(conf, now=now2)
    eq((s["fired"], s["escalated"], s["delivered"]), (0, 0, 0),
       "fired, escalated, delivered at $8.20")
    a = alerts_of(db)[("daily_cost", "all", DAY)]
    eq((a["severity"], a["state"], a["fired_ms"]),
       ("warning", "firing", ms_of(now1)), "alert all at $8.20")
    check(abs(a["value"] - 8.2) < 1e-9, f"value at $8.20: {a['value']}")
    # telegram $1.80: all is at exactly $10.00 -> critical; web stays warning
    env.ingest(conf, records=[rec(T + 40000 + k, cost=0.6, source="telegram")
                              for k in range(3)])
    s = env.aggregate(conf, now=now3)
    eq((s["fired"], s["escalated"], s["delivered"]), (0, 1, 1),
       "fired, escalated, delivered at $10.00")
    al = alerts_of(db)
    a = al[("daily_cost", "all", DAY)]
    eq((a["severity"], a["state"], a["fired_ms"], a["updated_ms"]),
       ("critical", "escalated", ms_of(now1), ms_of(now3)),
       "alert all at $10.00 (severity, state, fired, updated)")
    eq(a["message"], "daily cost $10.00 is over the $10.00 limit",
       "critical message")
    w = al[("daily_cost", "source:web", DAY)]
    eq((w["severity"], w["state"]), ("warning", "firing"), "source:web")
    check(("daily_cost", "source:telegram", DAY) not in al,
          "source:telegram ($1.80) has an alert")
    # outbox, deliveries and what the command got
    ob = outbox_of(db)
    eq([(o["scope"], o["event"]) for o in ob],
       [("all", "fire"), ("source:web", "fire"), ("all", "escalate")],
       "outbox (scope, event)")
    got = captured(cap)
    eq(len(got), 3, "payloads the command notifier got")
    eq([json.loads(o["payload"]) for o in ob], got,
       "payloads the command got vs the outbox")
    check_payload(got[0], event="fire", rule="daily_cost", scope="all",
                  day=DAY, severity="warning", state="firing", value=8.0,
                  threshold=10.0, time=iso_of(ms_of(now1)),
                  message="daily cost $8.00 reached 80% of the $10.00 limit")
    check_payload(got[1], event="fire", scope="source:web", severity="warning")
    check_payload(got[2], event="escalate", rule="daily_cost", scope="all",
                  day=DAY, severity="critical", state="escalated", value=10.0,
                  threshold=10.0, time=iso_of(ms_of(now3)),
                  message="daily cost $10.00 is over the $10.00 limit")
    dl = deliveries_of(db)
    eq([(d["outbox_id"], d["notifier"], d["attempts"], d["last_error"])
        for d in dl], [(o["id"], key, 1, None) for o in ob],
       "deliveries (outbox, notifier, attempts, error)")
    eq([d["delivered_ms"] for d in dl],
       [ms_of(now1), ms_of(now1), ms_of(now3)], "delivered_ms")
    # nothing new: nothing written, nothing sent
    install_audit(db)
    s = env.aggregate(conf, now=now3)
    eq((s["fired"], s["escalated"], s["resolved"], s["delivered"]),
       (0, 0, 0, 0), "a run with nothing new")
    eq(audit_take(db), {}, "rows written by a run with nothing new")
    eq(len(captured(cap)), 3, "payloads after a run with nothing new")


@test
def test_error_rate_lifecycle_min_requests_escalate_never_drop_resolve_refire():
    env, conf, db, cap, key = alert_env(
        "test_error_rate_lifecycle_min_requests_escalate_never_drop_resolve_"
        "refire", error_rate=0.1, min_requests=20)
    t = [T]

    def add(n, status):
        out = []
        for _ in range(n):
            t[0] += 1000
            out.append(rec(t[0], status=status))
        env.ingest(conf, records=out)

    def step(now, what):
        s = env.aggregate(conf, now=DAY + now)
        return s, alerts_of(db)

    def both(al, want, what):
        for sc in ("all", "source:web"):
            a = al.get(("error_rate", sc, DAY))
            got = None if a is None else (a["severity"], a["state"])
            eq(got, want, f"{what}: error_rate alert of {sc}")

    add(19, "error")
    s, al = step("T10:00:00Z", "19 errors")
    eq(al, {}, "alerts with 19 requests, all errors (min_requests 20)")
    add(171, "success")
    s, al = step("T10:05:00Z", "")
    eq(al, {}, "alerts at 19 of 190 (exactly 10 %, not over it)")
    add(1, "timeout")
    s, al = step("T10:10:00Z", "")
    both(al, ("warning", "firing"), "20 of 191 (10.5 %)")
    add(40, "rate_limited")
    s, al = step("T10:15:00Z", "")
    both(al, ("critical", "escalated"), "60 of 231 (26 %)")
    a = al[("error_rate", "all", DAY)]
    eq(a["message"], "error rate 26.0% (60 of 231 requests) is over 10.0%",
       "message at 60 of 231")
    add(100, "success")
    s, al = step("T10:20:00Z", "")
    both(al, ("critical", "escalated"), "60 of 331 (18 %): never drops back")
    eq(s["fired"] + s["escalated"] + s["resolved"], 0, "events at 18 %")
    add(400, "success")
    s, al = step("T10:25:00Z", "")
    both(al, ("critical", "resolved"), "60 of 731 (8 %)")
    eq(al[("error_rate", "all", DAY)]["resolved_ms"],
       ms_of(DAY + "T10:25:00Z"), "resolved_ms")
    eq(s["resolved"], 2, "resolved count")
    install_audit(db)
    s, al = step("T10:30:00Z", "")
    eq((s["fired"], s["escalated"], s["resolved"], s["delivered"]),
       (0, 0, 0, 0), "a run after the resolution")
    eq(audit_take(db), {}, "rows written by the run after the resolution")
    add(100, "error")
    s, al = step("T10:35:00Z", "")
    both(al, ("warning", "firing"), "160 of 831 (19 %): fires again")
    eq(al[("error_rate", "all", DAY)]["resolved_ms"], None,
       "resolved_ms of a fired-again alert")
    ob = outbox_of(db)
    for sc in ("all", "source:web"):
        eq([o["event"] for o in ob if o["scope"] == sc],
           ["fire", "escalate", "resolve", "fire"], f"events of {sc}")
    got = captured(cap)
    eq(got, [json.loads(o["payload"]) for o in ob],
       "payloads the command got vs the outbox")
    res = [p for p in got if p["event"] == "resolve"]
    for p in res:
        check_payload(p, rule="error_rate", state="resolved",
                      severity="critical", threshold=0.1,
                      time=iso_of(ms_of(DAY + "T10:25:00Z")))
        check(abs(p["value"] - 60 / 731) < 1e-12, f"resolve value {p}")
    eq(len(deliveries_of(db)), 8, "deliveries")
    check(all(d["delivered_ms"] for d in deliveries_of(db)),
          "undelivered deliveries")


@test
def test_unpriced_model_warns_for_that_model_only():
    env, conf, db, cap, key = alert_env(
        "test_unpriced_model_warns_for_that_model_only")
    recs = ([rec(T + k, model="mystery-7b", tokens_used=100) for k in range(3)]
            + [rec(T + 10 + k, model="gpt-4o-mini", input_tokens=1000,
                   output_tokens=10) for k in range(2)]
            + [rec(T + 20 + k, model="claude-x", cost=0) for k in range(2)]
            + [rec(T + 30 + k) for k in range(2)])
    env.ingest(conf, records=recs)
    s = env.aggregate(conf, now=DAY + "T12:00:00Z")
    al = alerts_of(db)
    eq(sorted(al), [("unpriced_model", "model:mystery-7b", DAY)],
       "alerts (rule, scope, day)")
    a = al[("unpriced_model", "model:mystery-7b", DAY)]
    eq((a["severity"], a["state"], a["value"]), ("warning", "firing", 3.0),
       "unpriced alert")
    eq(a["message"], '3 requests for model "mystery-7b" have tokens but no '
       'reported cost, and the config has no price for it', "message")
    eq(query(db, "SELECT model, unpriced, cost_nusd FROM daily_stats ORDER BY"
             " model"),
       [("", 0, 0), ("claude-x", 0, 0), ("gpt-4o-mini", 0, 2 * 156000),
        ("mystery-7b", 3, 0)], "daily_stats (model, unpriced, cost)")
    eq([p["scope"] for p in captured(cap)], ["model:mystery-7b"],
       "notifications")
    # Two more with tokens count; a call with no tokens costs nothing.
    env.ingest(conf, records=[rec(T + 40 + k, model="mystery-7b",
                                  tokens_used=7) for k in range(2)]
               + [rec(T + 50, model="mystery-7b", status="error")])
    s = env.aggregate(conf, now=DAY + "T12:05:00Z")
    eq((s["fired"], s["escalated"]), (0, 0), "events for 3 more rows")
    eq(alerts_of(db)[("unpriced_model", "model:mystery-7b", DAY)]["value"],
       5.0, "value after 2 more rows with tokens and 1 without")
    eq(len(captured(cap)), 1, "notifications after 3 more rows")


@test
def test_failed_calls_without_tokens_raise_no_unpriced_alarm():
    """The guide's timed() pattern records a failed call with its model and no
    tokens: it cost nothing, and is not unpriced, priced model or not."""
    env, conf, db, cap, key = alert_env(
        "test_failed_calls_without_tokens_raise_no_unpriced_alarm")
    recs = ([rec(T + k, model="gpt-4o-mini", status="error",
                 error="APIConnectionError") for k in range(5)]
            + [rec(T + 10 + k, model="mystery-7b", status="timeout")
               for k in range(5)])
    env.ingest(conf, records=recs)
    env.aggregate(conf, now=DAY + "T12:00:00Z")
    eq(alerts_of(db), {}, "alerts for calls that reported no tokens")
    eq(query(db, "SELECT model, unpriced, cost_nusd FROM daily_stats ORDER BY"
             " model"), [("gpt-4o-mini", 0, 0), ("mystery-7b", 0, 0)],
       "daily_stats (model, unpriced, cost)")
    eq(captured(cap), [], "notifications")


@test
def test_unpriced_message_names_the_case_it_saw():
    env, conf, db, cap, key = alert_env(
        "test_unpriced_message_names_the_case_it_saw")
    env.ingest(conf, records=[
        rec(T, model="gpt-4o-mini", tokens_used=500),
        rec(T + 1, tokens_used=40),
        rec(T + 2, model="mystery-7b", input_tokens=3),
    ])
    env.aggregate(conf, now=DAY + "T12:00:00Z")
    msg = {k[1]: a["message"] for k, a in alerts_of(db).items()}
    eq(msg, {
        "model:gpt-4o-mini": '1 requests for model "gpt-4o-mini" have tokens '
        'but no cost: they give no input_tokens or output_tokens to apply its '
        'price to',
        "model:": "1 requests with tokens name no model and report no cost",
        "model:mystery-7b": '1 requests for model "mystery-7b" have tokens '
        'but no reported cost, and the config has no price for it',
    }, "unpriced_model messages by scope")


@test
def test_unpriced_models_past_max_scopes_fold_into_one_alert():
    """A client cannot open unbounded alerts: 300 unpriced models give
    alerts.max_scopes alerts of their own and one "N more" alert."""
    env, conf, db, cap, key = alert_env(
        "test_unpriced_models_past_max_scopes_fold_into_one_alert",
        max_scopes=10)
    env.ingest(conf, records=[rec(T + k * 10, model=f"m-{k:03d}",
                                  tokens_used=9) for k in range(300)])
    env.aggregate(conf, now=DAY + "T12:00:00Z")
    al = alerts_of(db)
    own = sorted(k[1] for k in al if k[1].startswith("model:"))
    eq(own, [f"model:m-{k:03d}" for k in range(10)], "models with their own alert")
    more = al[("unpriced_model", "more:model", DAY)]
    eq((more["value"], more["severity"], more["state"]),
       (290.0, "warning", "firing"), "the folded alert")
    eq(more["message"], '290 more unpriced models: "m-010", "m-011", '
       '"m-012", …', "its message")
    eq(len(al), 11, "alerts in all")
    eq(len(captured(cap)), 11, "notifications")
    # More of the same models change the count, not the number of alerts.
    env.ingest(conf, records=[rec(T + 5000 + k, model=f"z-{k:03d}",
                                  tokens_used=1) for k in range(50)])
    env.aggregate(conf, now=DAY + "T12:05:00Z")
    al = alerts_of(db)
    eq(len(al), 11, "alerts after 50 more models")
    eq(al[("unpriced_model", "more:model", DAY)]["value"], 340.0,
       "folded count after 50 more models")


@test
def test_alerts_of_a_day_that_is_over_close_once_with_their_final_value():
    """Issue 9.7: after local midnight the day's active alerts are judged one
    last time and close, without a notification; late rows for that day do
    not open them again."""
    env, conf, db, cap, key = alert_env(
        "test_alerts_of_a_day_that_is_over_close_once_with_their_final_value",
        daily_cost_usd=10)
    env.ingest(conf, records=[rec(T, cost=9)])
    s = env.aggregate(conf, now=DAY + "T12:00:00Z")
    eq(s["fired"], 2, "warnings at $9 of $10 (all, source:web)")
    # More cost arrives late in the day, rolled up only after midnight.
    env.ingest(conf, records=[rec(ms_of(DAY + "T23:59:00Z"), cost=0.5)])
    s = env.aggregate(conf, now=add_days(DAY, 1) + "T00:01:00Z")
    eq(s["closed"], 2, "alerts closed when their day is over")
    al = alerts_of(db)
    for scope in ("all", "source:web"):
        a = al[("daily_cost", scope, DAY)]
        eq((a["state"], a["value"]), ("closed", 9.5),
           f"{scope}: closed with its final value")
        eq(a["resolved_ms"], ms_of(add_days(DAY, 1) + "T00:01:00Z"),
           f"{scope}: when it closed")
    eq(len(captured(cap)), 2, "closing sends no notification")
    # A late row that would cross the limit does not open it again.
    env.ingest(conf, records=[rec(ms_of(DAY + "T23:59:30Z"), cost=5)])
    s = env.aggregate(conf, now=add_days(DAY, 1) + "T00:02:00Z")
    eq((s["fired"], s["escalated"], s["closed"]), (0, 0, 0),
       "events for a late row of a closed day")
    eq(alerts_of(db)[("daily_cost", "all", DAY)]["state"], "closed",
       "state after the late row")
    eq(len(captured(cap)), 2, "notifications after the late row")


@test
def test_schema_3_rollups_move_to_local_hours_and_exact_latency_buckets():
    """Migration 3 -> 4: an upgraded database is rebuilt once from the raw
    rows it still has, into local hours (Asia/Kolkata: :30 UTC) with exact
    latency bucket counts; rollups whose raw rows are gone keep their UTC
    hours with buckets estimated from the histogram."""
    env = Env("test_schema_3_rollups_move_to_local_hours_and_exact_latency_"
              "buckets")
    conf = env.config(timezone="Asia/Kolkata")
    db = env.db_of(conf)
    env.ingest(conf, records=[rec(T + k * 600_000, execution_time=0.5 + k % 7)
                              for k in range(100)])
    env.aggregate(conf, now=DAY + "T23:00:00Z")
    want = rollup_dump(db)
    # Back to schema 3: UTC hour keys, no bucket columns, one old row.
    con = connect(db)
    make_schema_4(con)
    con.executescript("""
        DELETE FROM hourly_stats;
        INSERT INTO hourly_stats SELECT '2020-01-01T05', source, model,
          requests, successes, failures, errors, timeouts, rate_limited,
          latency_sum_us, latency_hist, ttft_count, ttft_sum_us, tokens,
          input_tokens, output_tokens, cost_nusd, unpriced, users, 0, 0, 0,
          0, 0 FROM daily_stats;""")
    for t in ("hourly_stats", "daily_stats"):
        for c in ("lat_0_1s", "lat_1_2s", "lat_2_3s", "lat_3_5s", "lat_5s_up"):
            con.execute(f"ALTER TABLE {t} DROP COLUMN {c}")
    con.execute("PRAGMA user_version = 3")
    con.commit()
    con.close()
    env.aggregate(conf, now=DAY + "T23:01:00Z")
    eq(query(db, "PRAGMA user_version"), [(7,)], "schema version")
    eq(meta(db, "rebuild_pending"), 0, "the rebuild was done")
    got = rollup_dump(db)
    old = [r for r in got["hourly_stats"] if r[0] == "2020-01-01T05:00"]
    eq(len(old), 1, "the rollup without raw rows keeps its (UTC) hour")
    check_rollups_exact(db, "Asia/Kolkata", "after the upgrade",
                        ignore_hours=("2020-01-01T05:00",))
    check(sum(old[0][-5:]) == old[0][COL_NAMES.index("requests")],
          f"estimated buckets of the old row add up: {old[0]}")


@test
def test_latency_p95_rule_per_scope_fires_and_resolves():
    env, conf, db, cap, key = alert_env(
        "test_latency_p95_rule_per_scope_fires_and_resolves", latency_p95_s=2)
    recs = ([rec(T + k * 1000, execution_time=0.5) for k in range(94)] +
            [rec(T + 100000 + k, execution_time=3.0) for k in range(6)] +
            [rec(T + 200000 + k, execution_time=0.4, source="telegram")
             for k in range(50)])
    env.ingest(conf, records=recs)
    env.aggregate(conf, now=DAY + "T12:00:00Z")
    al = alerts_of(db)
    eq(sorted(al), [("latency_p95", "source:web", DAY)],
       "alerts: web p95 is 3 s (6 of 100 slow); all p95 is 0.5 s (6 of 150)")
    a = al[("latency_p95", "source:web", DAY)]
    eq((a["severity"], a["state"], a["threshold"]), ("warning", "firing", 2.0),
       "latency alert")
    check(abs(a["value"] - 3.0) <= 0.06, f"p95 value {a['value']} vs 3.0 s")
    check(a["message"].startswith("p95 latency "), f"message {a['message']!r}")
    env.ingest(conf, records=[rec(T + 300000 + k, execution_time=0.5)
                              for k in range(100)])
    s = env.aggregate(conf, now=DAY + "T12:10:00Z")
    eq(s["resolved"], 1, "resolved")
    a = alerts_of(db)[("latency_p95", "source:web", DAY)]
    eq(a["state"], "resolved", "state once 6 of 200 are slow")
    eq([p["event"] for p in captured(cap)], ["fire", "resolve"],
       "notifications")


@test
def test_back_dated_rows_are_judged_on_their_local_day():
    env, conf, db, cap, key = alert_env(
        "test_back_dated_rows_are_judged_on_their_local_day",
        zone="Asia/Taipei", daily_cost_usd=10)
    # 17:00Z on the 20th is 01:00 on the 21st in Taipei; now is the 23rd
    env.ingest(conf, records=[rec(ms_of("2026-11-20T17:00:00Z") + k, cost=4)
                              for k in range(3)])
    s = env.aggregate(conf, now="2026-11-23T04:00:00Z")
    eq(sorted(alerts_of(db)), [("daily_cost", "all", "2026-11-21"),
                               ("daily_cost", "source:web", "2026-11-21")],
       "alerts of a back-dated $12 day")
    eq({(p["scope"], p["day"], p["severity"]) for p in captured(cap)},
       {("all", "2026-11-21", "critical"),
        ("source:web", "2026-11-21", "critical")}, "notifications")


@test
def test_alerts_of_back_dated_days_survive_a_failed_alert_phase():
    """A run whose alert phase fails (here: a trigger makes the alerts
    INSERT abort) must not lose the days it touched: the next run judges
    them."""
    env, conf, db, cap, key = alert_env(
        "test_alerts_of_back_dated_days_survive_a_failed_alert_phase",
        daily_cost_usd=10)
    env.ingest(conf, records=[rec(T, cost=1)])
    env.aggregate(conf, now=DAY + "T12:00:00Z")
    con = connect(db)
    con.executescript("""
        CREATE TABLE zz_fail (x);
        INSERT INTO zz_fail VALUES (1);
        CREATE TRIGGER zz_fail_alerts BEFORE INSERT ON alerts
        WHEN EXISTS (SELECT 1 FROM zz_fail)
        BEGIN SELECT RAISE(ABORT, 'injected failure'); END;""")
    con.close()
    # $12 on a day three days back, imported now
    env.ingest(conf, records=[rec(ms_of("2026-11-17T05:00:00Z") + k, cost=4)
                              for k in range(3)])
    env.aggregate(conf, now="2026-11-20T13:00:00Z", expect_rc=1)
    eq(alerts_of(db), {}, "alerts after the failed run")
    con = connect(db)
    con.execute("DELETE FROM zz_fail")
    con.commit()
    con.close()
    env.aggregate(conf, now="2026-11-20T13:05:00Z")
    eq(sorted(alerts_of(db)), [("daily_cost", "all", "2026-11-17"),
                               ("daily_cost", "source:web", "2026-11-17")],
       "alerts once the failure is gone ($12 on 2026-11-17, limit $10)")


@test
def test_two_telegram_bots_for_one_chat_do_not_break_the_run():
    """Two notifiers whose keys coincide (two bots posting to one chat): the
    config is either refused (exit 2) or both deliver; a run must not fail
    on every alert."""
    name = "test_two_telegram_bots_for_one_chat_do_not_break_the_run"
    rcv = Receiver(logfile=OUT / name / "http.log")
    try:
        env = Env(name)
        conf = env.config(alerts={"daily_cost_usd": 10}, notify=[
            {"type": "telegram", "bot_token": "1:first", "chat_id": "-42",
             "url": rcv.url("/a")},
            {"type": "telegram", "bot_token": "2:second", "chat_id": "-42",
             "url": rcv.url("/b")}])
        db = env.db_of(conf)
        env.ingest(conf, records=[rec(T, cost=11)])
        rc, out, err = env.run("apimon-aggregate", ["--config", conf, "--now",
                                                    DAY + "T12:00:00Z"])
        if rc == 2:
            return
        check(rc == 0, f"exit status {rc} (expected 0, or 2 for a refused "
              f"config); stderr: {err.strip()}; alerts stored: "
              f"{len(alerts_of(db))}")
        # One message a notifier, with both alerts ("all", "source:web").
        eq(sorted(r["path"] for r in rcv.taken()),
           ["/a/bot1:first/sendMessage", "/b/bot2:second/sendMessage"],
           "requests")
        for r in rcv.taken():
            eq(json.loads(r["body"])["text"].count("\n"), 1,
               "lines of " + r["path"])
    finally:
        rcv.stop()


@test
def test_command_notifier_that_hangs_is_killed_after_10_s_and_retried():
    env = Env("test_command_notifier_that_hangs_is_killed_after_10_s_and_"
              "retried")
    flag = env.dir / "hang"
    flag.write_text("")
    cap = env.dir / "got.ndjson"
    argv = ["/bin/sh", "-c", '[ -e "$1" ] && exec sleep 30; cat >> "$0" && '
            'echo >> "$0"', str(cap), str(flag)]
    conf = env.config(notify=[{"type": "command", "argv": argv}])
    db = env.db_of(conf)
    # one event: unpriced_model for model:no-price
    env.ingest(conf, records=[rec(T, model="no-price", tokens_used=10)])
    t0 = time.monotonic()
    s = env.aggregate(conf, now=DAY + "T12:00:00Z")
    dt = time.monotonic() - t0
    eq((s["fired"], s["delivered"], s["failed"]), (1, 0, 1),
       "fired, delivered, failed")
    check(9.5 <= dt < 16, f"a hanging command took {dt:.1f} s (10 s limit)")
    for d in deliveries_of(db):
        check("timed out" in (d["last_error"] or ""),
              f"last_error {d['last_error']!r}")
    flag.unlink()
    s = env.aggregate(conf, now=DAY + "T12:01:01Z")
    eq((s["delivered"], s["failed"]), (1, 0), "retry")
    eq([p["scope"] for p in captured(cap)], ["model:no-price"], "payloads")


# ---- notifications over HTTP ---------------------------------------------------

def http_env(name, rcv, **kw):
    env = Env(name)
    cn, cap, ckey = capture_notifier(env)
    notify = [{"type": "webhook", "url": rcv.url("/hook")},
              {"type": "slack", "url": rcv.url("/slack")},
              {"type": "discord", "url": rcv.url("/discord")},
              {"type": "telegram", "bot_token": "12345:TEST-token",
               "chat_id": "-100777", "url": rcv.url("/tg")}, cn]
    host = f"127.0.0.1:{rcv.port}"
    keys = [fnv_key("webhook", host, rcv.url("/hook")),
            fnv_key("slack", host, rcv.url("/slack")),
            fnv_key("discord", host, rcv.url("/discord")),
            fnv_key("telegram", "-100777", "12345 -100777"), ckey]
    conf = env.config(notify=notify, **kw)
    return env, conf, env.db_of(conf), cap, keys


@test
def test_notifications_reach_every_channel_with_its_payload():
    name = "test_notifications_reach_every_channel_with_its_payload"
    rcv = Receiver(logfile=OUT / name / "http.log")
    try:
        env, conf, db, cap, keys = http_env(
            name, rcv, alerts={"daily_cost_usd": 10, "error_rate": 0.1,
                               "min_requests": 20})
        env.ingest(conf, records=[rec(T + k, cost=3) for k in range(4)])
        s = env.aggregate(conf, now=DAY + "T12:00:00Z")
        eq((s["fired"], s["delivered"], s["failed"]), (2, 10, 0),
           "fired, delivered, failed")
        ob = outbox_of(db)
        payloads = [o["payload"] for o in ob]
        pl = [json.loads(p) for p in payloads]
        req = rcv.taken()
        by = {}
        for r in req:
            by.setdefault(r["path"], []).append(r)
        eq(sorted(by), ["/discord", "/hook", "/slack",
                        "/tg/bot12345:TEST-token/sendMessage"],
           "paths the receiver got")
        for path, rs in by.items():
            eq(len(rs), 1, f"requests to {path} (one message a run)")
            for r in rs:
                check((r["ctype"] or "").startswith("application/json"),
                      f"Content-Type of {path}: {r['ctype']}")
        eq(json.loads(by["/hook"][0]["body"]), {"events": pl},
           "webhook body: the run's events")
        texts = [chat(p) for p in pl]
        eq(texts[0], "[CRITICAL] apimon: `daily cost $12.00 is over the $10.00"
           f" limit` (`all`, {DAY})", "chat text")
        slack0 = json.loads(by["/slack"][0]["body"])
        eq(slack0, {"text": "\n".join(texts)}, "slack: a line an event")
        d0 = json.loads(by["/discord"][0]["body"])
        eq(d0["content"], "\n".join(chat(p, "discord") for p in pl),
           "discord content")
        eq(d0["allowed_mentions"], {"parse": []}, "discord allowed_mentions")
        tg = json.loads(by["/tg/bot12345:TEST-token/sendMessage"][0]["body"])
        eq((tg["chat_id"], tg["parse_mode"], tg["text"]),
           ("-100777", "HTML", "\n".join(chat(p, "telegram") for p in pl)),
           "telegram chat_id, parse_mode and text")
        eq(captured(cap), pl, "command payloads")
        eq(len(messages(cap)), 1, "command runs")
        dl = deliveries_of(db)
        eq(sorted((d["outbox_id"], d["notifier"]) for d in dl),
           sorted((o["id"], k) for o in ob for k in keys),
           "deliveries (outbox, notifier key)")
        check(all(d["delivered_ms"] == ms_of(DAY + "T12:00:00Z") and
                  d["attempts"] == 1 for d in dl), f"deliveries {dl}")
        # warning and resolved texts, from the error-rate rule
        env.ingest(conf, records=[rec(T + 100 + k, status="error", cost=0)
                                  for k in range(3)] +
                   [rec(T + 200 + k, cost=0) for k in range(18)])
        s = env.aggregate(conf, now=DAY + "T12:10:00Z")
        eq((s["fired"], s["delivered"]), (2, 10), "error rate 3 of 25 fires")
        env.ingest(conf, records=[rec(T + 300 + k, cost=0) for k in range(20)])
        s = env.aggregate(conf, now=DAY + "T12:20:00Z")
        eq((s["resolved"], s["delivered"]), (2, 10), "3 of 45 resolves")
        slack = [json.loads(r["body"])["text"] for r in rcv.taken()
                 if r["path"] == "/slack"]
        eq(len(slack), 3, "slack messages in all")
        check(slack[1].startswith("[WARNING] apimon: `error rate 12.0% (3 of 25 "
                                  "requests) is over 10.0%` ("),
              f"warning text {slack[1]!r}")
        check(slack[2].startswith("[RESOLVED] apimon: `error rate 12.0% (3 of "
                                  "25"), f"resolved text {slack[2]!r}")
        n = len(rcv.taken())
        s = env.aggregate(conf, now=DAY + "T13:00:00Z")
        eq(s["delivered"], 0, "delivered by a later run")
        eq(len(rcv.taken()), n, "requests after a later run")
    finally:
        rcv.stop()


@test
def test_receiver_down_keeps_it_queued_then_delivers_exactly_once():
    name = "test_receiver_down_keeps_it_queued_then_delivers_exactly_once"
    port = free_port()
    env = Env(name)
    url = f"http://127.0.0.1:{port}/hook"
    conf = env.config(alerts={"daily_cost_usd": 10},
                      notify=[{"type": "webhook", "url": url}])
    db = env.db_of(conf)
    env.ingest(conf, records=[rec(T, cost=11)])
    t0 = ms_of(DAY + "T12:00:00Z")
    s = env.aggregate(conf, now=t0)
    eq((s["fired"], s["delivered"], s["failed"]), (2, 0, 2),
       "fired, delivered, failed with the port closed")
    for d in deliveries_of(db):
        eq((d["attempts"], d["next_ms"], d["delivered_ms"]),
           (1, t0 + 60000, None), "delivery after one failure (attempts, "
           "next_ms, delivered_ms)")
        check(d["last_error"], "last_error is empty")
    rcv = Receiver(port, logfile=OUT / name / "http.log")
    try:
        s = env.aggregate(conf, now=t0 + 30000)
        eq((s["delivered"], s["failed"]), (0, 0), "a run before next_ms")
        eq(len(rcv.taken()), 0, "requests before next_ms")
        s = env.aggregate(conf, now=t0 + 61000)
        eq((s["delivered"], s["failed"]), (2, 0), "a run after next_ms")
        got = [json.loads(r["body"]) for r in rcv.taken()]
        eq(got, [{"events": [json.loads(o["payload"])
                             for o in outbox_of(db)]}],
           "bodies delivered after the retry (one message, both events)")
        for d in deliveries_of(db):
            eq((d["attempts"], d["delivered_ms"], d["last_error"]),
               (2, t0 + 61000, None), "delivery after the retry")
        for k in range(3):
            s = env.aggregate(conf, now=t0 + 3600_000 * (k + 1))
            eq(s["delivered"], 0, "delivered by later runs")
        eq(len(rcv.taken()), 1, "requests in all (exactly once)")
    finally:
        rcv.stop()


@test
def test_http_500_backs_off_doubling_and_only_the_failed_channel_retries():
    name = "test_http_500_backs_off_doubling_and_only_the_failed_channel_retries"
    rcv = Receiver(logfile=OUT / name / "http.log")
    try:
        env = Env(name)
        conf = env.config(alerts={"daily_cost_usd": 10},
                          notify=[{"type": "webhook", "url": rcv.url("/ok")},
                                  {"type": "slack", "url": rcv.url("/bad")}])
        db = env.db_of(conf)
        rcv.status_for["/bad"] = 500
        env.ingest(conf, records=[rec(T, cost=11)])
        t0 = ms_of(DAY + "T12:00:00Z")
        s = env.aggregate(conf, now=t0)
        eq((s["delivered"], s["failed"]), (2, 2), "first run")

        def bad():
            return [d for d in deliveries_of(db)
                    if d["notifier"] == f"slack {rcv.url('/bad')}"]
        for d in bad():
            eq((d["attempts"], d["next_ms"], d["delivered_ms"],
                d["last_error"]), (1, t0 + 60000, None, "HTTP status 500"),
               "slack after one 500")
        t1 = t0 + 61000
        s = env.aggregate(conf, now=t1)
        eq((s["delivered"], s["failed"]), (0, 2), "second run")
        for d in bad():
            eq((d["attempts"], d["next_ms"]), (2, t1 + 120000),
               "slack after two 500s (attempts, next_ms)")
        s = env.aggregate(conf, now=t1 + 119000)
        eq((s["delivered"], s["failed"]), (0, 0), "a run before next_ms")
        rcv.status_for["/bad"] = 200
        s = env.aggregate(conf, now=t1 + 121000)
        eq((s["delivered"], s["failed"]), (2, 0), "run after the fix")
        for k in range(2):
            s = env.aggregate(conf, now=t1 + 3600_000 * (k + 1))
            eq((s["delivered"], s["failed"]), (0, 0), "later runs")
        req = rcv.taken()
        eq(sum(r["path"] == "/ok" for r in req), 1, "requests to /ok")
        eq(sum(r["path"] == "/bad" for r in req), 3,
           "requests to /bad (one message of 2 events x 3 attempts)")
        eq(sum(r["path"] == "/bad" and r["status"] == 200 for r in req), 1,
           "successful requests to /bad")
        check(all(d["delivered_ms"] for d in deliveries_of(db)),
              "undelivered deliveries left")
    finally:
        rcv.stop()


@test
def test_backoff_is_capped_at_one_hour():
    env = Env("test_backoff_is_capped_at_one_hour")
    port = free_port()
    conf = env.config(alerts={"daily_cost_usd": 10}, notify=[
        {"type": "webhook", "url": f"http://127.0.0.1:{port}/x"}])
    db = env.db_of(conf)
    env.ingest(conf, records=[rec(T, cost=11, source="a")])
    now = ms_of(DAY + "T12:00:00Z")
    waits = []
    for _ in range(8):
        env.aggregate(conf, now=now)
        d = deliveries_of(db)[0]
        waits.append((d["next_ms"] - now) // 1000)
        now = d["next_ms"]
    eq(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600],
       "seconds to the next attempt after each failure")


# ---- retention ------------------------------------------------------------------

def cutoff_ms(now, zone, raw_days):
    """Retention's cut: a local midnight, which starts a local hour."""
    today = local_day(ms_of(now), zone)
    return local_midnight_ms(add_days(today, -raw_days), zone)


@test
def test_retention_deletes_only_rolled_up_rows_and_keeps_rollups():
    env = Env("test_retention_deletes_only_rolled_up_rows_and_keeps_rollups")
    zone, raw_days, now = "Asia/Kolkata", 3, "2026-09-10T00:00:00Z"
    conf = env.config(timezone=zone, raw_days=raw_days)
    db = env.db_of(conf)
    sim = env.simulate(8, 1500, 41, now)
    env.ingest(conf, path=sim)
    rows = raw_rows(db)
    eh, ed = expected_stats(rows, zone)
    cut = cutoff_ms(now, zone, raw_days)
    old = {r[0] for r in rows if r[1] < cut}
    check(len(old) > 1000, "too few old rows")
    s = env.aggregate(conf, now=now)
    eq(s["purged"], len(old), "old rows deleted (summary)")
    left = {r[0] for r in query(db, "SELECT id FROM api_requests")}
    eq(left, {r[0] for r in rows} - old, "ids left in api_requests")
    eq(meta(db, "purged_before_ms"), cut, "meta purged_before_ms "
       f"(floor to the hour of local midnight of today - {raw_days} days)")
    msgs = (diff_stats(eh, table_stats(db, "hourly_stats"), "hourly_stats") +
            diff_stats(ed, table_stats(db, "daily_stats"), "daily_stats"))
    check(not msgs, "rollups after retention differ from the full rows:\n  "
          + "\n  ".join(msgs))
    before = rollup_dump(db)
    s = env.aggregate(conf, now=now, rebuild=True)
    check_same_rollups(before, rollup_dump(db),
                       "--rebuild after retention changed the rollups",
                       ("before", "after"))
    s = env.aggregate(conf, now="2026-09-10T12:00:00Z")
    check_same_rollups(before, rollup_dump(db),
                       "a later run changed the rollups", ("before", "after"))
    # a day later the next day's rows go, still after their rollup
    now2 = "2026-09-11T00:00:00Z"
    cut2 = cutoff_ms(now2, zone, raw_days)
    n2 = sum(1 for r in rows if cut <= r[1] < cut2)
    s = env.aggregate(conf, now=now2)
    eq(s["purged"], n2, "rows deleted a day later")
    eq(meta(db, "purged_before_ms"), cut2, "purged_before_ms a day later")
    check_same_rollups(before, rollup_dump(db),
                       "the second purge changed the rollups",
                       ("before", "after"))


@test
def test_retention_keeps_the_file_from_growing_day_after_day():
    """raw_days 2 and 4,000 new rows a day for ten days: the pages retention
    frees are reused, so once the window is full the database stops growing
    (only the small rollups still add a little each day)."""
    env = Env("test_retention_keeps_the_file_from_growing_day_after_day")
    conf = env.config(timezone="UTC", raw_days=2)
    db = env.db_of(conf)
    sizes = []
    for k in range(10):
        end = iso_of(ms_of("2026-09-02T00:00:00Z") + k * 86400000)
        sim = env.simulate(1, 4000, 300 + k, end, name=f"day{k}.ndjson")
        env.ingest(conf, path=sim)
        env.aggregate(conf, now=end)
        con = sqlite3.connect(str(db))
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = con.execute("PRAGMA page_count").fetchone()[0]
            size = pages * con.execute("PRAGMA page_size").fetchone()[0]
        finally:
            con.close()
        sizes.append(size)
    # What one day of raw rows takes, measured before anything is deleted.
    day_of_rows = sizes[2] - sizes[1]
    per_day = (sizes[9] - sizes[4]) / 5
    check(day_of_rows > 0 and per_day < 0.3 * day_of_rows,
          f"the database still grows {per_day:.0f} bytes a day once the "
          f"retention window is full (a day of rows takes {day_of_rows}); "
          f"sizes by day: {sizes}")


@test
def test_rows_never_rolled_up_are_not_deleted_by_retention():
    """Rows that arrive while old days are past retention: the run rolls up
    first, so every row deleted is counted in daily_stats."""
    env = Env("test_rows_never_rolled_up_are_not_deleted_by_retention")
    zone, now = "America/New_York", "2026-09-10T12:00:00Z"
    conf = env.config(timezone=zone, raw_days=2)
    db = env.db_of(conf)
    recs = [varied(ms_of("2026-09-01T00:00:00Z") + k * 977_000, k)
            for k in range(800)]
    env.ingest(conf, records=recs)
    rows = raw_rows(db)
    eh, ed = expected_stats(rows, zone)
    s = env.aggregate(conf, now=now)
    check(s["purged"] > 500, f"purged {s['purged']}")
    msgs = diff_stats(ed, table_stats(db, "daily_stats"), "daily_stats")
    check(not msgs, "rows deleted without being in the rollups:\n  " +
          "\n  ".join(msgs))


@test
def test_back_dated_row_into_a_purged_day_is_not_lost_silently():
    """Contract: raw rows are deleted only after they are rolled up.  A row
    that arrives for a day already past retention must either be counted in
    that day's rollups or stay in api_requests."""
    env = Env("test_back_dated_row_into_a_purged_day_is_not_lost_silently")
    zone, now = "UTC", "2026-09-10T12:00:00Z"
    conf = env.config(timezone=zone, raw_days=3)
    db = env.db_of(conf)
    env.ingest(conf, records=[rec(ms_of("2026-09-01T10:00:00Z") + k * 60000,
                                  cost=0.01) for k in range(10)])
    env.aggregate(conf, now=now)
    eq(query(db, "SELECT COUNT(*) FROM api_requests")[0][0], 0,
       "raw rows left")
    late = rec("2026-09-01T11:00:00Z", cost=0.01, request_id="late-row")
    env.ingest(conf, records=[late])
    env.aggregate(conf, now=now)
    counted = query(db, "SELECT requests FROM daily_stats WHERE day ="
                    " '2026-09-01'")[0][0]
    kept = query(db, "SELECT COUNT(*) FROM api_requests WHERE request_id ="
                 " 'late-row'")[0][0]
    check(counted == 11 or kept == 1,
          "a row for 2026-09-01 imported after that day was purged "
          "(purged_before_ms 2026-09-07T00:00Z) was deleted without being "
          f"rolled up: daily_stats requests for 2026-09-01 = {counted} "
          f"(expected 11), row still in api_requests = {kept}")


@test
def test_late_row_in_the_kept_half_hour_of_a_purged_kolkata_day_matches_rebuild():
    """Asia/Kolkata days and hours start at :30 UTC, and retention cuts at a
    local midnight; a late row in the last half hour of the newest purged
    day is added to its rollups, and gives the same tables incrementally as
    with --rebuild."""
    env = Env("test_late_row_in_the_kept_half_hour_of_a_purged_kolkata_day_"
              "matches_rebuild")
    zone, now = "Asia/Kolkata", "2026-09-10T00:00:00Z"
    conf = env.config(timezone=zone, raw_days=3)
    db = env.db_of(conf)
    cut = cutoff_ms(now, zone, 3)          # 2026-09-06T18:30Z
    eq(iso_of(cut), "2026-09-06T18:30:00.000Z", "cutoff")
    recs = [rec(ms_of("2026-09-05T00:00:00Z") + k * 600_000, cost=0.001)
            for k in range(5 * 144)]
    env.ingest(conf, records=recs)
    env.aggregate(conf, now=now)
    late = rec("2026-09-06T18:10:00Z", request_id="late-kolkata",
               execution_time=9)           # 23:40 local, day 2026-09-06
    env.ingest(conf, records=[late])
    env.aggregate(conf, now=now)
    inc = rollup_dump(db)
    check_same_rollups(inc, rebuild_copy(env, conf, now),
                       "late row at 2026-09-06T18:10Z (23:40 IST, in the kept"
                       " part of the purged day 2026-09-06): incremental "
                       "rollups vs --rebuild")


# ---- sanitizers and exit statuses -------------------------------------------------

# ---- trust: nothing lost, nothing hijacked, nothing leaked --------------------

def render_site(env, conf, now):
    """apimon-render into <test>/site; returns the site folder."""
    site = env.dir / "site"
    rc, out, err = env.run("apimon-render", ["--config", conf, "--out", site,
                                              "--now", now])
    eq(rc, 0, f"apimon-render exit status (stderr: {err.strip()[-1500:]})")
    return site


def all_utf8(folder):
    """The files under folder that are not valid UTF-8."""
    bad = []
    for f in sorted(Path(folder).rglob("*")):
        if f.is_file():
            try:
                f.read_bytes().decode("utf-8")
            except UnicodeDecodeError as e:
                bad.append(f"{f.relative_to(folder)}: {e}")
    return bad


@test
def test_more_than_5000_distinct_days_in_one_run_lose_no_row():
    """Issue 8.1: five batches of old timestamps (5,001 distinct days) and one
    current record, one run: every row is in hourly_stats and daily_stats,
    the watermark covers them, retention deletes only rolled-up rows, and the
    current record's day is on the dashboard."""
    env = Env("test_more_than_5000_distinct_days_in_one_run_lose_no_row")
    conf = env.config(raw_days=90)
    db = env.db_of(conf)
    first = ms_of("2012-11-01T00:00:00Z")
    old = [rec(first + d * DAY_MS + (d * 7919) % DAY_MS, source="old")
           for d in range(5001)]
    for k in range(5):
        env.ingest(conf, records=old[k * 1001:(k + 1) * 1001])
    now = ms_of(DAY + "T12:00:00Z")
    env.ingest(conf, records=[rec(now - 60000, source="live")])
    s = env.aggregate(conf, now=DAY + "T12:00:00Z")
    eq(s["rows"], 5002, "rows rolled up")
    eq(query(db, "SELECT COUNT(*), SUM(requests) FROM daily_stats"),
       [(5002, 5002)], "daily_stats rows and requests")
    eq(query(db, "SELECT COUNT(*), SUM(requests) FROM hourly_stats"),
       [(5002, 5002)], "hourly_stats rows and requests")
    eq(query(db, "SELECT day FROM daily_stats WHERE source = 'live'"), [(DAY,)],
       "the current record's day")
    eq(meta(db, "agg_last_id"), query(db, "SELECT MAX(id) FROM"
       " api_requests")[0][0], "watermark")
    # Retention took the old rows, and only because they are rolled up.
    eq(query(db, "SELECT source, COUNT(*) FROM api_requests GROUP BY source"),
       [("live", 1)], "raw rows kept (raw_days 90)")
    site = render_site(env, conf, DAY + "T12:00:00Z")
    d = json.loads((site / "data" / "dashboard.json").read_text())
    eq(d["today"], DAY, "dashboard day")
    eq(d["daily"]["live"]["requests"][-1], 1, "today's requests of source live")
    eq(d["sources"], ["live"], "sources of the dashboard's 60 days")
    s = env.aggregate(conf, now=DAY + "T12:01:00Z")
    eq((s["rows"], s["days"]), (0, 0), "a second run")
    eq(query(db, "SELECT SUM(requests) FROM daily_stats"), [(5002,)],
       "requests after the second run")


@test
def test_a_day_of_more_rollup_rows_than_the_write_buffer_is_exact():
    """A day whose rollup rows overflow the bounded buffer (300 models x 25
    hours > 4,096 rows) is read again inside one transaction and written as
    it goes: the rollups still equal the raw rows, users included."""
    env = Env("test_a_day_of_more_rollup_rows_than_the_write_buffer_is_exact")
    conf = env.config(timezone="Asia/Kolkata")
    db = env.db_of(conf)
    start = ms_of("2026-11-19T18:30:00Z")      # 2026-11-20 00:00 in Kolkata
    recs = [rec(start + h * HOUR_MS + m * 1000, model=f"m{m:03d}",
                user_id=f"u{(m * 7 + h) % 11}", source=("a", "b")[h % 2])
            for m in range(300) for h in range(25)]
    env.ingest(conf, records=recs)
    env.aggregate(conf, now=DAY + "T12:00:00Z")
    eq(query(db, "SELECT COUNT(*) FROM hourly_stats"), [(300 * 25,)],
       "hourly rows")
    check_rollups_exact(db, "Asia/Kolkata", "after one run")


@test
def test_failed_rollup_statement_exits_1_and_keeps_the_watermark():
    """Issue 8.1: a run that cannot finish (here a trigger makes one rollup
    INSERT fail) exits 1 with a message, the watermark does not move, and
    the next run does the work."""
    env = Env("test_failed_rollup_statement_exits_1_and_keeps_the_watermark")
    conf = env.config()
    db = env.db_of(conf)
    env.ingest(conf, records=[rec(T + k * 60000, model="m") for k in range(50)])
    env.aggregate(conf, now=DAY + "T12:00:00Z")
    wm = meta(db, "agg_last_id")
    con = connect(db)
    con.executescript("""
        CREATE TRIGGER zz_fail BEFORE INSERT ON hourly_stats
        WHEN NEW.model = 'poison'
        BEGIN SELECT RAISE(ABORT, 'injected failure'); END;""")
    con.close()
    env.ingest(conf, records=[rec(T + 3600000 + k, model=m)
                              for k, m in enumerate(["a", "poison", "z"] * 5)])
    rc, out, err = env.run("apimon-aggregate", ["--config", conf, "--now",
                                                 DAY + "T12:05:00Z"])
    eq(rc, 1, f"exit status of a run whose rollup fails ({err.strip()})")
    check("injected failure" in err and db in err,
          f"the message names the database and the failure: {err!r}")
    eq(out, "", "no summary line for a failed run")
    eq(meta(db, "agg_last_id"), wm, "watermark after the failed run")
    con = connect(db)
    con.execute("DROP TRIGGER zz_fail")
    con.commit()
    con.close()
    s = env.aggregate(conf, now=DAY + "T12:06:00Z")
    eq(s["rows"], 15, "rows of the next run")
    check_rollups_exact(db, "UTC", "after the retry")


@test
def test_recording_a_delivery_that_fails_is_an_error_and_it_is_sent_again():
    """Issue 8.2: notify_run checks its bookkeeping: when a delivery cannot be
    recorded the run exits 1, and the next run sends it again (at least
    once) and records it."""
    env, conf, db, cap, key = alert_env(
        "test_recording_a_delivery_that_fails_is_an_error_and_it_is_sent_again",
        daily_cost_usd=10)
    env.ingest(conf, records=[rec(T, cost=20)])
    con = connect(db)
    con.executescript("""
        CREATE TRIGGER zz_fail BEFORE UPDATE ON deliveries
        WHEN NEW.delivered_ms IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'injected bookkeeping failure'); END;""")
    con.close()
    rc, out, err = env.run("apimon-aggregate", ["--config", conf, "--now",
                                                 DAY + "T12:00:00Z"])
    eq(rc, 1, f"exit status when a delivery cannot be recorded ({err.strip()})")
    check("recording deliveries" in err and "injected bookkeeping failure" in
          err, f"message {err!r}")
    eq(len(messages(cap)), 1, "sent once, then the run stopped")
    con = connect(db)
    con.execute("DROP TRIGGER zz_fail")
    con.commit()
    con.close()
    # The message is leased for 2 minutes: then it goes again.
    s = env.aggregate(conf, now=DAY + "T12:01:59Z")
    eq(s["delivered"], 0, "nothing while the lease lasts")
    s = env.aggregate(conf, now=DAY + "T12:02:00Z")
    eq(s["delivered"], 2, "both events (all, source:web) after the lease")
    eq(len(messages(cap)), 2, "the unrecorded message was sent again")
    eq(captured(cap)[2:], captured(cap)[:2], "with the same events")
    check(all(d["delivered_ms"] is not None for d in deliveries_of(db)),
          f"deliveries {deliveries_of(db)}")


HOSTILE_MODELS = ["@everyone <!channel> <@U024BE7LH> @here",
                  "[click me](https://evil.example/login) <https://evil.example|x>",
                  "`code` **bold** <b>&amp; https://evil.example"]


def outside_code(text, kind):
    """The text outside its code spans, and the text inside them."""
    if kind == "telegram":
        parts = re.split(r"<code>(.*?)</code>", text)
    else:
        parts = re.split(r"`([^`]*)`", text)
    return "".join(parts[0::2]), parts[1::2]


@test
def test_chat_texts_from_hostile_model_names_mention_and_link_nobody():
    """Issue 8.5: a model name is text in every chat: no @everyone, @here,
    <!channel>, <@U…>, masked or bare link can come out of it, on Slack,
    Discord or Telegram, checked on what a real HTTP receiver got."""
    name = "test_chat_texts_from_hostile_model_names_mention_and_link_nobody"
    rcv = Receiver(logfile=OUT / name / "http.log")
    try:
        env, conf, db, cap, keys = http_env(name, rcv)
        env.ingest(conf, records=[rec(T + k, model=m, tokens_used=5)
                                  for k, m in enumerate(HOSTILE_MODELS)])
        s = env.aggregate(conf, now=DAY + "T12:00:00Z")
        eq((s["fired"], s["failed"]), (3, 0), "fired, failed")
        bodies = {"slack": [], "discord": [], "telegram": []}
        paths = {"slack": "/slack", "discord": "/discord", "telegram": "/tg/"}
        for r in rcv.taken():
            for kind, path in paths.items():
                if r["path"].startswith(path):
                    bodies[kind].append(json.loads(r["body"]))
        for kind, got in bodies.items():
            eq(len(got), 1, f"{kind} messages (one with the three alerts)")
            for b in got:
                eq((b["content" if kind == "discord" else "text"]).count(
                    "\n"), 2, f"{kind}: a line an alert")
                text = b["content" if kind == "discord" else "text"]
                out, inside = outside_code(text, kind)
                for bad in ("@", "://", "<!", "<@", "](", "<http"):
                    check(bad not in out, f"{kind}: {bad!r} outside a code "
                          f"span in {text!r}")
                shown = [x if kind == "discord" else html.unescape(x)
                         for x in inside]
                names = [m if kind == "telegram" else m.replace("`", "\u02cb")
                         for m in HOSTILE_MODELS]
                check(all(any(m in x for x in shown) for m in names),
                      f"{kind}: the model names are shown whole: {text!r}")
                if kind == "slack":
                    check("<" not in text and ">" not in text,
                          f"slack: raw < or > in {text!r}")
                if kind == "telegram":
                    eq(b["parse_mode"], "HTML", "telegram parse_mode")
                    check(all("<" not in x and ">" not in x for x in inside),
                          f"telegram: raw < or > in a code span: {text!r}")
                if kind == "discord":
                    eq(b["allowed_mentions"], {"parse": []},
                       "discord allowed_mentions")
    finally:
        rcv.stop()


ZH_TAGS = {"critical": "嚴重", "warning": "警告", "resolve": "已解除"}


def zh_scope(scope):
    """A scope as a zh-TW chat line names it."""
    kind, _, name = scope.partition(":")
    fixed = {"all": "全部", "more:source": "其他來源", "more:model": "其他模型",
             "model:": "無模型"}
    if scope in fixed:
        return fixed[scope]
    return {"source": f"來源 {name}", "model": f"模型 {name}"}[kind]


def chat_zh(p, kind="slack"):
    """The line a chat service gets in zh-TW (chat() in Chinese)."""
    tag = ZH_TAGS["resolve" if p["event"] == "resolve" else p["severity"]]
    return (f"[{tag}] apimon：{chat_code(p['message'], kind)}"
            f"（{chat_code(zh_scope(p['scope']), kind)}，{p['day']}）")


@test
def test_zh_tw_alert_messages_and_every_notifier_speak_chinese():
    """Issue 10: with "locale": "zh-TW" every alert message (cost, error
    rate, p95, the three unpriced cases, the "N more" folds) and the text
    of every notifier (Slack, Discord, Telegram; the message of the
    webhook and command JSON, whose keys stay English) is Chinese: no
    phrase of en.json's texts (msg, ui, list) that zh-TW words
    differently, once the model names are taken out; cost in US$; every
    byte valid UTF-8."""
    name = "test_zh_tw_alert_messages_and_every_notifier_speak_chinese"
    rcv = Receiver(logfile=OUT / name / "http.log")
    try:
        env, conf, db, cap, keys = http_env(
            name, rcv, locale="zh-TW",
            alerts={"daily_cost_usd": 10, "error_rate": 0.1,
                    "min_requests": 20, "latency_p95_s": 1, "max_scopes": 3})
        models = ["gpt-4o-mini", "mystery-7b", "u-1", "u-2", "u-3", "u-4"]
        env.ingest(conf, records=[rec(T + k, cost=3, execution_time=4)
                                  for k in range(4)] +
                   [rec(T + 100 + k, status="error", cost=0)
                    for k in range(4)] +
                   [rec(T + 200 + k, cost=0) for k in range(18)] +
                   [rec(T + 300, model="gpt-4o-mini", tokens_used=500),
                    rec(T + 301, tokens_used=40),
                    rec(T + 302, model="mystery-7b", input_tokens=3)] +
                   [rec(T + 400 + k, model=m, tokens_used=9)
                    for k, m in enumerate(models[2:])])
        s = env.aggregate(conf, now=DAY + "T12:00:00Z")
        eq(s["failed"], 0, "failed deliveries")
        # more successes: the error rate resolves
        env.ingest(conf, records=[rec(T + 500 + k, cost=0)
                                  for k in range(40)])
        s = env.aggregate(conf, now=DAY + "T12:10:00Z")
        check(s["resolved"] >= 1 and s["failed"] == 0, f"run 2: {s}")
        phrases = catalogue.english_phrases(("msg", "ui", "list"))
        check(len(phrases) > 200, f"{len(phrases)} English phrases")
        probs = []

        def chinese(text, where):
            # Models and days are data; field names of the ingest API are
            # code, which the message names for the client to fix.
            left = catalogue.without(text, models + [DAY, "input_tokens",
                                                     "output_tokens"])
            if not catalogue.CJK.search(left):
                probs.append(f"{where}: no Chinese in {text!r}")
            for p in catalogue.find_english(left, phrases):
                probs.append(f"{where}: English {p!r} in {text!r}")
            if "NT$" in text or re.search(r"(?<!US)\$", text):
                probs.append(f"{where}: a dollar that is not US$: {text!r}")

        con = sqlite3.connect(db)
        con.text_factory = bytes
        raw = con.execute("SELECT rule, scope, message FROM alerts").fetchall()
        con.close()
        msgs = {}
        for rule, scope, m in raw:
            msgs[(rule.decode(), scope.decode())] = m.decode("utf-8")
            chinese(msgs[(rule.decode(), scope.decode())],
                    f"alert {rule.decode()} {scope.decode()}")
        eq(msgs[("daily_cost", "all")], "每日費用 US$12.00 已超過 US$10.00 的上限",
           "the cost message")
        eq(msgs[("error_rate", "all")],
           "錯誤率 12.1%（33 個請求中有 4 個失敗）超過 10.0%",
           "the error rate message")
        check(msgs[("latency_p95", "all")].startswith("p95 響應時間 "),
              f"the p95 message {msgs[('latency_p95', 'all')]!r}")
        eq(msgs[("unpriced_model", "model:")],
           "1 個有 Token 數的請求沒有指明模型，也沒有回報費用", "no model")
        eq(msgs[("unpriced_model", "model:gpt-4o-mini")],
           "模型「gpt-4o-mini」有 1 個請求有 Token 數但沒有費用：它們沒有提供 "
           "input_tokens 或 output_tokens，無法套用該模型的價格", "no tokens")
        eq(msgs[("unpriced_model", "model:mystery-7b")],
           "模型「mystery-7b」有 1 個請求有 Token 數但沒有回報費用，設定檔中也沒"
           "有這個模型的價格", "no price")
        eq(msgs[("unpriced_model", "more:model")],
           "另有 4 個未定價的模型：「u-1」、「u-2」、「u-3」等", "the fold")
        # what every notifier got
        pl = [json.loads(o["payload"]) for o in outbox_of(db)]
        check({"fire", "resolve"} <= {p["event"] for p in pl},
              f"events {sorted({p['event'] for p in pl})}")
        paths = {"slack": "/slack", "discord": "/discord",
                 "telegram": "/tg/", "webhook": "/hook"}
        got = {k: [] for k in paths}
        for r in rcv.taken():
            body = r["body"].decode("utf-8")        # strict: valid UTF-8
            for kind, path in paths.items():
                if r["path"].startswith(path):
                    got[kind].append(json.loads(body))
        for kind in ("slack", "discord", "telegram"):
            field = "content" if kind == "discord" else "text"
            # One message a run, a line an event.
            texts = sorted(line for b in got[kind]
                           for line in b[field].split("\n"))
            eq(texts, sorted(chat_zh(p, kind) for p in pl), f"{kind} texts")
            for t in texts:
                chinese(t, kind)
        hooks = [e for b in got["webhook"] for e in b["events"]]
        for kind, bodies in (("webhook", hooks),
                             ("command", captured(cap))):
            eq(sorted(json.dumps(b, sort_keys=True) for b in bodies),
               sorted(json.dumps(p, sort_keys=True) for p in pl),
               f"{kind} payloads")
            for b in bodies:
                check_payload(b)
                chinese(b["message"], f"{kind} message")
        check(cap.read_bytes().decode("utf-8"), "command payloads are UTF-8")
        check(not probs, "\n    ".join(probs[:20]))
    finally:
        rcv.stop()


@test
def test_a_missing_locale_is_a_config_error_that_names_its_file():
    """Issue 10: apimon-aggregate loads the catalogue of the config's
    locale; a locale without a file is an error naming the file, exit 2
    like any config error, and nothing is written."""
    env = Env("test_a_missing_locale_is_a_config_error_that_names_its_file")
    conf = env.config(locale="xx-YY")
    rc, out, err = env.run("apimon-aggregate", ["--config", conf])
    eq(rc, 2, "exit status")
    eq(out, "", "stdout")
    check(re.search(r"apimon-aggregate: \S*/locales/xx-YY\.json: cannot read",
                    err), f"stderr {err!r}")
    check(not Path(env.db_of(conf)).exists(), "no database")
    env.close()


@test
def test_no_secret_in_logs_database_pages_or_payloads():
    """Issue 8.6: webhook URLs (Slack and Discord carry a token in the path),
    Telegram bot tokens, passwords in URLs and the ingest token appear in no
    log, no database column, no page and no payload."""
    name = "test_no_secret_in_logs_database_pages_or_payloads"
    rcv = Receiver(logfile=OUT / name / "http.log")
    dead = free_port()
    try:
        env = Env(name)
        secrets = ["SECRETslack123", "SECRETdiscord456", "SECRETwebhook789",
                   "SECRETtg000", "SECRETpw321", "SECRETingest654",
                   "SECRETdead987"]
        notify = [
            {"type": "slack", "url": rcv.url("/services/T0/B0/SECRETslack123")},
            {"type": "discord", "url": rcv.url("/api/webhooks/1/SECRETdiscord456")},
            {"type": "webhook", "url": rcv.url("/hook?token=SECRETwebhook789")},
            {"type": "telegram", "bot_token": "777:SECRETtg000",
             "chat_id": "-1001", "url": rcv.url("/tg")},
            {"type": "webhook",
             "url": f"http://admin:SECRETpw321@127.0.0.1:{rcv.port}/basic"},
            {"type": "webhook",
             "url": f"http://127.0.0.1:{dead}/down/SECRETdead987"}]
        conf = env.config(notify=notify, alerts={"daily_cost_usd": 10})
        c = json.loads(Path(conf).read_text())
        c["ingest"] = {"token": "SECRETingest654"}
        c["site_dir"] = str(env.dir / "site")
        Path(conf).write_text(json.dumps(c))
        db = env.db_of(conf)
        rcv.status_for["/services/T0/B0/SECRETslack123"] = 500
        env.ingest(conf, records=[rec(T, cost=20)])
        s = env.aggregate(conf, now=DAY + "T12:00:00Z")
        eq(s["fired"], 2, "alerts fired")
        check(s["failed"] >= 4, f"the slack (500) and dead deliveries failed: {s}")
        site = render_site(env, conf, DAY + "T12:00:00Z")
        rc, out, err = env.run("apimon-aggregate", ["--config", conf,
                                                     "--now", DAY + "T13:00:00Z"])
        eq(rc, 0, "a later run")
        con = connect(db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        places = {"commands.log (stdout and stderr of every run)":
                  (env.dir / "commands.log").read_bytes(),
                  "the database file": Path(db).read_bytes()}
        for f in site.rglob("*"):
            if f.is_file():
                places[f"site/{f.relative_to(site)}"] = f.read_bytes()
        for r in rcv.taken():
            places[f"body sent to {r['path'][:10]}…"] = r["body"]
        for o in outbox_of(db):
            places[f"outbox payload {o['id']}"] = o["payload"].encode()
        leaks = [f"{x} in {where}" for where, data in places.items()
                 for x in secrets if x.encode() in data]
        eq(leaks, [], "secrets found")
        for d in deliveries_of(db):
            check(re.fullmatch(r"(webhook|slack|discord|telegram) \S+ #[0-9a-f]{8}",
                               d["notifier"]) is not None,
                  f"notifier key {d['notifier']!r}")
    finally:
        rcv.stop()


def make_schema_4(con):
    """Turn a database of this apimon back into schema 4 (before silences,
    repeats and digests)."""
    con.executescript("""
        DROP INDEX IF EXISTS api_requests_user_ts;
        DROP TABLE silences;
        ALTER TABLE alerts DROP COLUMN notified_ms;
        CREATE TABLE outbox_4 (
          id         INTEGER PRIMARY KEY,
          alert_id   INTEGER NOT NULL REFERENCES alerts (id),
          event      TEXT NOT NULL,
          payload    TEXT NOT NULL,
          created_ms INTEGER NOT NULL);
        INSERT INTO outbox_4 SELECT id, alert_id, event, payload, created_ms
          FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_4 RENAME TO outbox;
        PRAGMA user_version = 4;""")
    con.commit()


def make_schema_2(con):
    """Turn a database of this apimon back into schema 2 (before the notifier
    keys and the latency bucket columns)."""
    make_schema_4(con)
    for t in ("hourly_stats", "daily_stats"):
        for c in ("lat_0_1s", "lat_1_2s", "lat_2_3s", "lat_3_5s", "lat_5s_up"):
            con.execute(f"ALTER TABLE {t} DROP COLUMN {c}")
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()


# Schema 2 as apimon 0.1.0 created it (lib/db.c, migrations 0 -> 1 -> 2),
# frozen here: the upgrade test builds its database from this text.
SCHEMA_2_STATS = """
  source TEXT NOT NULL, model TEXT NOT NULL, requests INTEGER NOT NULL,
  successes INTEGER NOT NULL, failures INTEGER NOT NULL,
  errors INTEGER NOT NULL, timeouts INTEGER NOT NULL,
  rate_limited INTEGER NOT NULL, latency_sum_us INTEGER NOT NULL,
  latency_hist BLOB NOT NULL, ttft_count INTEGER NOT NULL,
  ttft_sum_us INTEGER NOT NULL, tokens INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
  cost_nusd INTEGER NOT NULL, unpriced INTEGER NOT NULL,
  users INTEGER NOT NULL,"""
SCHEMA_2 = f"""
CREATE TABLE api_requests (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id    TEXT NOT NULL UNIQUE,
  ts_ms         INTEGER NOT NULL,
  source        TEXT NOT NULL,
  user_id       TEXT,
  command       TEXT,
  model         TEXT,
  provider      TEXT,
  status        TEXT NOT NULL,
  latency_us    INTEGER NOT NULL,
  ttft_us       INTEGER,
  input_tokens  INTEGER,
  output_tokens INTEGER,
  tokens        INTEGER NOT NULL,
  cost_nusd     INTEGER NOT NULL,
  cost_source   TEXT NOT NULL,
  error         TEXT,
  metadata      TEXT,
  received_ms   INTEGER NOT NULL);
CREATE INDEX api_requests_ts ON api_requests (ts_ms);
CREATE INDEX api_requests_source_ts ON api_requests (source, ts_ms);
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE hourly_stats (hour TEXT NOT NULL,{SCHEMA_2_STATS}
  PRIMARY KEY (hour, source, model)) WITHOUT ROWID;
CREATE TABLE daily_stats (day TEXT NOT NULL,{SCHEMA_2_STATS}
  PRIMARY KEY (day, source, model)) WITHOUT ROWID;
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY, rule TEXT NOT NULL, scope TEXT NOT NULL,
  day TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL,
  value REAL NOT NULL, threshold REAL NOT NULL, message TEXT NOT NULL,
  fired_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  resolved_ms INTEGER, UNIQUE (rule, scope, day));
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY, alert_id INTEGER NOT NULL REFERENCES alerts (id),
  event TEXT NOT NULL, payload TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE deliveries (
  outbox_id INTEGER NOT NULL REFERENCES outbox (id),
  notifier TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  next_ms INTEGER NOT NULL, delivered_ms INTEGER, last_error TEXT,
  PRIMARY KEY (outbox_id, notifier)) WITHOUT ROWID;
CREATE INDEX deliveries_due ON deliveries (next_ms)
  WHERE delivered_ms IS NULL;
PRAGMA user_version = 2;
"""


@test
def test_schema_2_database_upgrades_to_7_and_never_gives_an_id_twice():
    """Migrations 2 -> 7 on a schema 2 database built from its own DDL, whose
    newest ids retention had deleted (sqlite_sequence above MAX(id)): the
    table keeps every row and id and loses AUTOINCREMENT and the (source,
    ts_ms) index; a new row gets an id above every id ever given, so the
    rollup watermark (at the old sequence) still takes it; retention then
    deleting the newest rows does not bring their ids back."""
    env = Env("test_schema_2_database_upgrades_to_7_and_never_gives_an_id_"
              "twice")
    conf = env.config(raw_days=30)
    db = env.db_of(conf)
    con = connect(db)
    con.executescript("PRAGMA journal_mode = WAL;" + SCHEMA_2)
    old = ms_of("2026-09-01T10:00:00Z")
    for i in range(1, 41):
        con.execute(
            "INSERT INTO api_requests (request_id, ts_ms, source, status,"
            " latency_us, tokens, cost_nusd, cost_source, received_ms)"
            " VALUES (?, ?, ?, 'success', 250000, 0, 0, 'none', ?)",
            (f"v2-{i}", old + i * 60000, ("web", "tg")[i % 2], old))
    # Ids 41-45 were given and deleted by retention; everything rolled up.
    con.executescript("""
        UPDATE sqlite_sequence SET seq = 45 WHERE name = 'api_requests';
        INSERT INTO meta (key, value) VALUES ('agg_last_id', 45);""")
    con.commit()
    con.close()
    eq(query(db, "SELECT seq FROM sqlite_sequence"), [(45,)], "the v2 sequence")
    new = rec(T, source="tg")
    env.ingest(conf, records=[new])
    eq(query(db, "PRAGMA user_version"), [(7,)], "schema version")
    eq(query(db, "PRAGMA integrity_check"), [("ok",)], "integrity")
    sql = query(db, "SELECT sql FROM sqlite_master WHERE name ="
                " 'api_requests'")[0][0]
    check("AUTOINCREMENT" not in sql and "INTEGER PRIMARY KEY" in sql,
          f"api_requests without AUTOINCREMENT: {sql}")
    eq(query(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND"
             " tbl_name = 'api_requests' AND sql IS NOT NULL"),
       [("api_requests_ts",)], "indexes of api_requests")
    eq(query(db, "SELECT COUNT(*) FROM sqlite_sequence WHERE name ="
             " 'api_requests'"), [(0,)], "no sequence of api_requests")
    eq(meta(db, "id_floor"), 45, "the floor is the old sequence")
    eq(query(db, "SELECT id, request_id FROM api_requests WHERE id > 39"
             " ORDER BY id"), [(40, "v2-40"), (46, new["request_id"])],
       "old ids kept; the new row above every id given")
    s = env.aggregate(conf, now=DAY + "T12:00:00Z")
    eq(s["rows"], 1, "the new row is rolled up")
    eq(query(db, "SELECT SUM(requests) FROM daily_stats WHERE day = ?",
             (DAY,)), [(1,)], "its day")
    eq(meta(db, "agg_last_id"), 46, "the watermark")
    # Retention (30 days) took the 40 old rows.  A late row of September
    # gets id 47, is rolled up and deleted: the next id is 48, not 47.
    eq(query(db, "SELECT id FROM api_requests"), [(46,)], "rows left")
    env.ingest(conf, records=[rec("2026-09-02T00:00:00Z")])
    s = env.aggregate(conf, now=DAY + "T12:01:00Z")
    eq((s["rows"], s["purged"]), (1, 1), "the late old row: rolled up, purged")
    eq(query(db, "SELECT id FROM api_requests"), [(46,)], "rows left")
    late = rec(DAY + "T11:00:00Z", source="web")
    env.ingest(conf, records=[late])
    eq(query(db, "SELECT id FROM api_requests WHERE request_id = ?",
             (late["request_id"],)), [(48,)], "the next row's id")
    s = env.aggregate(conf, now=DAY + "T12:02:00Z")
    eq(s["rows"], 1, "the next row is rolled up")
    eq(query(db, "SELECT SUM(requests) FROM daily_stats WHERE day = ?",
             (DAY,)), [(2,)], "both rows of the day")
    site = render_site(env, conf, DAY + "T12:02:00Z")
    d = json.loads((site / "data" / "dashboard.json").read_text())
    eq(sorted(r["source"] for r in d["recent"]), ["tg", "web"],
       "the dashboard's newest rows by source")


@test
def test_legacy_notifier_keys_are_rewritten_and_still_delivered():
    """Schema 2 -> 3 rewrites deliveries.notifier, which held whole webhook
    URLs, to keys without secrets; a delivery pending under the old key is
    still delivered to its notifier."""
    name = "test_legacy_notifier_keys_are_rewritten_and_still_delivered"
    rcv = Receiver(logfile=OUT / name / "http.log")
    try:
        env = Env(name)
        url = rcv.url("/services/T0/B0/SECRETlegacy")
        conf = env.config(notify=[{"type": "slack", "url": url}])
        db = env.db_of(conf)
        env.ingest(conf, records=[])
        con = connect(db)
        con.executescript(f"""
            INSERT INTO alerts (rule, scope, day, severity, state, value,
              threshold, message, fired_ms, updated_ms)
              VALUES ('daily_cost', 'all', '2026-11-01', 'critical', 'closed', 12,
              10, 'daily cost $12.00 is over the $10.00 limit', 1, 1);
            INSERT INTO outbox (alert_id, event, payload, created_ms)
              VALUES (1, 'fire', '{{"event":"fire","rule":"daily_cost",
              "scope":"all","day":"2026-11-01","severity":"critical","state":
              "firing","value":12,"threshold":10,"message":"legacy",
              "time":"x"}}', 1);
            INSERT INTO deliveries (outbox_id, notifier, next_ms)
              VALUES (1, 'slack {url}', 0);""")
        make_schema_2(con)
        con.close()
        s = env.aggregate(conf, now=DAY + "T12:00:00Z")
        eq(s["delivered"], 1, "the legacy delivery")
        eq([json.loads(r["body"])["text"] for r in rcv.taken()],
           ["[CRITICAL] apimon: `legacy` (`all`, 2026-11-01)"], "what slack got")
        eq([d["notifier"] for d in deliveries_of(db)],
           [fnv_key("slack", f"127.0.0.1:{rcv.port}", url)], "the new key")
        eq(query(db, "PRAGMA user_version"), [(7,)], "schema version")
    finally:
        rcv.stop()


@test
def test_emoji_model_names_keep_their_whole_scope_and_every_output_is_utf8():
    """Issue 8.7: two 64-character emoji model names that differ in their
    last character are two alerts with whole scopes, and every file of the
    site and every notification body is valid UTF-8."""
    name = "test_emoji_model_names_keep_their_whole_scope_and_every_output_is_utf8"
    rcv = Receiver(logfile=OUT / name / "http.log")
    try:
        env, conf, db, cap, keys = http_env(name, rcv)
        a = "\U0001F600" * 63 + "\U0001F601"
        b = "\U0001F600" * 63 + "\U0001F602"
        env.ingest(conf, records=[rec(T + k, model=m, tokens_used=3,
                                      command="\U0001F600" * 300)
                                  for k, m in enumerate([a, b, a])])
        s = env.aggregate(conf, now=DAY + "T12:00:00Z")
        eq(s["fired"], 2, "two alerts fired")
        al = alerts_of(db)
        eq(sorted(k[1] for k in al), sorted(["model:" + a, "model:" + b]),
           "scopes, whole")
        eq(al[("unpriced_model", "model:" + a, DAY)]["value"], 2.0, "value of a")
        site = render_site(env, conf, DAY + "T12:00:00Z")
        eq(all_utf8(site), [], "site files that are not UTF-8")
        bad = []
        for r in rcv.taken():
            try:
                r["body"].decode("utf-8")
            except UnicodeDecodeError as e:
                bad.append(f"{r['path']}: {e}")
        eq(bad, [], "notification bodies that are not UTF-8")
        cap.read_bytes().decode("utf-8")
        html_text = (site / "alerts.html").read_text()
        check(a in html_text and b in html_text, "both names on alerts.html")
    finally:
        rcv.stop()


@test
def test_exit_statuses_and_no_sanitizer_reports_anywhere():
    env = Env("test_exit_statuses_and_no_sanitizer_reports_anywhere")
    conf = env.config()
    rc, out, _ = env.run("apimon-aggregate", ["--help"])
    eq(rc, 0, "--help")
    rc, out, _ = env.run("apimon-aggregate", ["--version"])
    eq((rc, out.startswith("apimon-aggregate ")), (0, True), "--version")
    eq(env.run("apimon-aggregate", ["--bogus"])[0], 2, "unknown option")
    eq(env.run("apimon-aggregate", ["--config", conf, "extra"])[0], 2,
       "extra operand")
    eq(env.run("apimon-aggregate", ["--config", conf, "--now", "yesterday"])[0],
       2, "--now yesterday")
    badc = env.dir / "bad.json"
    badc.write_text('{"database": "x.db", "alerts": {"nope": 1}}')
    eq(env.run("apimon-aggregate", ["--config", badc])[0], 2,
       "unknown config key")
    nodb = env.config(name="nodb.json", db="no/such/dir/a.db")
    eq(env.run("apimon-aggregate", ["--config", nodb])[0], 1,
       "database in a missing directory")
    # Only ingest creates a database: a mistyped path is an error.
    typo = env.config(name="typo.json", db="typo.db")
    rc, _, err = env.run("apimon-aggregate", ["--config", typo])
    eq(rc, 1, "database that does not exist")
    eq(err.strip(), f"apimon-aggregate: database not found: {env.dir / 'typo.db'}",
       "message for a missing database")
    check(not (env.dir / "typo.db").exists(), "typo.db was created")
    env.ingest(conf, records=[])
    s = env.aggregate(conf, now="2026-11-20T00:00:00Z")
    eq(s["rows"], 0, "rows of an empty database")
    s = env.aggregate(conf, now="2026-11-20T00:00:00Z", rebuild=True)
    eq(s["days"], 0, "days of a rebuild of an empty database")
    reports = [p for p in OUT.glob("*/san/*") if p.is_file()]
    check(not reports, "sanitizer reports: " + ", ".join(
        str(p.relative_to(OUT)) for p in reports) + "\n" +
        (reports[0].read_text(errors="replace")[:3000] if reports else ""))


# --------------------------------------------------------------------------
# runner
# --------------------------------------------------------------------------

def selected(name, patterns):
    if not patterns:
        return True
    for p in patterns:
        if any(c in p for c in "*?["):
            if fnmatch.fnmatch(name.lower(), p.lower()):
                return True
        elif p.lower() in name.lower():
            return True
    return False


def cleanup():
    for r in list(RECEIVERS):
        try:
            r.stop()
        except Exception:
            pass
    for p in list(LIVE):
        try:
            p.kill()
        except Exception:
            pass
        reap(p, 5)


def main(suite="aggregate", doc=__doc__):
    """Run the registered TESTS; suite names the last line (other suites
    register their tests here and share the harness)."""
    global BIN
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--bin", default="build/san/bin")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN")
    args = ap.parse_args()
    BIN = Path(args.bin)
    if not BIN.is_absolute():
        BIN = (Path.cwd() / BIN).resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    for prog in PROGS:
        if not os.access(BIN / prog, os.X_OK):
            print(f"{suite}.py: {BIN / prog} is missing; run make san")
            print(f"{suite}: 0 passed, 1 failed")
            return 1
    # Others may rebuild --bin while this runs: use a private copy.
    private = OUT / "_bin"
    shutil.rmtree(private, ignore_errors=True)
    private.mkdir()
    for prog in PROGS:
        shutil.copy2(BIN / prog, private / prog)
    print(f"# binaries from {BIN}, copied to {private}", flush=True)
    BIN = private
    passed = failed = 0
    failures = []
    t_all = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *a: (cleanup(), sys.exit(1)))
    for fn in TESTS:
        name = fn.__name__
        if not selected(name, args.k):
            continue
        t0 = time.monotonic()
        err = None
        try:
            fn()
        except Failure as e:
            err = str(e)
        except Exception:
            err = traceback.format_exc()
        finally:
            cleanup()
        san = OUT / name / "san"
        reports = sorted(p for p in san.glob("*") if p.is_file()) \
            if san.exists() else []
        if reports:
            err = (err + "\n" if err else "") + "sanitizer report(s): " + \
                ", ".join(str(p) for p in reports) + "\n" + \
                reports[0].read_text(errors="replace")[:3000]
        dt = time.monotonic() - t0
        if err is None:
            passed += 1
            print(f"PASS {name} ({dt:.1f} s)", flush=True)
        else:
            failed += 1
            failures.append(name)
            print(f"FAIL {name} ({dt:.1f} s)\n  " +
                  err.rstrip().replace("\n", "\n  "), flush=True)
    print(f"# {time.monotonic() - t_all:.1f} s in all; output in {OUT}")
    if failures:
        print("# failed: " + ", ".join(failures))
    print(f"{suite}: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
