#!/usr/bin/env python3
"""Scale-out through ClickHouse (issue 16): apimon-ship from three ingest
databases into two clickhouse-server shards behind a Distributed table, and
apimon-aggregate computing the rollups there for a reporting host.

    python3 tests/integration/clickhouse.py --bin build/san/bin [-k PATTERN]...

It shares the harness of aggregate.py (Env, the summary line, sanitizer
checks): each test gets tests/out/clickhouse/<test>/.  The two servers are
Debian's clickhouse-server, started once for the suite on 127.0.0.1 with
private configs on free ports (tests/integration/chserver.py), with a
password on their default user; every test works in a ClickHouse database of
its own.  The servers are killed at the end, whatever happened.  The same
records also go through the single-node path (apimon-ingest, then
apimon-aggregate without ClickHouse), and the two must agree: rollup tables
row for row, alerts and their notifications, and every page and JSON file of
the rendered site.  Faults are real: servers stopped, a proxy that cuts or
holds a batch, kill -9, a full disk, a fake server that answers 200 and then
an error.  Only 127.0.0.1 is used.
"""

import fcntl
import hashlib
import http.server
import json
import math
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import aggregate as A  # noqa: E402
import chserver  # noqa: E402

from aggregate import (Failure, check, eq, hist_index, iso_of, ms_of,  # noqa
                       query)

A.OUT = A.ROOT / "tests" / "out" / "clickhouse"
A.TESTS.clear()
A.PROGS += ["apimon-ship", "apimon-cron"]
test = A.test

# Characters that mean something in XML, JSON, URLs and shells.
PASSWORD = 's3cr3t-"&<pw>%#!'
END = "2026-11-26T12:00:00Z"
ZONE = "Asia/Kolkata"           # half-hour offset: local days cross UTC days
DAY_MS = 86400_000
SHIP_RE = re.compile(r"^shipped (\d+) rows in (\d+) batches$")
CL = None                       # the suite's two shards (started on demand)


def servers():
    global CL
    if CL is None:
        CL = chserver.Cluster(A.OUT / "_servers", shards=2, password=PASSWORD)
        CL.__enter__()
    for i, s in enumerate(CL.servers):
        if s not in chserver.RUNNING:
            CL.start(i)
    return CL


def chq(i, sql, **kw):
    return servers().query(i, sql, **kw)


def one(i, sql):
    """The first row of a query's TabSeparated answer, as a list."""
    return chq(i, sql).strip().split("\t")


def chdb_of(env):
    return "t_" + re.sub(r"\W", "_", env.name)[5:50]


def fresh_chdb(env):
    db = chdb_of(env)
    for i in range(len(servers().servers)):
        chq(i, f"DROP DATABASE IF EXISTS {db}")
    return db


MERGES = {"off": False}


def merges(on):
    """SYSTEM STOP MERGES holds only for the tables that exist: init()
    stops them again for the tables it creates while merges are off."""
    MERGES["off"] = not on
    for i in range(len(servers().servers)):
        chq(i, "SYSTEM START MERGES" if on else "SYSTEM STOP MERGES")


def counts(db):
    """(rows, distinct request_ids, rows FINAL) through the Distributed table."""
    c, u = map(int, one(0, f"SELECT count(), uniqExact(request_id) FROM "
                        f"{db}.requests"))
    f = int(one(0, f"SELECT count() FROM {db}.requests FINAL")[0])
    return c, u, f


# ---- configs ---------------------------------------------------------------

def ch_section(db, url=None, urls=None, password=PASSWORD, cluster="apimon"):
    urls = urls or servers().urls
    return {"url": url or urls[0], "database": db, "user": "",
            "password": password, "cluster": cluster, "nodes": urls}


def write(env, name, c):
    p = env.dir / name
    p.write_text(json.dumps(c, indent=2, ensure_ascii=False))
    return str(p)


ALERTS = {"daily_cost_usd": 6.0, "warn_ratio": 0.5, "error_rate": 0.03,
          "min_requests": 20, "latency_p95_s": 4, "no_data_minutes": 45,
          "anomaly_factor": 2,
          "budgets": [{"scope": "user:budget-user", "daily_cost_usd": 0.05,
                       "monthly_cost_usd": 0.5},
                      {"scope": "source:web", "monthly_cost_usd": 20}]}


def ingest_conf(env, i, db, batch_rows=100000, keep_days=7, **ch):
    return write(env, f"ingest{i}.json", {
        "database": str(env.dir / f"in{i}.db"), "timezone": ZONE,
        "prices": A.PRICES,
        "clickhouse": ch_section(db, **ch),
        "ship": {"host": f"ingest-{i}", "keep_days": keep_days,
                 "batch_rows": batch_rows}})


def report_conf(env, db, zone=ZONE, raw_days=3650, name="report", **ch):
    return write(env, f"{name}.json", {
        "database": str(env.dir / f"{name}.db"), "timezone": zone,
        "site_dir": str(env.dir / f"site-{name}"), "alerts": ALERTS,
        "retention": {"raw_days": raw_days}, "prices": A.PRICES,
        "clickhouse": ch_section(db, **ch)})


def single_conf(env, zone=ZONE, raw_days=3650, name="single"):
    return write(env, f"{name}.json", {
        "database": str(env.dir / f"{name}.db"), "timezone": zone,
        "site_dir": str(env.dir / f"site-{name}"), "alerts": ALERTS,
        "retention": {"raw_days": raw_days}, "prices": A.PRICES})


def db_of(conf):
    return json.loads(Path(conf).read_text())["database"]


def site_of(conf):
    return Path(json.loads(Path(conf).read_text())["site_dir"])


# ---- programs --------------------------------------------------------------

def ship(env, conf, expect_rc=0, args=(), timeout=180):
    rc, out, err = env.run("apimon-ship", ["--config", conf, *args],
                           timeout=timeout)
    eq(rc, expect_rc, f"apimon-ship {' '.join(args)} exit status (stderr: "
       f"{err.strip()[-1500:]})")
    if expect_rc != 0 or args:
        return rc, out, err
    lines = out.strip().split("\n")
    eq(len(lines), 1, f"lines apimon-ship printed ({out!r})")
    m = SHIP_RE.match(lines[0])
    check(m is not None, f"apimon-ship printed {lines[0]!r}")
    return int(m.group(1)), int(m.group(2))


def init(env, conf):
    rc, out, err = env.run("apimon-ship", ["--config", conf, "--init"])
    eq((rc, err), (0, ""), "apimon-ship --init")
    if MERGES["off"]:
        merges(False)
    return out


def create_db(env, conf):
    """Only apimon-ingest creates a database: the reporting host's too."""
    env.ingest(conf, records=[])


def render(env, conf, now=END):
    rc, out, err = env.run("apimon-render", ["--config", conf, "--now", now])
    eq((rc, err), (0, ""), f"apimon-render {conf}")


def site_files(folder):
    """The explorer's "v" and "sig" are signatures of a day's local row ids
    (which rows a host holds, not what they say), "upto" and "from_id"
    local ids: each host numbers its own."""
    def body(p):
        b = p.read_bytes()
        if "requests" in p.parts:
            b = re.sub(rb'"v":"[0-9a-f]+"', b'"v":"-"', b)
            b = re.sub(rb'"sig":"[0-9,]+"', b'"sig":"-"', b)
            b = re.sub(rb'"(upto|from_id)":[0-9]+', rb'"\1":"-"', b)
        return b
    return {str(p.relative_to(folder)): body(p)
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def same_received(rep, single):
    """received_ms is when a host took the row: the ingest hosts and the
    single node took the same records at other moments.  The explorer and
    the exports show it, so give the single node the ingest hosts' times
    before the sites are compared byte for byte."""
    import sqlite3
    c = sqlite3.connect(db_of(single))
    try:
        c.execute("ATTACH DATABASE ? AS rep", (str(db_of(rep)),))
        c.execute("UPDATE api_requests SET received_ms = (SELECT r.received_ms"
                  " FROM rep.api_requests r WHERE r.request_id ="
                  " api_requests.request_id) WHERE request_id IN"
                  " (SELECT request_id FROM rep.api_requests)")
        c.commit()
    finally:
        c.close()


def same_site(a, b):
    fa, fb = site_files(a), site_files(b)
    eq(sorted(fa), sorted(fb), "files of the two sites")
    bad = [f for f in fa if fa[f] != fb[f]]
    if bad:
        f = bad[0]
        x, y = fa[f].decode(errors="replace"), fb[f].decode(errors="replace")
        i = next((k for k in range(min(len(x), len(y))) if x[k] != y[k]), 0)
        raise Failure(f"{len(bad)} files differ between {a} and {b}, first "
                      f"{f} at {i}:\n  {x[max(0, i - 150):i + 150]!r}\n  "
                      f"{y[max(0, i - 150):i + 150]!r}")
    return len(fa)


def alert_state(db):
    return (A.dump(db, "alerts"),
            sorted(query(db, "SELECT event, payload, held, created_ms FROM"
                         " outbox")))


def same_state(ch_db, one_db, what):
    A.check_same_rollups(A.rollup_dump(one_db), A.rollup_dump(ch_db), what,
                         ("single node", "clickhouse"))
    a, b = alert_state(one_db), alert_state(ch_db)
    eq(b[0], a[0], f"{what}: alerts (clickhouse vs single node)")
    eq(b[1], a[1], f"{what}: outbox (clickhouse vs single node)")


# ---- records ---------------------------------------------------------------

def lowest(k):
    """The smallest whole microsecond in bucket k or above."""
    lo, hi = 2, 1 << 42
    while lo < hi:
        mid = (lo + hi) // 2
        if hist_index(mid) >= k:
            hi = mid
        else:
            lo = mid + 1
    return lo


def edge_records(end_ms, n=639):
    """Latencies on both sides of every histogram bucket's lower bound up
    to 86,400 s, spread over the last days."""
    out, seen = [], set()
    for k in range(1, n + 1):
        for us in (lowest(k) - 1, lowest(k)):
            if us in seen or us > 86_400_000_000:
                continue
            seen.add(us)
            ts = end_ms - 3600_000 - (len(out) * 7919_000) % (5 * DAY_MS)
            out.append(A.rec(ts, source="edge", execution_time=f"{us}e-6",
                             model="gpt-4o-mini", input_tokens=10,
                             output_tokens=len(out) % 7))
    for r in out:       # execution_time must be a JSON number
        r["execution_time"] = float(r["execution_time"])
    return out


def budget_records(end_ms):
    return [A.rec(end_ms - k * 4 * 3600_000 - 60_000, source="web",
                  user_id="budget-user", model="gpt-4o", cost=0.03,
                  output_tokens=100) for k in range(12)]


def simulated(env, days, per_day, seed, end=END):
    p = env.simulate(days, per_day, seed, end)
    return [json.loads(line) for line in p.read_text().splitlines()]


def split(records, hosts=3, dup_every=0):
    """Records spread over the hosts; every dup_every-th also to the next
    host (a client that retried through another one)."""
    parts = [[] for _ in range(hosts)]
    for i, r in enumerate(records):
        h = int(hashlib.md5(r["request_id"].encode()).hexdigest(), 16) % hosts
        parts[h].append(r)
        if dup_every and i % dup_every == 0:
            parts[(h + 1) % hosts].append(r)
    return parts


def percentiles_within_error(single_db, site, zone):
    """Every daily report's p50/p95/p99 within 2 % (+ 0.5 us) of the exact
    nearest-rank value of the raw rows."""
    z = ZoneInfo(zone)
    lat = {}
    for ts, us in query(single_db, "SELECT ts_ms, latency_us FROM api_requests"):
        lat.setdefault(A.local_day(ts, z), []).append(us)
    n = 0
    for f in sorted((site / "reports" / "daily").glob("*.json")):
        d = json.loads(f.read_text())
        vals = lat.get(d["label"])
        if not vals:
            continue
        for q, key in ((0.50, "p50_latency_s"), (0.95, "p95_latency_s"),
                       (0.99, "p99_latency_s")):
            exact = A.exact_quantile(vals, q)
            got = d["totals"][key] * 1e6
            check(abs(got - exact) <= 0.02 * exact + 0.5 + 1e-6 * exact,
                  f"{f.name} {key}: {got} us, exact {exact} us")
            n += 1
    check(n > 20, f"only {n} percentiles checked")


# ---- a proxy that cuts or holds a batch, and a fake ClickHouse --------------

class Proxy:
    """TCP between apimon-ship and a ClickHouse node.  mode "pass" forwards
    everything; "cut" forwards the first `after` POSTs whole and only
    `cut_bytes` of the next one, then stalls it; "hold" forwards every
    request but keeps ClickHouse's answer to the POST number `after` + 1
    from the client.  `stalled` is set once it cut or held."""

    def __init__(self, target_port, mode="pass", after=0, cut_bytes=4096,
                 before_answer=None):
        self.target = target_port
        self.mode, self.after, self.cut_bytes = mode, after, cut_bytes
        self.before_answer = before_answer      # (n, fn): fn() before answer n
        self.stalled = threading.Event()
        self.go = threading.Event()         # release(): a held answer goes
        self.posts = 0
        self.answers = 0
        self.socks = []
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.stop_ev = threading.Event()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stop_ev.is_set():
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            u = socket.create_connection(("127.0.0.1", self.target))
            self.socks += [c, u]
            threading.Thread(target=self.up, args=(c, u), daemon=True).start()
            threading.Thread(target=self.down, args=(u, c),
                             daemon=True).start()

    def up(self, src, dst):
        budget = None           # bytes of the cut request still to send
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if self.mode == "cut" and budget is None:
                    at = -1
                    for _ in range(data.count(b"POST /")):
                        at = data.index(b"POST /", at + 1)
                        self.posts += 1
                        if self.posts > self.after:
                            budget = self.cut_bytes
                            dst.sendall(data[:at])
                            data = data[at:]
                            break
                else:
                    self.posts += data.count(b"POST /")
                if budget is not None:
                    data = data[:budget]
                    budget -= len(data)
                    dst.sendall(data)
                    if budget <= 0:
                        self.stalled.set()
                        self.stop_ev.wait()
                        return
                    continue
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def down(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self.answers += data.count(b"HTTP/1.1 ")
                if self.before_answer and \
                        self.answers >= self.before_answer[0]:
                    fn, self.before_answer = self.before_answer[1], None
                    fn()
                if self.mode == "hold" and self.answers > self.after and \
                        not self.go.is_set():
                    self.stalled.set()
                    while not self.go.wait(0.05):
                        if self.stop_ev.is_set():
                            return
                dst.sendall(data)
        except OSError:
            pass

    def release(self):
        self.go.set()

    def close(self):
        self.stop_ev.set()
        for s in [self.ls] + self.socks:
            try:
                s.close()
            except OSError:
                pass


class FakeClickHouse:
    """An HTTP server that answers as a broken ClickHouse would: reply(req)
    gives (status, body) for each request, which it records (path with its
    query string, headers, body)."""

    def __init__(self, reply):
        self.requests = []
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = b""
                if self.headers.get("Transfer-Encoding") == "chunked":
                    while True:
                        n = int(self.rfile.readline().strip(), 16)
                        if n == 0:
                            self.rfile.readline()
                            break
                        body += self.rfile.read(n)
                        self.rfile.readline()
                else:
                    body = self.rfile.read(int(self.headers.get(
                        "Content-Length", 0)))
                req = {"path": self.path, "headers": dict(self.headers),
                       "body": body}
                fake.requests.append(req)
                status, text = reply(req)
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


# ==========================================================================
# tests
# ==========================================================================

@test
def test_config_sections_are_checked_with_clear_errors():
    env = A.Env("test_config_sections_are_checked_with_clear_errors")
    good = {"url": "http://127.0.0.1:8123", "database": "apimon", "user": "",
            "password": "", "cluster": "apimon",
            "nodes": ["http://127.0.0.1:8123", "http://127.0.0.1:8124"]}
    cases = [
        ({"clickhouse": dict(good, url=8123)}, '"clickhouse.url": must be a '
         'non-empty string'),
        ({"clickhouse": {k: v for k, v in good.items() if k != "url"}},
         '"clickhouse.url": is required'),
        ({"clickhouse": dict(good, url="ftp://h:1")}, '"clickhouse.url": must '
         'be an http:// or https:// URL'),
        ({"clickhouse": dict(good, url="http://u:hunter2@h:8123",
                             nodes=["http://u:hunter2@h:8123"])},
         '"clickhouse.url": must not hold a user or password'),
        ({"clickhouse": dict(good, url="http://h:8123/?user=x")},
         '"clickhouse.url": must not have a query'),
        ({"clickhouse": dict(good, database="a-b")}, '"clickhouse.database": '
         'must be 1 to 64 of'),
        ({"clickhouse": dict(good, database="x; DROP")},
         '"clickhouse.database": must be'),
        ({"clickhouse": dict(good, user="a:b")}, '"clickhouse.user": must be'),
        ({"clickhouse": dict(good, password=123)}, '"clickhouse.password": '
         'must be a string'),
        ({"clickhouse": dict(good, cluster="x y")}, '"clickhouse.cluster": '
         'must be'),
        ({"clickhouse": dict(good, nodes="http://h:1")}, '"clickhouse.nodes":'
         ' must be an array'),
        ({"clickhouse": dict(good, nodes=[])}, '"clickhouse.nodes": must be '
         'an array of 1 to 1000'),
        ({"clickhouse": dict(good, nodes=[good["url"], 5])},
         '"clickhouse.nodes[1]": must be a string'),
        ({"clickhouse": dict(good, nodes=[good["url"], good["url"]])},
         '"clickhouse.nodes[1]": "http://127.0.0.1:8123" is listed twice'),
        ({"clickhouse": {k: v for k, v in good.items() if k != "nodes"}},
         '"clickhouse.nodes": is required when cluster is set'),
        ({"clickhouse": dict(good, nodes=["http://127.0.0.1:8124"])},
         '"clickhouse.url": must be one of clickhouse.nodes'),
        ({"clickhouse": dict(good, cluster="")}, '"clickhouse.nodes": must be '
         '[url] or absent when cluster is ""'),
        ({"clickhouse": dict(good, port=1)}, '"clickhouse.port": unknown key'),
        ({"clickhouse": good, "ship": {"keep_days": 7}}, '"ship.host": is '
         'required'),
        ({"clickhouse": good, "ship": {"host": "a b"}}, '"ship.host": must be'),
        ({"clickhouse": good, "ship": {"host": "h", "batch_rows": 1000001}},
         '"ship.batch_rows": must be an integer from 1 to 1000000'),
        ({"clickhouse": good, "ship": {"host": "h", "batch_rows": 1e12}},
         '"ship.batch_rows": must be an integer from 1 to 1000000'),
        ({"clickhouse": good, "ship": {"host": "h", "batch_rows": "100"}},
         '"ship.batch_rows": must be an integer'),
        ({"clickhouse": good, "ship": {"host": "h", "batch_rows": 0}},
         '"ship.batch_rows": must be an integer from 1'),
        ({"clickhouse": good, "ship": {"host": "h", "keep_days": -1}},
         '"ship.keep_days": must be an integer from 0 to 36500'),
        ({"clickhouse": good, "ship": {"host": "h", "keep_days": 1.5}},
         '"ship.keep_days": must be an integer'),
        ({"ship": {"host": "h"}}, '"ship": needs the "clickhouse" section'),
        ({"clickhouse": good, "ship": []}, '"ship": must be an object'),
        ({"clickhouse": "http://h"}, '"clickhouse": must be an object'),
    ]
    for i, (c, want) in enumerate(cases):
        c["database"] = str(env.dir / "x.db")
        path = write(env, f"bad{i}.json", c)
        for prog in ("apimon-ship", "apimon-aggregate", "apimon-ingest"):
            args = ["--config", path] + (["--import", "/dev/null"]
                                         if prog == "apimon-ingest" else [])
            rc, out, err = env.run(prog, args)
            eq(rc, 2, f"{prog} exit status for {c}")
            check(f"{path}: {want}" in err, f"{prog} said {err!r} for {c}, "
                  f"expected {want!r}")
            check("hunter2" not in err, f"{prog} echoed the password: {err}")
    # The interface of the issue is accepted as it is written.
    ok = {"database": str(env.dir / "x.db"), "clickhouse": good,
          "ship": {"host": "ingest-1", "keep_days": 7, "batch_rows": 100000}}
    env.ingest(write(env, "ok.json", ok), records=[])
    rc, out, err = env.run("apimon-aggregate", ["--config", env.dir / "ok.json"])
    eq(rc, 2, "apimon-aggregate with an ingest host's config (ship)")
    check('"ship": an ingest host\'s config' in err, f"said {err!r}")


@test
def test_ship_command_line_and_exit_statuses():
    env = A.Env("test_ship_command_line_and_exit_statuses")
    rc, out, err = env.run("apimon-ship", ["--version"])
    eq(rc, 0, "--version")
    check(re.fullmatch(r"apimon-ship \S+\n", out), f"--version said {out!r}")
    rc, out, err = env.run("apimon-ship", ["--help"])
    check(rc == 0 and out.startswith("usage: apimon-ship"), f"--help: {out}")
    for args in (["--init", "--follow"], ["extra"], ["--bogus"]):
        rc, out, err = env.run("apimon-ship", args)
        eq(rc, 2, f"apimon-ship {args}")
        check("usage: apimon-ship" in err, f"usage on stderr for {args}")
    plain = write(env, "plain.json", {"database": str(env.dir / "p.db")})
    rc, out, err = env.run("apimon-ship", ["--config", plain])
    eq(rc, 2, "no clickhouse section")
    check('no "clickhouse" section' in err, err)
    db = fresh_chdb(env)
    conf = ingest_conf(env, 1, db)
    rc, out, err = env.run("apimon-ship", ["--config", conf])
    eq(rc, 1, "a database that does not exist")
    check(f"database not found: {env.dir / 'in1.db'}" in err, err)
    c = json.loads(Path(conf).read_text())
    del c["ship"]
    rc, out, err = env.run("apimon-ship", ["--config", write(env, "n.json", c)])
    eq(rc, 2, "no ship section")
    check('no "ship" section' in err, err)
    # No table yet: the message says what to do.
    env.ingest(conf, records=[A.rec(ms_of(END))])
    rc, out, err = env.run("apimon-ship", ["--config", conf])
    eq(rc, 1, "shipping before --init")
    check("(run apimon-ship --init)" in err and db in err, err)
    eq(A.meta(db_of(conf), "ship_last_id"), None, "the watermark")


@test
def test_init_makes_the_tables_on_every_node_and_can_run_again():
    env = A.Env("test_init_makes_the_tables_on_every_node_and_can_run_again")
    db = fresh_chdb(env)
    conf = ingest_conf(env, 1, db)
    out = init(env, conf)
    eq(out, f"apimon-ship: tables {db}.requests_local and {db}.requests "
       f"(Distributed over cluster apimon) ready on 2 nodes\n", "--init said")
    init(env, conf)
    for i in range(2):
        eng = chq(i, f"SELECT name, engine FROM system.tables WHERE database"
                  f" = '{db}' ORDER BY name").split("\n")
        eq(eng[:2], ["requests\tDistributed",
                     "requests_local\tReplacingMergeTree"], f"tables on node {i}")
        # Every column apimon writes, in SQL that 18.16 takes.
        cols = chq(i, f"SELECT name, type FROM system.columns WHERE database"
                   f" = '{db}' AND table = 'requests_local'").split("\n")
        check("ts_ms\tInt64" in cols and "host\tString" in cols and
              "shipped_ms\tInt64" in cols and "ttft_us\tNullable(Int64)" in
              cols, f"columns {cols}")
    # A table of the same name that is not apimon's is refused, by name.
    other = fresh_chdb(env)
    chq(1, f"CREATE DATABASE {other}")
    chq(1, f"CREATE TABLE {other}.requests_local (request_id String, ts_ms "
        f"UInt32) ENGINE = MergeTree() ORDER BY request_id")
    rc, out, err = env.run("apimon-ship", ["--config", ingest_conf(env, 2,
                                                                   other),
                                           "--init"])
    eq(rc, 1, "--init over a foreign table")
    check(f"table {other}.requests_local is not apimon's: column ts_ms is "
          f"UInt32, not Int64" in err and servers().urls[1] in err, err)
    # One server, no cluster: one table, no Distributed.
    solo = fresh_chdb(env)
    c = json.loads(Path(conf).read_text())
    c["clickhouse"] = {"url": servers().urls[1], "database": solo,
                       "password": PASSWORD}
    out = init(env, write(env, "solo.json", c))
    eq(out, f"apimon-ship: table {solo}.requests ready on "
       f"{servers().urls[1]}\n", "--init with one server")
    env.ingest(str(env.dir / "solo.json"), records=[A.rec(ms_of(END))
                                                    for _ in range(5)])
    eq(ship(env, str(env.dir / "solo.json")), (5, 1), "shipped to one server")
    eq(one(1, f"SELECT count() FROM {solo}.requests"), ["5"], "rows there")


def three_hosts(env, db, records, batch_rows=100000, dup_every=0):
    """Three ingest hosts that got records between them: their configs."""
    confs = [ingest_conf(env, i, db, batch_rows=batch_rows) for i in (1, 2, 3)]
    init(env, confs[0])
    for conf, part in zip(confs, split(records, 3, dup_every)):
        env.ingest(conf, records=part)
    return confs


@test
def test_three_ingest_hosts_give_the_same_reports_as_one_node():
    env = A.Env("test_three_ingest_hosts_give_the_same_reports_as_one_node")
    db = fresh_chdb(env)
    end = ms_of(END)
    records = (simulated(env, 9, 1200, 16) + edge_records(end) +
               budget_records(end))
    confs = three_hosts(env, db, records, batch_rows=2500, dup_every=40)
    shipped = [ship(env, c) for c in confs]
    total = sum(n for n, _ in shipped)
    check(total > len(records), f"the retried copies were shipped too "
          f"({total} rows for {len(records)} records)")
    check(all(b >= 2 for _, b in shipped), f"batches {shipped}")
    for c in confs:
        eq(ship(env, c), (0, 0), "a second run ships nothing")
    # Each shard holds part of it; every host is named; no row is lost.
    per = [int(one(i, f"SELECT count() FROM {db}.requests_local")[0])
           for i in (0, 1)]
    check(min(per) > total // 4, f"rows per shard {per}")
    hosts = chq(0, f"SELECT host, count() FROM {db}.requests GROUP BY host "
                f"ORDER BY host")
    eq([h.split("\t")[0] for h in hosts.split()[::2]],
       ["ingest-1", "ingest-2", "ingest-3"], "hosts in ClickHouse")
    c, u, f = counts(db)
    eq((u, f), (len(records), len(records)), "distinct and FINAL rows")
    eq(c >= f, True, "rows")
    zero = int(one(0, f"SELECT count() FROM {db}.requests WHERE "
                   f"shipped_ms < {end - DAY_MS} OR received_ms = 0")[0])
    eq(zero, 0, "rows without their shipped and received times")

    rep, single = report_conf(env, db), single_conf(env)
    create_db(env, rep)
    env.ingest(single, records=records)
    s = env.aggregate(rep, now=END)
    env.aggregate(single, now=END)
    check(s["rows"] >= len(records) and s["days"] >= 9, f"summary {s}")
    same_state(db_of(rep), db_of(single), "rollups of the same records")
    check(len(query(db_of(single), "SELECT * FROM alerts")) >= 3,
          "the data makes alerts fire")
    render(env, rep)
    same_received(rep, single)
    render(env, single)
    n = same_site(site_of(rep), site_of(single))
    check(n > 30, f"only {n} files in the site")
    percentiles_within_error(db_of(single), site_of(rep), ZONE)
    # Runs with nothing new change nothing; --rebuild gives the same tables.
    before = A.rollup_dump(db_of(rep))
    s = env.aggregate(rep, now=END)
    eq((s["rows"], s["days"]), (0, 0), "a run with nothing new")
    env.aggregate(rep, now=END, rebuild=True)
    A.check_same_rollups(before, A.rollup_dump(db_of(rep)),
                         "--rebuild changed the rollups")


@test
def test_late_and_reshipped_rows_roll_up_once_and_rebuild_gives_the_same():
    env = A.Env("test_late_and_reshipped_rows_roll_up_once_and_rebuild_"
                "gives_the_same")
    db = fresh_chdb(env)
    merges(False)       # copies stay copies: the queries must drop them
    try:
        end = ms_of(END)
        first = simulated(env, 4, 1500, 21, end=iso_of(end - DAY_MS))
        confs = three_hosts(env, db, first, batch_rows=1000)
        rep, single = report_conf(env, db, zone="America/New_York"), \
            single_conf(env, zone="America/New_York")
        create_db(env, rep)
        env.ingest(single, records=first)
        for c in confs:
            ship(env, c)
        now1 = iso_of(end - DAY_MS + 60_000)
        env.aggregate(rep, now=now1)
        env.aggregate(single, now=now1)
        same_state(db_of(rep), db_of(single), "after the first ship")
        # Today's rows, rows back-dated into days rolled up already, and
        # host 1 shipping everything again from the start.
        late = [A.varied(end - k * 5 * 3600_000 - 777, k, source="late")
                for k in range(40)]
        today = simulated(env, 1, 2000, 22)
        for conf, part in zip(confs, split(today + late, 3)):
            env.ingest(conf, records=part)
        env.ingest(single, records=today + late)
        con = A.connect(db_of(confs[0]))
        con.execute("UPDATE meta SET value = 0 WHERE key = 'ship_last_id'")
        con.commit()
        con.close()
        for c in confs:
            ship(env, c)
        c, u, f = counts(db)
        n = len(first) + len(today) + len(late)
        eq((u, f), (n, n), "distinct and FINAL rows")
        check(c > n, f"re-shipped copies are in the table ({c} rows for {n})")
        s = env.aggregate(rep, now=END)
        env.aggregate(single, now=END)
        check(s["rows"] > 0, f"summary {s}")
        same_state(db_of(rep), db_of(single), "after late and re-shipped rows")
        before = A.rollup_dump(db_of(rep))
        env.aggregate(rep, now=END, rebuild=True)
        A.check_same_rollups(before, A.rollup_dump(db_of(rep)),
                             "--rebuild changed the rollups")
        render(env, rep)
        same_received(rep, single)
        render(env, single)
        same_site(site_of(rep), site_of(single))
    finally:
        merges(True)


@test
def test_days_of_23_25_and_23_and_a_half_hours_match_one_node():
    env = A.Env("test_days_of_23_25_and_23_and_a_half_hours_match_one_node")
    db = fresh_chdb(env)
    # New York's 25-hour 2026-11-01; Lord Howe's 2026-10-04, whose DST
    # moves by half an hour (23.5 hours: 23 local hours, one of 90 minutes).
    start = ms_of("2026-09-30T00:00:00Z")
    recs = [A.varied(start + k * 7 * 60_000 + 13, k, source=("a", "b")[k % 2])
            for k in range(int(37 * DAY_MS / (7 * 60_000)))]
    confs = three_hosts(env, db, recs, batch_rows=3000)
    for c in confs:
        ship(env, c)
    now = "2026-11-07T00:00:00Z"
    for i, zone in enumerate(("America/New_York", "Australia/Lord_Howe")):
        rep = report_conf(env, db, zone=zone, name=f"report{i}")
        one_ = single_conf(env, zone=zone, name=f"single{i}")
        create_db(env, rep)
        env.ingest(one_, records=recs)
        env.aggregate(rep, now=now)
        env.aggregate(one_, now=now)
        same_state(db_of(rep), db_of(one_), f"rollups in {zone}")
        hours = query(db_of(rep), "SELECT COUNT(DISTINCT hour) FROM "
                      "hourly_stats WHERE hour >= ? AND hour < ?",
                      ("2026-11-01T04:00", "2026-11-02T05:00") if i == 0
                      else ("2026-10-03T13:30", "2026-10-04T13:00"))[0][0]
        eq(hours, 25 if i == 0 else 23, f"local hours of the DST day in {zone}")


@test
def test_clickhouse_down_the_queue_grows_and_ships_later_without_duplicates():
    env = A.Env("test_clickhouse_down_the_queue_grows_and_ships_later_"
                "without_duplicates")
    db = fresh_chdb(env)
    end = ms_of(END)
    conf = ingest_conf(env, 1, db, batch_rows=700, keep_days=0)
    init(env, conf)
    merges(False)
    cl = servers()
    try:
        env.ingest(conf, records=[A.rec(end - k * 60_000) for k in range(500)])
        eq(ship(env, conf), (500, 1), "shipped while ClickHouse is up")
        cl.stop(0)
        cl.stop(1)
        more = [A.rec(end - k * 61_000, source="later") for k in range(1500)]
        env.ingest(conf, records=more[:800])
        rc, out, err = ship(env, conf, expect_rc=1)
        check(cl.urls[0] in err and "Couldn't connect" in err and
              "500 rows in 1 batches" not in err, f"stderr {err!r}")
        # keep_days 0: shipped rows may go, unshipped rows never.
        left = query(db_of(conf), "SELECT COUNT(*), MIN(source) FROM "
                     "api_requests WHERE source = 'later'")[0]
        eq(left, (800, "later"), "unshipped rows after a failed run")
        eq(A.meta(db_of(conf), "ship_last_id"), 500, "the watermark")
        # --follow waits it out: rows keep coming, ClickHouse comes back.
        argv = [str(A.BIN / "apimon-ship"), "--config", conf, "--follow"]
        p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env.env)
        A.LIVE.add(p)
        time.sleep(1.5)
        env.ingest(conf, records=more[800:])
        check(p.poll() is None, "--follow gave up while ClickHouse was down")
        cl.start(0)
        cl.start(1)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if int(one(0, f"SELECT count() FROM {db}.requests")[0]) >= 2000:
                break
            time.sleep(0.3)
        env.ingest(conf, records=[A.rec(end, source="last")])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if int(one(0, f"SELECT count() FROM {db}.requests")[0]) >= 2001:
                break
            time.sleep(0.2)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
        A.LIVE.discard(p)
        eq(p.returncode, 0, f"--follow after SIGTERM (stderr {err[-800:]!r})")
        said = [SHIP_RE.match(x) for x in out.decode().split("\n") if x]
        check(all(said), f"--follow printed {out!r}")
        eq(sum(int(m.group(1)) for m in said), 1501, "rows --follow shipped")
        check(b"Couldn't connect" in err, "--follow said why it waited")
        eq(counts(db), (2001, 2001, 2001), "rows, distinct, FINAL: no copies")
        eq(A.meta(db_of(conf), "ship_last_id"),
           query(db_of(conf), "SELECT MAX(id) FROM api_requests")[0][0],
           "the watermark is the newest row")
    finally:
        for i in (0, 1):
            if cl.servers[i] not in chserver.RUNNING:
                cl.start(i)
        merges(True)


def kill9_case(env, db, conf, direct, mode):
    """Ship through a proxy that cuts (mode "cut") or holds the answer to
    (mode "hold") the second batch, kill -9 apimon-ship there, ship again
    directly; the ClickHouse rows it leaves (all, distinct, FINAL)."""
    port = int(servers().urls[0].rsplit(":", 1)[1])
    px = Proxy(port, mode=mode, after=1)
    c = json.loads(Path(conf).read_text())
    c["clickhouse"]["url"] = px.url
    c["clickhouse"]["nodes"] = [px.url, servers().urls[1]]
    via = write(env, f"via-{mode}.json", c)
    argv = [str(A.BIN / "apimon-ship"), "--config", via]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env.env)
    A.LIVE.add(p)
    try:
        check(px.stalled.wait(60), f"the proxy never {mode} a batch")
        time.sleep(0.3)
        check(p.poll() is None, "apimon-ship ended before the kill")
        p.kill()
        p.wait()
        A.LIVE.discard(p)
    finally:
        px.close()
    wm = A.meta(db_of(conf), "ship_last_id")
    eq(wm, 1000, f"the watermark after kill -9 ({mode}): the first batch only")
    ok = query(db_of(conf), "PRAGMA integrity_check")[0][0]
    eq(ok, "ok", "the ingest database after kill -9")
    n, b = ship(env, direct)
    eq((n, b), (2000, 2), f"the rerun after kill -9 ({mode})")
    return counts(db)


@test
def test_kill_9_mid_batch_then_rerun_loses_and_doubles_nothing():
    env = A.Env("test_kill_9_mid_batch_then_rerun_loses_and_doubles_nothing")
    end = ms_of(END)
    merges(False)
    try:
        results, base = {}, fresh_chdb(env)
        for mode in ("cut", "hold"):
            db = base + "_" + mode
            for i in (0, 1):
                chq(i, f"DROP DATABASE IF EXISTS {db}")
            conf = ingest_conf(env, mode, db, batch_rows=1000)
            init(env, conf)
            env.ingest(conf, records=[A.varied(end - k * 30_000, k)
                                      for k in range(3000)])
            results[mode] = kill9_case(env, db, conf, conf, mode)
        # Cut mid-body: ClickHouse took none of the batch.
        eq(results["cut"], (3000, 3000, 3000), "rows after a cut batch")
        # Held after ClickHouse wrote it: the batch is there twice, and
        # counted once.
        eq(results["hold"], (4000, 3000, 3000), "rows after a held batch")
        single = single_conf(env)
        env.ingest(single, records=[])
        con = A.connect(db_of(single))
        src = A.connect(str(env.dir / "inhold.db"))
        cols = ("request_id, ts_ms, source, user_id, command, model, provider,"
                " status, latency_us, ttft_us, input_tokens, output_tokens,"
                " tokens, cost_nusd, cost_source, error, metadata,"
                " received_ms")
        con.executemany(f"INSERT INTO api_requests ({cols}) VALUES "
                        f"({','.join('?' * 18)})",
                        src.execute(f"SELECT {cols} FROM api_requests"))
        con.commit()
        con.close()
        src.close()
        rep = report_conf(env, base + "_hold")
        create_db(env, rep)
        env.aggregate(rep, now=END)
        env.aggregate(single, now=END)
        same_state(db_of(rep), db_of(single), "rollups after kill -9")
    finally:
        merges(True)


def cron(env, conf):
    e = dict(env.env, APIMON_BIN=str(A.BIN))
    p = subprocess.run([str(A.BIN / "apimon-cron"), "--config", conf],
                       capture_output=True, timeout=300, env=e)
    env.log.write(f"$ apimon-cron --config {conf}\n# exit {p.returncode}\n"
                  f"{p.stdout.decode(errors='replace')}"
                  f"{p.stderr.decode(errors='replace')}\n")
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


@test
def test_shard_down_during_aggregate_fails_clearly_and_the_site_stays():
    env = A.Env("test_shard_down_during_aggregate_fails_clearly_and_the_site_"
                "stays")
    db = fresh_chdb(env)
    recs = simulated(env, 2, 1500, 31)
    confs = three_hosts(env, db, recs)
    for c in confs:
        ship(env, c)
    rep = report_conf(env, db)
    create_db(env, rep)
    rc, out, err = cron(env, rep)
    eq(rc, 0, f"apimon-cron with both shards up (stderr {err})")
    site = site_of(rep)
    before = site_files(site)
    rollups = A.rollup_dump(db_of(rep))
    mirror = query(db_of(rep), "SELECT COUNT(*) FROM api_requests")
    more = simulated(env, 1, 900, 32, end=iso_of(ms_of(END) + 3600_000))
    for conf, part in zip(confs, split(more, 3)):
        env.ingest(conf, records=part)
        ship(env, conf)
    cl = servers()
    try:
        cl.stop(1)
        rc, out, err = cron(env, rep)
        eq(rc, 1, f"apimon-cron with shard 2 down (stdout {out})")
        check(f"clickhouse: {cl.urls[1]}: Failed to connect" in err and
              "nothing was published" in err, f"stderr {err!r}")
        eq(site_files(site), before, "the site after the failed run")
        A.check_same_rollups(rollups, A.rollup_dump(db_of(rep)),
                             "rollups after the failed run")
        eq(query(db_of(rep), "SELECT COUNT(*) FROM api_requests"), mirror,
           "the mirror after the failed run")
        # Shard 2 answers the questions about its parts, then stops: the
        # rollup query through the Distributed table fails mid-run.
        cl.start(1)
        px = Proxy(cl.servers[1].http, before_answer=(2, lambda: cl.stop(1)))
        c = json.loads(Path(rep).read_text())
        c["clickhouse"]["nodes"][1] = px.url
        via = write(env, "report-via.json", c)
        try:
            rc, out, err = env.run("apimon-aggregate", ["--config", via])
        finally:
            px.close()
        eq(rc, 1, "apimon-aggregate with shard 2 gone mid-run")
        check(cl.servers[1] not in chserver.RUNNING, "shard 2 was stopped")
        check(f"clickhouse: {cl.urls[0]}: HTTP 500: Code: 279" in err and
              "nothing was published" in err, f"stderr {err!r}")
        eq(site_files(site), before, "the site after the second failed run")
        A.check_same_rollups(rollups, A.rollup_dump(db_of(rep)),
                             "rollups after the second failed run")
        eq(query(db_of(rep), "SELECT COUNT(*) FROM api_requests"), mirror,
           "the mirror after the second failed run")
    finally:
        if cl.servers[1] not in chserver.RUNNING:
            cl.start(1)
    rc, out, err = cron(env, rep)
    eq(rc, 0, f"apimon-cron once the shard is back (stderr {err})")
    single = single_conf(env)
    env.ingest(single, records=recs + more)
    env.aggregate(single, now=None)
    A.check_same_rollups(A.rollup_dump(db_of(single)),
                         A.rollup_dump(db_of(rep)), "rollups after recovery",
                         ("single node", "clickhouse"))


@test
def test_an_error_after_200_headers_is_a_failure():
    env = A.Env("test_an_error_after_200_headers_is_a_failure")
    err_text = ("Code: 241, e.displayText() = DB::Exception: Memory limit "
                "(for query) exceeded")

    def reply(req):
        body = req["body"].decode(errors="replace")
        if "system.parts" in body:
            # Rows, then the exception text, all behind a 200.
            return 200, ("20400\t1\t5\t10\tMergeTree\n20401\t6\t6\t3\t"
                         "MergeTree\n" + err_text + "\n")
        if "INSERT" in req["path"] or "INSERT" in body:
            return 200, err_text + "\n"
        return 200, ""

    fake = FakeClickHouse(reply)
    try:
        ch = {"url": fake.url, "database": "apimon", "user": "apimon",
              "password": PASSWORD, "cluster": "", "nodes": [fake.url]}
        conf = write(env, "ingest.json", {
            "database": str(env.dir / "in.db"), "clickhouse": ch,
            "ship": {"host": "h1", "batch_rows": 10}})
        env.ingest(conf, records=[A.rec(ms_of(END)) for _ in range(25)])
        rc, out, err = ship(env, conf, expect_rc=1)
        check(f"{fake.url}: HTTP 200 with an error: {err_text}" in err, err)
        eq(A.meta(db_of(conf), "ship_last_id"), None, "the watermark")
        eq(out, "", "stdout of the failed run")
        rep = write(env, "report.json", {
            "database": str(env.dir / "rep.db"), "clickhouse": ch})
        create_db(env, rep)
        rc, out, err = env.run("apimon-aggregate", ["--config", rep])
        eq(rc, 1, "apimon-aggregate after a 200 with an error")
        check(f"{fake.url}: unexpected reply: {err_text}" in err and
              "nothing was published" in err, err)
        # Every request asked for wait_end_of_query and sent the password
        # as basic auth only.
        import base64
        auth = "Basic " + base64.b64encode(
            f"apimon:{PASSWORD}".encode()).decode()
        for r in fake.requests:
            check("wait_end_of_query=1" in r["path"], f"request {r['path']}")
            eq(r["headers"].get("Authorization"), auth, "Authorization")
            check(PASSWORD not in r["path"] and "s3cr3t" not in r["path"],
                  "the password in a URL")
        ins = [r for r in fake.requests if "INSERT" in r["path"]]
        check(ins and ins[0]["headers"].get("Content-Encoding") == "gzip",
              "inserts are gzip")
        import gzip
        rows = [json.loads(x) for x in gzip.decompress(ins[0]["body"])
                .decode().splitlines()]
        eq(len(rows), 10, "rows of one batch")
        eq(sorted(rows[0]), sorted([
            "request_id", "ts_ms", "source", "user_id", "command", "model",
            "provider", "status", "latency_us", "ttft_us", "input_tokens",
            "output_tokens", "tokens", "cost_nusd", "cost_source", "error",
            "metadata", "received_ms", "host", "shipped_ms"]),
           "every column in every row")
    finally:
        fake.close()


@test
def test_password_never_in_argv_logs_or_messages():
    env = A.Env("test_password_never_in_argv_logs_or_messages")
    db = fresh_chdb(env)
    conf = ingest_conf(env, 1, db)
    init(env, conf)
    env.ingest(conf, records=[A.rec(ms_of(END)) for _ in range(20)])
    # A wrong password: ClickHouse says 401, the message has no password.
    wrong = json.loads(Path(conf).read_text())
    wrong["clickhouse"]["password"] = "Wr0ng-" + PASSWORD
    wconf = write(env, "wrong.json", wrong)
    rc, out, err = ship(env, wconf, expect_rc=1)
    check("HTTP 401" in err and "Wrong password" in err, err)
    # A server that repeats the password in its error: replaced by ***.
    fake = FakeClickHouse(lambda req: (500, f"Code: 999, bad password "
                                       f"{PASSWORD} for user"))
    try:
        echo = json.loads(Path(conf).read_text())
        echo["clickhouse"].update(url=fake.url, nodes=[fake.url], cluster="")
        rc, out, err = ship(env, write(env, "echo.json", echo), expect_rc=1)
        check("bad password *** for user" in err, err)
    finally:
        fake.close()
    # While it runs, not in its command line or environment.
    argv = [str(A.BIN / "apimon-ship"), "--config", conf, "--follow"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env.env)
    A.LIVE.add(p)
    try:
        time.sleep(1.0)
        for f in ("cmdline", "environ"):
            data = Path(f"/proc/{p.pid}/{f}").read_bytes()
            check(PASSWORD.encode() not in data and b"s3cr3t" not in data,
                  f"the password in /proc/PID/{f}")
    finally:
        p.send_signal(signal.SIGTERM)
        out2, err2 = p.communicate(timeout=30)
        A.LIVE.discard(p)
    eq(counts(db)[2], 20, "rows shipped by --follow")
    env.log.flush()
    for f in env.dir.rglob("*"):
        if f.is_file() and f.suffix not in (".json", ".db") and \
                "-wal" not in f.name and "-shm" not in f.name:
            check(b"s3cr3t" not in f.read_bytes(), f"the password in {f}")
    for text in (out, err, out2.decode(), err2.decode()):
        check("s3cr3t" not in text, f"the password in output {text!r}")


@test
def test_one_ship_at_a_time():
    env = A.Env("test_one_ship_at_a_time")
    db = fresh_chdb(env)
    conf = ingest_conf(env, 1, db, batch_rows=500)
    init(env, conf)
    env.ingest(conf, records=[A.rec(ms_of(END) - k) for k in range(6000)])
    lock = Path(db_of(conf) + ".ship.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        eq(ship(env, conf), (0, 0), "a run while another holds the lock")
        rc, out, err = ship(env, conf, expect_rc=1, args=["--follow"])
        check(f"another apimon-ship holds {lock}" in err, err)
    finally:
        os.close(fd)
    eq(counts(db), (0, 0, 0), "rows shipped while the lock was held")
    merges(False)
    try:
        # Four at once: one ships, the others find the lock.
        argv = [str(A.BIN / "apimon-ship"), "--config", conf]
        ps = [subprocess.Popen(argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env.env)
              for _ in range(4)]
        res = [p.communicate(timeout=120) + (p.returncode,) for p in ps]
        eq([r[2] for r in res], [0, 0, 0, 0], f"exit statuses {res}")
        n = sorted(int(SHIP_RE.match(r[0].decode().strip()).group(1))
                   for r in res)
        eq(sum(n), 6000, f"rows the four runs shipped {n}")
        eq(counts(db), (6000, 6000, 6000), "rows, distinct, FINAL")
    finally:
        merges(True)


@test
def test_huge_batches_stream_in_bounded_memory():
    env = A.Env("test_huge_batches_stream_in_bounded_memory")
    db = fresh_chdb(env)
    conf = ingest_conf(env, 1, db, batch_rows=1000000)
    init(env, conf)
    pad = "m" * 3900
    recs = [A.rec(ms_of(END) - k, metadata={"pad": pad, "i": k},
                  command="c" * 200) for k in range(25000)]
    env.ingest(conf, records=recs)
    size = sum(len(json.dumps(r)) for r in recs)
    # The child's peak RSS, from a process of its own.
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:],"
            " capture_output=True); print(r.returncode, resource.getrusage("
            "resource.RUSAGE_CHILDREN).ru_maxrss); sys.stderr.write("
            "r.stdout.decode() + r.stderr.decode())")
    p = subprocess.run([sys.executable, "-c", code, str(A.BIN / "apimon-ship"),
                        "--config", conf], capture_output=True, env=env.env,
                       timeout=300)
    rc, kb = map(int, p.stdout.split())
    eq(rc, 0, f"apimon-ship exit ({p.stderr.decode()[-800:]})")
    check("shipped 25000 rows in 1 batches" in p.stderr.decode(),
          p.stderr.decode())
    check(kb * 1024 < size / 2, f"apimon-ship peaked at {kb} KiB for "
          f"{size >> 10} KiB of rows: it does not stream")
    eq(counts(db)[2], 25000, "rows in ClickHouse")
    eq(one(0, f"SELECT max(length(metadata)) FROM {db}.requests"),
       [str(len(json.dumps({"pad": pad, "i": 10000}, separators=(",", ":"))))],
       "metadata arrives whole")


class FullDisk:
    """A folder whose disk fills up: a 12 MiB tmpfs when run as root, else
    a file-size limit (RLIMIT_FSIZE, set on the running program with
    prlimit) that no file may grow past."""

    def __init__(self, env):
        self.env = env
        self.dir = env.dir / "disk"
        self.dir.mkdir()
        self.mounted = False
        if os.geteuid() == 0:
            r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                                "size=12m,mode=0755", "tmpfs", str(self.dir)],
                               capture_output=True)
            self.mounted = r.returncode == 0
        self.filler = self.dir / "filler"

    def fill(self, db, pid=None):
        """No more room for db (its WAL emptied first: the next write must
        grow a file); pid: the program that is to feel it."""
        con = A.connect(db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        if not self.mounted:
            if pid is not None:
                resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, 1))
            return
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o644)
        try:
            for size in (1 << 20, 4096, 512, 1):
                try:
                    while os.write(fd, b"\xaa" * size) == size:
                        pass
                except OSError:
                    pass
        finally:
            os.close(fd)

    def free(self):
        if self.filler.exists():
            self.filler.unlink()

    def start(self, prog, args, full=False):
        """prog, with SIGXFSZ ignored so that a write past the limit fails
        as on a full disk instead of killing it; full: on a full disk."""
        argv = [str(A.BIN / prog)] + [str(a) for a in args]
        limit = full and not self.mounted

        def pre():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            if limit:
                resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))
        p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env.env,
                             preexec_fn=pre)
        A.LIVE.add(p)
        return p

    def finish(self, p):
        out, err = p.communicate(timeout=180)
        A.LIVE.discard(p)
        self.env.log.write(f"$ {p.args} (disk full)\n# exit {p.returncode}\n"
                           f"{out.decode()}{err.decode()}\n")
        return p.returncode, out.decode(), err.decode()

    def close(self):
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.dir)],
                           capture_output=True)


@test
def test_full_disk_locally_keeps_the_watermark_and_ships_again():
    env = A.Env("test_full_disk_locally_keeps_the_watermark_and_ships_again")
    db = fresh_chdb(env)
    disk = FullDisk(env)
    merges(False)
    try:
        c = json.loads(Path(ingest_conf(env, 1, db, batch_rows=2000))
                       .read_text())
        c["database"] = str(disk.dir / "in.db")
        conf = write(env, "ingest-disk.json", c)
        r = json.loads(Path(report_conf(env, db)).read_text())
        r["database"] = str(disk.dir / "rep.db")
        rep = write(env, "report-disk.json", r)
        init(env, conf)
        recs = [A.varied(ms_of(END) - k * 40_000, k) for k in range(3000)]
        env.ingest(conf, records=recs)
        create_db(env, rep)
        # The disk fills up while ClickHouse writes the first batch: the
        # watermark cannot be saved, and the batch goes again later.
        px = Proxy(int(servers().urls[0].rsplit(":", 1)[1]), mode="hold")
        v = json.loads(Path(conf).read_text())
        v["clickhouse"].update(url=px.url, nodes=[px.url, servers().urls[1]])
        via = write(env, "ingest-via.json", v)
        p = disk.start("apimon-ship", ["--config", via])
        try:
            check(px.stalled.wait(60), "the first batch never reached "
                  "ClickHouse")
            disk.fill(c["database"], p.pid)
            px.release()
            rc, out, err = disk.finish(p)
        finally:
            px.close()
        eq(rc, 1, f"apimon-ship when the disk fills up (stdout {out!r})")
        check("saving the watermark" in err and "sent again and kept once"
              in err, err)
        eq(counts(db)[2], 2000, "ClickHouse took the first batch")
        disk.free()
        eq(A.meta(c["database"], "ship_last_id"), None, "the watermark")
        eq(ship(env, conf), (3000, 2), "the run after space came back")
        eq(counts(db), (5000, 3000, 3000), "rows, distinct, FINAL")
        eq(query(c["database"], "PRAGMA integrity_check")[0][0], "ok",
           "the ingest database")
        # The reporting host's disk is full: nothing is published, and
        # the next run does it all.
        disk.fill(r["database"])
        p = disk.start("apimon-aggregate", ["--config", rep, "--now", END],
                       full=True)
        rc, out, err = disk.finish(p)
        eq(rc, 1, f"apimon-aggregate on a full disk (stdout {out!r})")
        check(r["database"] in err, err)
        disk.free()
        eq(query(r["database"], "SELECT COUNT(*) FROM daily_stats"), [(0,)],
           "rollups written on a full disk")
        env.aggregate(rep, now=END)
        single = single_conf(env)
        env.ingest(single, records=recs)
        env.aggregate(single, now=END)
        same_state(r["database"], db_of(single), "rollups after a full disk")
    finally:
        merges(True)
        disk.close()


@test
def test_retention_drops_old_partitions_and_keeps_their_rollups():
    env = A.Env("test_retention_drops_old_partitions_and_keeps_their_rollups")
    db = fresh_chdb(env)
    recs = simulated(env, 12, 600, 41) + [
        A.rec(ms_of(END) - 9 * DAY_MS + k * 60_000, source="quiet")
        for k in range(80)]
    confs = three_hosts(env, db, recs)
    for c in confs:
        ship(env, c)
    rep, single = report_conf(env, db, zone="UTC"), single_conf(env, zone="UTC")
    create_db(env, rep)
    env.ingest(single, records=recs)
    env.aggregate(rep, now=END)
    env.aggregate(single, now=END)
    kept = A.rollup_dump(db_of(rep))
    before = [int(one(i, f"SELECT count() FROM {db}.requests_local")[0])
              for i in (0, 1)]
    # Five days of raw rows from now on; the older days keep their rollups.
    r = json.loads(Path(rep).read_text())
    r["retention"]["raw_days"] = 5
    # The explorer's two days: the mirror keeps no more than the dashboard's.
    r.setdefault("site", {})["explorer_days"] = 2
    r["alerts"]["budgets"] = [{"scope": "user:budget-user",
                               "daily_cost_usd": 0.05}]
    rep5 = write(env, "report.json", r)
    s = env.aggregate(rep5, now=END)
    cut = A.local_midnight_ms("2026-11-21", "UTC") // DAY_MS
    for i in (0, 1):
        parts = chq(i, f"SELECT DISTINCT partition_id FROM system.parts WHERE"
                    f" database = '{db}' AND active").split()
        check(parts and min(map(int, parts)) >= cut, f"partitions left on "
              f"node {i + 1}: {parts} (cut {cut})")
    after = [int(one(i, f"SELECT count() FROM {db}.requests_local")[0])
             for i in (0, 1)]
    eq(s["purged"], sum(before) - sum(after), "old rows deleted (summary)")
    check(s["purged"] > 3000, f"rows dropped {s}")
    eq(A.meta(db_of(rep), "purged_before_ms"), cut * DAY_MS,
       "purged_before_ms")
    A.check_same_rollups(kept, A.rollup_dump(db_of(rep)),
                         "rollups after retention", ("before", "after"))
    env.aggregate(rep5, now=END, rebuild=True)
    A.check_same_rollups(kept, A.rollup_dump(db_of(rep)),
                         "--rebuild after retention", ("before", "after"))
    # The mirror: yesterday and today, and each source's newest rows.
    day0 = A.local_midnight_ms("2026-11-25", "UTC")
    rows = query(db_of(rep), "SELECT source, COUNT(*) FROM api_requests "
                 "WHERE ts_ms < ? GROUP BY source", (day0,))
    check(all(n <= 50 for _, n in rows), f"old mirror rows {rows}")
    newest = "SELECT request_id FROM api_requests WHERE source = 'quiet' " \
        "ORDER BY ts_ms DESC LIMIT 50"
    eq(sorted(query(db_of(rep), "SELECT request_id FROM api_requests WHERE "
                    "source = 'quiet'")),
       sorted(query(db_of(single), newest)), "the quiet source's newest rows")
    eq(query(db_of(rep), "SELECT COUNT(*) FROM api_requests WHERE ts_ms >= ?",
             (day0,)),
       query(db_of(single), "SELECT COUNT(*) FROM api_requests WHERE ts_ms >="
             " ?", (day0,)), "mirror rows since yesterday")


@test
def test_keep_days_deletes_only_shipped_rows_and_never_the_newest():
    env = A.Env("test_keep_days_deletes_only_shipped_rows_and_never_the_"
                "newest")
    db = fresh_chdb(env)
    now = int(time.time() * 1000)
    conf = ingest_conf(env, 1, db, keep_days=2, batch_rows=300)
    init(env, conf)
    old = [A.rec(now - 10 * DAY_MS + k * 1000) for k in range(1000)]
    new = [A.rec(now - 3600_000 + k * 1000) for k in range(200)]
    env.ingest(conf, records=old + new)
    cl = servers()
    try:
        cl.stop(0)
        ship(env, conf, expect_rc=1)
    finally:
        cl.start(0)
    eq(query(db_of(conf), "SELECT COUNT(*) FROM api_requests"), [(1200,)],
       "rows after a failed ship: none deleted")
    eq(ship(env, conf), (1200, 4), "shipped")
    eq(query(db_of(conf), "SELECT COUNT(*), MIN(ts_ms) FROM api_requests"),
       [(200, now - 3600_000)], "rows after the ship: the last 2 days")
    # Old rows only, all shipped, keep_days 0: all go but the newest.
    c = json.loads(Path(conf).read_text())
    c["ship"]["keep_days"] = 0
    conf0 = write(env, "ingest0.json", c)
    env.ingest(conf0, records=[A.rec(now - 5 * DAY_MS + k) for k in range(50)])
    eq(ship(env, conf0), (50, 1), "shipped")
    top = query(db_of(conf), "SELECT MAX(id) FROM api_requests")[0][0]
    left = query(db_of(conf), "SELECT id FROM api_requests")
    eq(left, [(top,)], "rows left with keep_days 0: the newest alone")
    env.ingest(conf0, records=[A.rec(now - 5 * DAY_MS - 1)])
    eq(ship(env, conf0), (1, 1), "a row stored after the purge is shipped")
    eq(counts(db)[2], 1251, "rows in ClickHouse")


if __name__ == "__main__":
    try:
        if not os.access(chserver.SERVER, os.X_OK):
            print(f"clickhouse.py: {chserver.SERVER} is missing; run "
                  f"make deps-test")
            print("clickhouse: 0 passed, 1 failed")
            sys.exit(1)
        sys.exit(A.main("clickhouse", __doc__))
    finally:
        A.cleanup()
        chserver.stop_all()
