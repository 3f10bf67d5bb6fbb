#!/usr/bin/env python3
"""apimon-render golden tests: every number of the rendered site, checked
against an independent computation from the raw api_requests rows.

    python3 tests/integration/render.py --bin build/san/bin [-k PATTERN]...

The golden dataset is apimon-simulate --days 35 --per-day 2000 --seed 7
--end 2026-11-26T10:00:00Z plus a few hand-made records (local-midnight,
ISO-week and month boundaries, an unpriced model, a reported cost over the
daily limit, markup in user-supplied strings, a latency of 0 and of a day).
It goes through apimon-ingest --import and apimon-aggregate --now, and
apimon-render --now 2026-11-26T10:00:00Z writes the site under
tests/out/render/golden/site.  Every expectation below is computed here from
the api_requests rows (zoneinfo for local days, ISO weeks starting on Monday
in the configured zone), never from the rollups, except where a test says it
compares with daily_stats on purpose.

Comparison rules (the "contract" these tests enforce):
  * counts (requests, successes, failures, tokens, input_tokens,
    output_tokens) are exact;
  * success_rate = successes / requests, avg_latency_s = sum latency_us /
    requests / 1e6: relative 1e-12;
  * cost_usd = sum cost_nusd / 1e9: relative 1e-9;
  * p50/p95/p99_latency_s: within 2 % (+ 1 us) of the exact nearest-rank
    percentile (rank = ceil(q * N)) of latency_us / 1e6.

A test FAILS on a wrong value, an unexpected exit status, or any
sanitizer report of a program it ran.  Python 3 standard library only; no
network.  The last line of output is always "render: N passed, N failed";
the exit status is 1 when anything failed.
"""

import argparse
import bisect
import csv
import datetime
import fnmatch
import io
import json
import math
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import traceback
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import catalogue

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "out" / "render"
BIN = None                      # Path, set by main()

NOW = "2026-11-26T10:00:00Z"
PAST_NOW = "2026-11-20T04:00:00Z"       # 12:00 local, six days earlier
ZONE = "Asia/Taipei"
DST_ZONE = "America/New_York"           # 2026-11-01 has 25 hours there
PRICES = {"gpt-4o-mini": {"input_per_mtok": 0.15, "output_per_mtok": 0.60},
          "gpt-4o": {"input_per_mtok": 2.5, "output_per_mtok": 10.0}}

HOUR_MS = 3600 * 1000
DASH_DAYS = 60
RECENT_ROWS = 50
# Raised from 150 KB for issue 9 (number formatting, freshness, refresh,
# cost trend, first visit), and to 164 KB for issue 10 (the catalogue's
# script words in the page, Intl formatting); the recent rows of every
# source are ~45 KB of it.  Raised to 176 KB for issue 14: the request id
# of each recent row, in the data and linked in the table, is ~11 KB; the
# explorer and the more charts (charts.js, data/charts.json) load files
# of their own, only when they are used.
PAGE_BUDGET = 176 * 1024
GAMMA = 1.02 / 0.98                     # lib/hist.h

COUNT_FIELDS = ("requests", "successes", "failures", "tokens",
                "input_tokens", "output_tokens")
TOTAL_FIELDS = ("requests", "successes", "failures", "success_rate",
                "avg_latency_s", "p50_latency_s", "p95_latency_s",
                "p99_latency_s", "tokens", "input_tokens", "output_tokens",
                "cost_usd")
QUANTILES = (("p50_latency_s", "0.50"), ("p95_latency_s", "0.95"),
             ("p99_latency_s", "0.99"))

RENDER_RE = re.compile(r"^apimon-render: (.+): (\d+) files written "
                       r"\((\d+) bytes\), (\d+) unchanged, (\d+) removed$")

# Markup that must stay text wherever it lands (HTML, attributes, JSON in
# <script>).  Models are at most 64 characters.
MARKUP_MODEL = "<i>m&amp;\"'</i></script><!--"
MARKUP_USER = "<img src=x onerror=\"window.__xss=1\">"
MARKUP_COMMAND = "</script><script>window.__xss=2</script>\u2028\u2029"


def hand_made():
    """Records at the edges of days, weeks and months in Asia/Taipei
    (UTC+8), and odd values; each one documents what it is for."""
    def r(rid, ts, **kw):
        d = {"request_id": "hand-" + rid, "source": "edge-job_1",
             "status": "success", "execution_time": 1.0, "timestamp": ts,
             "model": "gpt-4o-mini", "input_tokens": 100,
             "output_tokens": 20}
        d.update(kw)
        return {k: v for k, v in d.items() if v is not None}
    return [
        # last and first millisecond of the local day 2026-11-26 (Thursday)
        r("day-end", "2026-11-25T15:59:59.999Z", status="timeout",
          execution_time=0.0),
        r("day-start", "2026-11-25T16:00:00.000Z", execution_time=86400),
        # Sunday 23:59:59.999 and Monday 00:00 local: ISO weeks W47 / W48
        r("week-end", "2026-11-22T15:59:59.999Z", status="rate_limited"),
        r("week-start", "2026-11-22T16:00:00.000Z", status="error",
          error="upstream 502"),
        # 2026-10-31 23:59:59.999 and 2026-11-01 00:00 local: months
        r("month-end", "2026-10-31T15:59:59.999Z", execution_time=0.25),
        r("month-start", "2026-10-31T16:00:00.000Z", execution_time=7.5),
        # no model at all (by_model ""), tokens only as a total
        r("no-model", "2026-11-26T01:00:00Z", model=None, input_tokens=None,
          output_tokens=None, tokens_used=4242),
        # a model without a price and without a reported cost: cost 0 and
        # an "unpriced" alert naming it (markup in the model name, too)
        r("unpriced", "2026-11-26T02:00:00Z", model=MARKUP_MODEL,
          user_id=MARKUP_USER, command=MARKUP_COMMAND),
        # a reported cost over the $10 daily limit: a critical alert
        r("expensive", "2026-11-24T05:00:00Z", model="gpt-4o", cost=12.5,
          source="web", input_tokens=900000, output_tokens=100000),
        # Unix-seconds timestamp, large token counts, unicode command
        r("unix-ts", 1795600800, command="総結 — résumé ✓", source="web",
          input_tokens=123456, output_tokens=654321),
    ]


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def eq(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


class Problems:
    """Collects every mismatch of a test, then fails once with all of them."""

    def __init__(self):
        self.items = []

    def add(self, msg):
        self.items.append(msg)

    def close(self, what):
        if self.items:
            head = "\n    ".join(self.items[:25])
            more = len(self.items) - 25
            raise Failure(f"{len(self.items)} wrong value(s) in {what}:\n    "
                          f"{head}" + (f"\n    ... and {more} more"
                                       if more > 0 else ""))


# --------------------------------------------------------------------------
# time, calendar
# --------------------------------------------------------------------------

def ms_of(iso):
    return int(round(datetime.datetime.fromisoformat(
        iso.replace("Z", "+00:00")).timestamp() * 1000))


def local_day(ms, zone):
    return datetime.datetime.fromtimestamp(
        ms / 1000, ZoneInfo(zone)).strftime("%Y-%m-%d")


def local_midnight(day, zone):
    """The first instant of a local day, as an aware datetime."""
    z = ZoneInfo(zone)
    d = datetime.date.fromisoformat(day)
    for h in range(24):
        t = datetime.datetime(d.year, d.month, d.day, h, tzinfo=z)
        u = t.astimezone(datetime.timezone.utc).astimezone(z)
        if u.replace(tzinfo=None) == t.replace(tzinfo=None):
            return u
    raise ValueError(day)


def rfc3339_local(dt):
    s = dt.isoformat()
    return s[:-6] + "Z" if s.endswith("+00:00") else s


def add_days(day, n):
    return (datetime.date.fromisoformat(day) +
            datetime.timedelta(days=n)).isoformat()


def iso_week_label(day):
    y, w, _ = datetime.date.fromisoformat(day).isocalendar()
    return f"{y:04d}-W{w:02d}"


class Period:
    """A report period: local days [first, after) and the one before."""

    def __init__(self, kind, label, first, after, pfirst, pafter):
        self.kind, self.label = kind, label
        self.first, self.after = first, after
        self.pfirst, self.pafter = pfirst, pafter

    def __contains__(self, day):
        return self.first <= day < self.after

    def in_previous(self, day):
        return self.pfirst <= day < self.pafter


def period(kind, day):
    d = datetime.date.fromisoformat(day)
    if kind == "daily":
        return Period(kind, day, day, add_days(day, 1), add_days(day, -1), day)
    if kind == "weekly":
        mon = (d - datetime.timedelta(days=d.weekday())).isoformat()
        return Period(kind, iso_week_label(day), mon, add_days(mon, 7),
                      add_days(mon, -7), mon)
    first = d.replace(day=1)
    after = (first + datetime.timedelta(days=32)).replace(day=1)
    pfirst = (first - datetime.timedelta(days=1)).replace(day=1)
    return Period(kind, f"{d.year:04d}-{d.month:02d}", first.isoformat(),
                  after.isoformat(), pfirst.isoformat(), first.isoformat())


# --------------------------------------------------------------------------
# expectations from raw rows
# --------------------------------------------------------------------------

def exact_quantile(sorted_values, q):
    n = len(sorted_values)
    if n == 0:
        return 0
    rank = max(1, math.ceil(Fraction(q) * n))
    return sorted_values[rank - 1]


def hist_index(us):
    if us <= 1:
        return 0
    i = max(1, math.ceil(math.log(us) / math.log(GAMMA)))
    while i > 1 and GAMMA ** (i - 1) >= us:
        i -= 1
    while GAMMA ** i < us:
        i += 1
    return min(i, 639)


def hist_value(i):
    return 1 if i == 0 else round(2 * GAMMA ** i / (GAMMA + 1))


class Acc:
    """The totals of a set of raw rows."""

    def __init__(self):
        self.n = self.ok = self.lat = self.tok = self.inp = self.outp = 0
        self.cost = 0
        self.lats = []

    def add(self, row):
        self.n += 1
        self.ok += row["status"] == "success"
        self.lat += row["latency_us"]
        self.tok += row["tokens"]
        self.inp += row["input_tokens"] or 0
        self.outp += row["output_tokens"] or 0
        self.cost += row["cost_nusd"]
        self.lats.append(row["latency_us"])
        return self

    def expected(self):
        n = self.n
        return {"requests": n, "successes": self.ok, "failures": n - self.ok,
                "success_rate": self.ok / n if n else 0,
                "avg_latency_s": self.lat / n / 1e6 if n else 0,
                "tokens": self.tok, "input_tokens": self.inp,
                "output_tokens": self.outp, "cost_usd": self.cost / 1e9,
                "_lats": sorted(self.lats)}


def close_rel(a, b, rel, abs_tol=0.0):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_tol)


def compare_totals(got, exp, where, probs):
    """One JSON totals object against Acc.expected()."""
    if not isinstance(got, dict):
        probs.add(f"{where}: not an object: {got!r}")
        return
    for f in TOTAL_FIELDS:
        if f not in got:
            probs.add(f"{where}.{f}: missing")
    for f in COUNT_FIELDS:
        if f in got and got[f] != exp[f]:
            probs.add(f"{where}.{f}: expected {exp[f]}, got {got[f]}")
    for f in ("success_rate", "avg_latency_s"):
        if f in got and not close_rel(got[f], exp[f], 1e-12, 1e-15):
            probs.add(f"{where}.{f}: expected {exp[f]!r}, got {got[f]!r}")
    if "cost_usd" in got and not close_rel(got["cost_usd"], exp["cost_usd"],
                                           1e-9, 1e-15):
        probs.add(f"{where}.cost_usd: expected {exp['cost_usd']!r}, got "
                  f"{got['cost_usd']!r} (1e-9 relative)")
    for f, q in QUANTILES:
        if f not in got:
            continue
        want = exact_quantile(exp["_lats"], q) / 1e6
        if abs(got[f] - want) > 0.02 * want + 1e-6:
            probs.add(f"{where}.{f}: exact nearest-rank {want!r}, got "
                      f"{got[f]!r} (off by more than 2 %)")


# --------------------------------------------------------------------------
# programs
# --------------------------------------------------------------------------

def clean_env(san_dir):
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and k.lower() != "apimon_config"}
    env["ASAN_OPTIONS"] = (f"log_path={san_dir}/asan:detect_leaks=1:"
                           "halt_on_error=1:abort_on_error=0")
    env["UBSAN_OPTIONS"] = (f"log_path={san_dir}/ubsan:print_stacktrace=1:"
                            "halt_on_error=1")
    env["LSAN_OPTIONS"] = f"log_path={san_dir}/lsan"
    env["TZ"] = "UTC"           # the programs must use the config's zone
    return env


class Site:
    """A directory with a config, a database and a rendered site."""

    def __init__(self, name, zone=ZONE, conf=None):
        self.dir = OUT / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.san = self.dir / "san"
        self.san.mkdir()
        self.env = clean_env(self.san)
        self.log = open(self.dir / "commands.log", "w", encoding="utf-8")
        self.zone = zone
        self.db = self.dir / "apimon.db"
        self.site = self.dir / "site"
        self.conf = self.dir / "apimon.json"
        self.conf.write_text(json.dumps({
            "database": str(self.db), "site_dir": str(self.site),
            "timezone": zone, "prices": PRICES, **(conf or {})},
            indent=2) + "\n")
        self._rows = None

    def run(self, prog, args, input=None, timeout=120, umask=-1):
        argv = [str(BIN / prog)] + [str(a) for a in args]
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, input=input, capture_output=True,
                               env=self.env, timeout=timeout, umask=umask)
        except subprocess.TimeoutExpired:
            raise Failure(f"{prog} {' '.join(map(str, args))}: timed out "
                          f"after {timeout} s")
        out = p.stdout.decode(errors="replace")
        err = p.stderr.decode(errors="replace")
        self.log.write(f"$ {' '.join(argv)}\n# exit {p.returncode} in "
                       f"{time.monotonic() - t0:.2f} s\n")
        if prog != "apimon-simulate":
            self.log.write(out[-3000:])
        self.log.write(("# stderr:\n" + err[-3000:] if err else "") + "\n")
        self.log.flush()
        reports = sorted(self.san.iterdir())
        check(not reports and "runtime error:" not in err and
              "Sanitizer" not in err,
              f"{prog}: sanitizer report(s) {[str(r) for r in reports]} "
              f"{err[-2000:]}")
        return p.returncode, out, err

    def ingest(self, records=None, data=None):
        if records is not None:
            data = "".join(json.dumps(r, ensure_ascii=False) + "\n"
                           for r in records).encode()
        rc, out, err = self.run("apimon-ingest",
                                ["--config", self.conf, "--import", "-"],
                                input=data)
        eq(rc, 0, f"apimon-ingest exit status ({err.strip()[-500:]})")
        m = re.search(r"accepted (\d+), duplicates (\d+), rejected (\d+)", out)
        check(m is not None, f"apimon-ingest printed {out!r}")
        eq(int(m.group(3)), 0, f"rejected records ({out.strip()} "
           f"{err.strip()[-500:]})")
        self._rows = None
        return int(m.group(1))

    def simulate(self, days, per_day, seed, end):
        rc, out, err = self.run("apimon-simulate",
                                ["--days", days, "--per-day", per_day,
                                 "--seed", seed, "--end", end])
        eq(rc, 0, f"apimon-simulate exit status ({err.strip()})")
        return out.encode()

    def aggregate(self, now=NOW):
        rc, out, err = self.run("apimon-aggregate",
                                ["--config", self.conf, "--now", now])
        eq(rc, 0, f"apimon-aggregate exit status ({err.strip()[-800:]})")

    def render_fails(self, now=NOW, out=None):
        """Run apimon-render expecting exit 1; returns its stderr."""
        rc, o, err = self.run("apimon-render", ["--config", self.conf,
                                                "--out", out or self.site,
                                                "--now", now])
        eq(rc, 1, f"apimon-render exit status (stdout {o!r}, stderr "
           f"{err.strip()[-800:]!r})")
        eq(o, "", "what a failed apimon-render printed on stdout")
        return err

    def render(self, now=NOW, out=None, umask=-1):
        out = out or self.site
        rc, o, err = self.run("apimon-render", ["--config", self.conf,
                                                "--out", out, "--now", now],
                              umask=umask)
        eq(rc, 0, f"apimon-render --now {now} exit status "
           f"({err.strip()[-800:]})")
        lines = o.strip().split("\n")
        eq(len(lines), 1, f"lines apimon-render printed ({o!r})")
        m = RENDER_RE.match(lines[0])
        check(m is not None, f"apimon-render summary line {lines[0]!r}")
        return {"written": int(m.group(2)), "bytes": int(m.group(3)),
                "unchanged": int(m.group(4)), "removed": int(m.group(5))}

    # ---- the database ------------------------------------------------------

    def query(self, sql, args=()):
        con = sqlite3.connect(str(self.db), timeout=30)
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(sql, args)]
        finally:
            con.close()

    def rows(self):
        """Every raw row, with its local day."""
        if self._rows is None:
            self._rows = self.query("SELECT * FROM api_requests ORDER BY ts_ms")
            for r in self._rows:
                r["day"] = local_day(r["ts_ms"], self.zone)
        return self._rows

    def write(self, sql, rows=((),)):
        """A test's own change to the database: sql once per parameter
        tuple of rows, in one transaction."""
        con = sqlite3.connect(str(self.db), timeout=30)
        try:
            con.executemany(sql, rows)
            con.commit()
        finally:
            con.close()

    # ---- the site ----------------------------------------------------------

    def json(self, rel, base=None):
        return json.loads(((base or self.site) / rel).read_text("utf-8"))

    def text(self, rel, base=None):
        return ((base or self.site) / rel).read_text("utf-8")


# --------------------------------------------------------------------------
# the golden site, built once
# --------------------------------------------------------------------------

GOLDEN = {}


def golden():
    if "site" not in GOLDEN:
        GOLDEN["site"] = None
        s = Site("golden")
        sim = s.simulate(35, 2000, 7, NOW)
        (s.dir / "sim.ndjson").write_bytes(sim)
        s.ingest(data=sim)
        s.ingest(hand_made())
        s.aggregate()
        GOLDEN["first"] = s.render()
        GOLDEN["site"] = s
    check(GOLDEN["site"] is not None, "the golden site could not be built "
          "(see the first failure)")
    return GOLDEN["site"]


def expected_periods(rows, kind, last_day):
    """label -> Period, for every period that has a row on or before
    last_day."""
    out = {}
    for day in sorted({r["day"] for r in rows if r["day"] <= last_day}):
        p = period(kind, day)
        out.setdefault(p.label, p)
    return out


def check_reports(s, kind, last_day, base=None):
    """Every report of a kind: files, period fields and every number."""
    rows = [r for r in s.rows() if r["day"] <= last_day]
    periods = expected_periods(rows, kind, last_day)
    probs = Problems()
    folder = (base or s.site) / "reports" / kind
    have = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    want = sorted(f"{label}.{ext}" for label in periods
                  for ext in ("html", "json", "csv"))
    if have != want:
        probs.add(f"reports/{kind}/: missing {sorted(set(want) - set(have))}"
                  f", unexpected {sorted(set(have) - set(want))}")
    # Alerts of days after the render's --now did not exist yet then.
    alerts = s.query("SELECT * FROM alerts WHERE day <= ?", (last_day,))
    for label, p in sorted(periods.items()):
        rel = f"reports/{kind}/{label}.json"
        try:
            rep = s.json(rel, base)
        except (OSError, ValueError) as e:
            probs.add(f"{rel}: {e}")
            continue
        cur, prev = Acc(), Acc()
        src, mod = {}, {}
        for r in rows:
            if r["day"] in p:
                cur.add(r)
                src.setdefault(r["source"], Acc()).add(r)
                mod.setdefault(r["model"] or "", Acc()).add(r)
            elif p.in_previous(r["day"]):
                prev.add(r)
        for k, v in (("type", kind), ("label", label),
                     ("timezone", s.zone),
                     ("start", rfc3339_local(local_midnight(p.first, s.zone))),
                     ("end", rfc3339_local(local_midnight(p.after, s.zone)))):
            if rep.get(k) != v:
                probs.add(f"{rel} {k}: expected {v!r}, got {rep.get(k)!r}")
        compare_totals(rep.get("totals"), cur.expected(), f"{rel} totals",
                       probs)
        compare_totals(rep.get("previous"), prev.expected(),
                       f"{rel} previous", probs)
        for key, groups in (("by_source", ("source", src)),
                            ("by_model", ("model", mod))):
            name, want_g = groups
            got = rep.get(key)
            if not isinstance(got, list):
                probs.add(f"{rel} {key}: not a list")
                continue
            names = [g.get(name) for g in got]
            if sorted(names) != sorted(want_g) or len(set(names)) != len(names):
                probs.add(f"{rel} {key}: expected {sorted(want_g)}, got "
                          f"{names}")
            for g in got:
                if g.get(name) in want_g:
                    compare_totals(g, want_g[g.get(name)].expected(),
                                   f"{rel} {key}[{g.get(name)!r}]", probs)
        want_alerts = sorted((a["rule"], a["scope"], a["day"], a["severity"],
                              a["state"], a["message"]) for a in alerts
                             if a["day"] in p)
        got_alerts = sorted((a.get("rule"), a.get("scope"), a.get("day"),
                             a.get("severity"), a.get("state"),
                             a.get("message")) for a in rep.get("alerts", []))
        if got_alerts != want_alerts:
            probs.add(f"{rel} alerts: expected {want_alerts}, got "
                      f"{got_alerts}")
    probs.close(f"{len(periods)} {kind} reports")
    return periods


# --------------------------------------------------------------------------
# the tests
# --------------------------------------------------------------------------

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def test_the_golden_site_is_rendered():
    """simulate | ingest --import, aggregate --now, render --now: exit 0 and
    one summary line "apimon-render: DIR: N files written (B bytes), N
    unchanged" that counts every file of the fresh site."""
    s = golden()
    files = [p for p in s.site.rglob("*") if p.is_file()]
    first = GOLDEN["first"]
    eq(first["unchanged"], 0, "unchanged files in a fresh site")
    eq(first["written"], len(files), "files written into a fresh site")
    eq(first["bytes"], sum(p.stat().st_size for p in files),
       "bytes written into a fresh site")
    for rel in ("index.html", "alerts.html", "docs/api.html",
                "data/dashboard.json", "data/requests.json",
                "reports/index.html", "assets/style.css",
                "assets/dashboard.js", "assets/chart.min.js"):
        check((s.site / rel).is_file(), f"{rel} is missing")


@test
def test_daily_reports_equal_the_raw_rows():
    """reports/daily/DAY.json for every local day with data: totals,
    previous (the day before), by_source, by_model and alerts."""
    s = golden()
    periods = check_reports(s, "daily", local_day(ms_of(NOW), ZONE))
    eq(len(periods), 36, "daily reports (35 simulated days + today)")


@test
def test_weekly_reports_equal_the_raw_rows():
    """reports/weekly/YYYY-Www.json: ISO weeks, Monday 00:00 local to the
    next Monday; previous = the week before."""
    s = golden()
    periods = check_reports(s, "weekly", local_day(ms_of(NOW), ZONE))
    check("2026-W47" in periods and "2026-W48" in periods,
          f"weekly labels {sorted(periods)}")


@test
def test_monthly_reports_equal_the_raw_rows():
    """reports/monthly/YYYY-MM.json: calendar months in the zone; previous =
    the month before."""
    s = golden()
    periods = check_reports(s, "monthly", local_day(ms_of(NOW), ZONE))
    eq(sorted(periods), ["2026-10", "2026-11"], "monthly labels")


@test
def test_boundary_records_land_in_their_local_period():
    """The hand-made records one millisecond apart around local midnight,
    Monday 00:00 and the 1st of the month count in the later period, and
    their source edge-job_1 shows exactly them."""
    s = golden()

    def edge(rel):
        rep = s.json(rel)
        return [g for g in rep["by_source"] if g["source"] == "edge-job_1"]

    def requests(rel):
        g = edge(rel)
        return g[0]["requests"] if g else 0

    # 2026-11-25 local: only "day-end" (16:00Z is the 26th already)
    eq(requests("reports/daily/2026-11-25.json"), 1, "edge-job_1 on 11-25")
    # 2026-11-26: day-start, no-model, unpriced (unix-ts is 2026-11-25T...)
    want = sum(1 for r in s.rows() if r["source"] == "edge-job_1" and
               r["day"] == "2026-11-26")
    eq(requests("reports/daily/2026-11-26.json"), want, "edge-job_1 on 11-26")
    eq(requests("reports/daily/2026-11-22.json"), 1, "edge-job_1 on Sunday "
       "11-22 (week-end only)")
    eq(requests("reports/daily/2026-11-23.json"), 1, "edge-job_1 on Monday "
       "11-23 (week-start only)")
    eq(requests("reports/daily/2026-10-31.json"), 1, "edge-job_1 on 10-31")
    eq(requests("reports/daily/2026-11-01.json"), 1, "edge-job_1 on 11-01")
    eq(edge("reports/daily/2026-11-25.json")[0]["p50_latency_s"] <= 1e-6, True,
       "p50 of a single 0 s request (<= 1 us)")
    models = {g["model"] for g in
              s.json("reports/daily/2026-11-26.json")["by_model"]}
    check("" in models and MARKUP_MODEL in models,
          f"by_model of 11-26 names the empty model and the unpriced one: "
          f"{sorted(models)}")


@test
def test_csv_rows_equal_the_by_source_json():
    """Each reports/*/*.csv: a header "source" + the totals fields in JSON
    order, then one row per source equal to by_source (numbers to 1e-12)."""
    s = golden()
    probs = Problems()
    n = 0
    for path in sorted((s.site / "reports").glob("*/*.csv")):
        rel = path.relative_to(s.site)
        rep = s.json(str(rel)[:-4] + ".json")
        raw = path.read_bytes()
        if not raw.endswith(b"\r\n"):
            probs.add(f"{rel}: does not end with CRLF")
        table = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
        header = ["source"] + list(rep["totals"].keys())
        if not table or table[0] != header:
            probs.add(f"{rel} header: expected {header}, got "
                      f"{table[0] if table else None}")
            continue
        body = table[1:]
        if len(body) != len(rep["by_source"]):
            probs.add(f"{rel}: {len(body)} rows, by_source has "
                      f"{len(rep['by_source'])}")
        got = {row[0]: row for row in body}
        for g in rep["by_source"]:
            row = got.get(g["source"])
            if row is None:
                probs.add(f"{rel}: no row for source {g['source']!r}")
                continue
            for k, cell in zip(header[1:], row[1:]):
                try:
                    v = float(cell)
                except ValueError:
                    probs.add(f"{rel} {g['source']}.{k}: {cell!r} is no "
                              f"number")
                    continue
                if not close_rel(v, g[k], 1e-12, 1e-15):
                    probs.add(f"{rel} {g['source']}.{k}: JSON {g[k]!r}, "
                              f"CSV {cell!r}")
        n += 1
    check(n > 0, "no CSV files")
    probs.close(f"{n} CSV files")


@test
def test_reports_index_lists_every_report_newest_first():
    """reports/index.html has one link per report in ul#daily, ul#weekly and
    ul#monthly, newest first, each pointing at an existing page."""
    s = golden()
    html = s.text("reports/index.html")
    today = local_day(ms_of(NOW), ZONE)
    for kind in ("daily", "weekly", "monthly"):
        m = re.search(rf'<ul id="{kind}">(.*?)</ul>', html, re.S)
        check(m is not None, f"reports/index.html has no ul#{kind}")
        links = re.findall(r'href="([^"]+)"', m.group(1))
        want = sorted(expected_periods(s.rows(), kind, today), reverse=True)
        eq(links, [f"{kind}/{label}.html" for label in want],
           f"links of ul#{kind}")
        for link in links:
            check((s.site / "reports" / link).is_file(), f"{link} is missing")


@test
def test_dashboard_json_has_60_days_ending_today():
    """data/dashboard.json: days are the 60 local days ending with the day
    of --now, day_start_ms their local midnights, timezone the config's,
    sources the sorted sources with data in those days."""
    s = golden()
    d = s.json("data/dashboard.json")
    today = local_day(ms_of(NOW), ZONE)
    days = [add_days(today, i - DASH_DAYS + 1) for i in range(DASH_DAYS)]
    eq(d.get("today"), today, "today")
    eq(d.get("days"), days, "days")
    eq(d.get("day_start_ms"), [int(local_midnight(x, ZONE).timestamp() * 1000)
                               for x in days + [add_days(today, 1)]],
       "day_start_ms (and where today ends)")
    eq(d.get("timezone"), ZONE, "timezone")
    eq(d.get("sources"), sorted({r["source"] for r in s.rows()
                                 if days[0] <= r["day"] <= today}), "sources")
    eq(sorted(d.get("daily", {})), d["sources"], "keys of daily")
    eq(d.get("latest_report"), f"reports/daily/{today}.html", "latest_report")


@test
def test_dashboard_daily_sums_equal_daily_stats():
    """daily[source][measure][i] = the sum over models of the daily_stats
    rows of (days[i], source)."""
    s = golden()
    d = s.json("data/dashboard.json")
    probs = Problems()
    want = {}
    for r in s.query("SELECT * FROM daily_stats"):
        k = (r["source"], r["day"])
        w = want.setdefault(k, dict.fromkeys(
            ("requests", "successes", "failures", "latency_sum_us", "tokens",
             "cost_nusd"), 0))
        for f in w:
            w[f] += r[f]
    for src, x in d["daily"].items():
        for i, day in enumerate(d["days"]):
            w = want.get((src, day), dict.fromkeys(
                ("requests", "successes", "failures", "latency_sum_us",
                 "tokens", "cost_nusd"), 0))
            for f in ("requests", "successes", "failures", "latency_sum_us",
                      "tokens"):
                if x[f][i] != w[f]:
                    probs.add(f"daily.{src}.{f}[{day}]: daily_stats "
                              f"{w[f]}, got {x[f][i]}")
            if not close_rel(x["cost_usd"][i], w["cost_nusd"] / 1e9, 1e-9,
                             1e-15):
                probs.add(f"daily.{src}.cost_usd[{day}]: daily_stats "
                          f"{w['cost_nusd'] / 1e9}, got {x['cost_usd'][i]}")
    probs.close("data/dashboard.json daily vs daily_stats")


@test
def test_dashboard_daily_equal_the_raw_rows():
    """The same daily arrays from the raw rows, and latency_buckets (0-1,
    1-2, 2-3, 3-5, >5 s) that add up to the requests of the day; a bucket
    may differ from the exact count only by requests within 2 % of a
    bucket edge."""
    s = golden()
    d = s.json("data/dashboard.json")
    probs = Problems()
    idx = {day: i for i, day in enumerate(d["days"])}
    edges = (1e6, 2e6, 3e6, 5e6)
    want, near = {}, {}
    for r in s.rows():
        if r["day"] not in idx:
            continue
        k = (r["source"], idx[r["day"]])
        w = want.setdefault(k, {"requests": 0, "successes": 0, "failures": 0,
                                "latency_sum_us": 0, "tokens": 0,
                                "cost_nusd": 0, "b": [0] * 5})
        w["requests"] += 1
        w["successes"] += r["status"] == "success"
        w["failures"] += r["status"] != "success"
        w["latency_sum_us"] += r["latency_us"]
        w["tokens"] += r["tokens"]
        w["cost_nusd"] += r["cost_nusd"]
        us = r["latency_us"]
        w["b"][sum(us > e for e in edges)] += 1
        if any(abs(us - e) <= 0.021 * e for e in edges):
            near[k] = near.get(k, 0) + 1
    for src, x in d["daily"].items():
        for i, day in enumerate(d["days"]):
            w = want.get((src, i))
            for f in ("requests", "successes", "failures", "latency_sum_us",
                      "tokens"):
                v = w[f] if w else 0
                if x[f][i] != v:
                    probs.add(f"daily.{src}.{f}[{day}]: raw {v}, got "
                              f"{x[f][i]}")
            v = w["cost_nusd"] / 1e9 if w else 0
            if not close_rel(x["cost_usd"][i], v, 1e-9, 1e-15):
                probs.add(f"daily.{src}.cost_usd[{day}]: raw {v}, got "
                          f"{x['cost_usd'][i]}")
            b = x["latency_buckets"][i]
            if sum(b) != (w["requests"] if w else 0):
                probs.add(f"daily.{src}.latency_buckets[{day}] {b} add up "
                          f"to {sum(b)}, requests {w['requests'] if w else 0}")
            wb = w["b"] if w else [0] * 5
            slack = near.get((src, i), 0)
            if any(abs(g - e) > slack for g, e in zip(b, wb)):
                probs.add(f"daily.{src}.latency_buckets[{day}]: raw {wb}, "
                          f"got {b} (allowed slack {slack})")
    probs.close("data/dashboard.json daily vs raw rows")


def local_hours(days, zone, up_to_ms):
    """UTC ms of the starts of the local hours of days, up to the hour that
    holds up_to_ms: each from a local HH:00 to the next."""
    z = ZoneInfo(zone)
    out = set()
    for day in days:
        a = int(local_midnight(day, zone).timestamp() * 1000)
        b = int(local_midnight(add_days(day, 1), zone).timestamp() * 1000)
        for t in range(a, b, 15 * 60000):
            lt = datetime.datetime.fromtimestamp(t / 1000, z)
            lt = lt.replace(minute=0, second=0, microsecond=0)
            out.add(int(lt.timestamp() * 1000))
    return sorted(h for h in out if h <= up_to_ms)


def hour_starts(h):
    """The starts of the dashboard's hours: an hour apart but for jumps."""
    out, jumps = [], dict(h.get("jumps", []))
    for i in range(h["hours"]):
        out.append(jumps.get(i, out[-1] + HOUR_MS if out else h["start_ms"]))
    return out


def check_hourly(s, d, now):
    """hourly.requests[source][i] = raw requests in the local hour that
    starts at hour_start_ms[i]: every local hour of the last 30 days, up to
    the one holding --now."""
    probs = Problems()
    h = d["hourly"]
    now_ms = ms_of(now)
    today = local_day(now_ms, ZONE)
    hours = local_hours([add_days(today, -k) for k in range(29, -1, -1)],
                        ZONE, now_ms)
    eq(hour_starts(h), hours, "hourly hour starts")
    n = len(hours)
    want = {}
    for r in s.rows():
        i = bisect.bisect_right(hours, r["ts_ms"]) - 1
        if 0 <= i < n and r["ts_ms"] <= now_ms and \
                r["source"] in d["sources"]:
            want.setdefault(r["source"], [0] * n)[i] += 1
    for src in d["sources"]:
        got = h["requests"].get(src)
        w = want.get(src, [0] * n)
        if got != w:
            bad = [i for i in range(n) if not got or got[i] != w[i]]
            probs.add(f"hourly.requests.{src}: {len(bad)} hours differ, "
                      f"first hour {bad[0]}: raw {w[bad[0]]}, got "
                      f"{got[bad[0]] if got else None}")
    probs.close("data/dashboard.json hourly")


@test
def test_dashboard_compares_today_with_yesterday_until_the_same_time():
    """status.json same_time_yesterday: per source, the raw rows of
    yesterday from its local midnight to the same time of day as --now
    (whole hours come from the rollups, the hour under way from the raw
    rows: --now on the hour, and at 37 minutes 12 seconds past)."""
    s = golden()
    d = s.json("data/dashboard.json")
    mid = "2026-11-26T09:37:12Z"
    s.render(now=mid, out=s.dir / "mid-hour")
    for now, status in ((NOW, s.json("data/status.json")),
                        (mid, json.loads((s.dir / "mid-hour" / "data" /
                                          "status.json").read_text()))):
        now_ms = ms_of(now)
        today = local_day(now_ms, ZONE)
        t0 = int(local_midnight(today, ZONE).timestamp() * 1000)
        y0 = int(local_midnight(add_days(today, -1), ZONE).timestamp() * 1000)
        y = status["same_time_yesterday"]
        eq((y["from_ms"], y["until_ms"]), (y0, y0 + now_ms - t0),
           f"its span at {now}")
        for src in d["sources"]:
            rows = [r for r in s.rows() if r["source"] == src and
                    y0 <= r["ts_ms"] < y0 + now_ms - t0]
            got = y["by_source"][src]
            eq((got["requests"], got["failures"], got["tokens"],
                round(got["cost_usd"], 6)),
               (len(rows), sum(r["status"] != "success" for r in rows),
                sum(r["tokens"] for r in rows),
                round(sum(r["cost_nusd"] for r in rows) / 1e9, 6)),
               f"yesterday until now's time at {now}, {src}")


@test
def test_status_json_says_when_apimon_last_ran():
    """data/status.json, rewritten every run: the last aggregate run, the
    data time and the cron interval of the config."""
    s = golden()
    st = s.json("data/status.json")
    eq(sorted(st), ["cron_interval_s", "generated", "last_run", "now",
                    "same_time_yesterday"], "keys")
    eq(st["now"], iso_ms(ms_of(NOW)), "now")
    eq(st["cron_interval_s"], 60, "the default interval")
    d = s.json("data/dashboard.json")
    eq(st["generated"], d["generated"], "generated")


@test
def test_dashboard_hourly_equal_the_raw_rows():
    """The local hours of the 30-day range, per source, from raw rows."""
    s = golden()
    check_hourly(s, s.json("data/dashboard.json"), NOW)


def recent_key(r):
    return (r["time"], r["source"], r.get("user_id"), r.get("command"),
            r.get("model"), r["status"], round(r["latency_s"] * 1e6),
            r["tokens"], round(r["cost_usd"] * 1e9))


def iso_ms(ms):
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def expected_recent(s, up_to_ms=None):
    want = []
    for src in {r["source"] for r in s.rows()}:
        rows = [r for r in s.rows() if r["source"] == src and
                (up_to_ms is None or r["ts_ms"] <= up_to_ms)]
        for r in sorted(rows, key=lambda r: -r["ts_ms"])[:RECENT_ROWS]:
            want.append((iso_ms(r["ts_ms"]), r["source"], r["user_id"],
                         r["command"], r["model"], r["status"],
                         r["latency_us"], r["tokens"], r["cost_nusd"]))
    return sorted(want)


@test
def test_dashboard_recent_rows_are_the_newest_50_per_source():
    """recent: at most 50 rows per source, newest first overall, equal to
    the newest 50 raw rows of each source (user, command, model kept
    verbatim, markup included); data/requests.json holds the same rows."""
    s = golden()
    d = s.json("data/dashboard.json")
    rec = d["recent"]
    per = {}
    for r in rec:
        per[r["source"]] = per.get(r["source"], 0) + 1
    over = {k: v for k, v in per.items() if v > RECENT_ROWS}
    eq(over, {}, "sources with more than 50 recent rows")
    times = [ms_of(r["time"]) for r in rec]
    eq(times, sorted(times, reverse=True), "recent times (newest first)")
    eq(sorted(recent_key(r) for r in rec), expected_recent(s),
       "recent rows vs the newest 50 raw rows of each source")
    eq(s.json("data/requests.json"), rec, "data/requests.json vs recent")


@test
def test_dashboard_alerts_are_todays_open_alerts():
    """alerts: the alerts of the day of --now that are not resolved."""
    s = golden()
    d = s.json("data/dashboard.json")
    today = local_day(ms_of(NOW), ZONE)
    want = sorted((a["rule"], a["scope"], a["severity"], a["message"])
                  for a in s.query("SELECT * FROM alerts WHERE day = ? AND "
                                   "state != 'resolved'", (today,)))
    got = sorted((a["rule"], a["scope"], a["severity"], a["message"])
                 for a in d["alerts"])
    eq(got, want, "dashboard alerts")
    check(any(a[1] == "model:" + MARKUP_MODEL for a in want),
          f"the unpriced model fired an alert today: {want}")


@test
def test_markup_from_requests_never_reaches_html_raw():
    """Strings from requests (user_id, command, model) appear in HTML only
    escaped, and JSON inside <script> never holds '<', U+2028 or U+2029."""
    s = golden()
    probs = Problems()
    raw = ("<img src=x", "</script><script>", "<i>m&amp;", "<!--")
    for path in sorted(s.site.rglob("*.html")):
        rel = path.relative_to(s.site)
        html = path.read_text("utf-8")
        for bad in raw:
            if bad in html and not (bad == "<!--" and rel.parts[0] == "docs"):
                probs.add(f"{rel}: contains {bad!r} unescaped")
        for m in re.finditer(r'<script type="application/json"[^>]*>(.*?)'
                             r'</script>', html, re.S):
            body = m.group(1)
            for ch in ("<", "\u2028", "\u2029"):
                if ch in body:
                    probs.add(f"{rel}: embedded JSON holds {ch!r}")
            try:
                json.loads(body)
            except ValueError as e:
                probs.add(f"{rel}: embedded JSON does not parse: {e}")
    # ...while the data files keep the strings exactly
    d = s.json("data/dashboard.json")
    mine = [r for r in d["recent"] if r.get("model") == MARKUP_MODEL]
    if not (mine and mine[0]["user_id"] == MARKUP_USER and
            mine[0]["command"] == MARKUP_COMMAND):
        probs.add(f"dashboard.json recent row of the markup record: {mine}")
    html = s.text("index.html")
    m = re.search(r'<script type="application/json" id="apimon-data">(.*?)'
                  r'</script>', html, re.S)
    if m is None or json.loads(m.group(1)) != d:
        probs.add("index.html: the embedded data is not data/dashboard.json")
    probs.close("escaping")


@test
def test_second_render_writes_no_file():
    """Rendering again with the same --now rewrites nothing: "0 files
    written", and no file's inode or mtime changed."""
    s = golden()

    def snap():
        return {str(p.relative_to(s.site)): (p.stat().st_ino,
                                             p.stat().st_mtime_ns)
                for p in s.site.rglob("*") if p.is_file()}
    before = snap()
    time.sleep(0.02)
    r = s.render()
    eq(r["written"], 0, "files written by the second render")
    eq(r["bytes"], 0, "bytes written by the second render")
    eq(r["unchanged"], len(before), "files unchanged")
    after = snap()
    changed = sorted(k for k in before if after.get(k) != before[k])
    eq(changed, [], "files touched by the second render")


@test
def test_no_temporary_file_is_left():
    """Files are written to NAME.tmp.XXXXXX and renamed: none is left."""
    s = golden()
    left = sorted(str(p.relative_to(s.site)) for p in s.site.rglob("*")
                  if ".tmp." in p.name)
    eq(left, [], "temporary files in the site")


@test
def test_readers_never_see_half_a_file():
    """While apimon-render rewrites the dashboard (alternating --now by an
    hour), a reader polling index.html and the JSON files always finds a
    whole file."""
    s = golden()
    base = OUT / "atomic"
    shutil.rmtree(base, ignore_errors=True)
    shutil.copytree(s.site, base / "site")
    site = base / "site"
    stop = threading.Event()
    seen = {"reads": 0, "bad": []}

    def reader():
        while not stop.is_set() and seen["reads"] < 200000:
            for rel in ("index.html", "data/dashboard.json",
                        "data/requests.json"):
                try:
                    b = (site / rel).read_bytes()
                except FileNotFoundError:
                    seen["bad"].append(f"{rel}: missing for a moment")
                    continue
                seen["reads"] += 1
                if rel.endswith(".json"):
                    try:
                        json.loads(b)
                    except ValueError:
                        seen["bad"].append(f"{rel}: {len(b)} bytes, not "
                                           f"whole JSON")
                elif not b.rstrip().endswith(b"</html>"):
                    seen["bad"].append(f"{rel}: {len(b)} bytes, no </html>")
    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(4):
            r = s.render(now="2026-11-26T11:00:00Z" if i % 2 == 0 else NOW,
                         out=site)
            check(r["written"] >= 2, f"render {i} rewrote {r['written']} "
                  f"files (the dashboard should change with the hour)")
    finally:
        stop.set()
        t.join(timeout=30)
    check(seen["reads"] > 0, "the reader read nothing")
    eq(seen["bad"][:5], [], f"bad reads out of {seen['reads']}")
    left = [p.name for p in site.rglob("*") if ".tmp." in p.name]
    eq(left, [], "temporary files after the renders")


@test
def test_now_in_the_past_renders_only_data_up_to_then():
    """--now six days back (12:00 local on 2026-11-20): no report for a
    later day, week and month reports count only days up to then, the
    dashboard ends on that day and lists no request or alert from after
    it.  (Reports cover whole local days: the day of --now is what the
    rollups hold for it.)"""
    s = golden()
    out = OUT / "past" / "site"
    shutil.rmtree(out.parent, ignore_errors=True)
    s.render(now=PAST_NOW, out=out)
    now_ms = ms_of(PAST_NOW)
    last = local_day(now_ms, ZONE)
    eq(last, "2026-11-20", "local day of the past --now")
    probs = Problems()
    for kind in ("daily", "weekly", "monthly"):
        try:
            check_reports(s, kind, last, base=out)
        except Failure as e:
            probs.add(str(e))
    d = s.json("data/dashboard.json", out)
    if d["today"] != last or d["days"][-1] != last:
        probs.add(f"dashboard today {d['today']}, days end {d['days'][-1]}")
    if d.get("latest_report") != f"reports/daily/{last}.html":
        probs.add(f"latest_report {d.get('latest_report')!r}")
    try:
        check_hourly(s, d, PAST_NOW)
    except Failure as e:
        probs.add(str(e))
    later = [r["time"] for r in d["recent"] if ms_of(r["time"]) > now_ms]
    if later:
        probs.add(f"data/dashboard.json recent: {len(later)} of "
                  f"{len(d['recent'])} rows are after --now {PAST_NOW} "
                  f"(newest {max(later)})")
    if sorted(recent_key(r) for r in d["recent"]) != \
            expected_recent(s, now_ms):
        probs.add("recent rows are not the newest 50 per source up to --now")
    html = s.text("alerts.html", out)
    days = re.findall(r"<tr class=\"alert[^\"]*\"><td>(\d{4}-\d\d-\d\d)</td>",
                      html)
    if [x for x in days if x > last]:
        probs.add(f"alerts.html lists alerts of days after {last}: "
                  f"{sorted({x for x in days if x > last})}")
    for a in d["alerts"]:
        if a["day"] != last:
            probs.add(f"dashboard alert of {a['day']}: {a}")
    probs.close(f"the site rendered with --now {PAST_NOW}")


@test
def test_reports_in_a_zone_with_a_25_hour_day():
    """America/New_York: 2026-11-01 runs from 00:00-04:00 to 00:00-05:00
    (25 hours); every daily, weekly and monthly report equals the raw
    rows, with the offsets of each end."""
    s = Site("dst", zone=DST_ZONE)
    sim = s.simulate(35, 300, 11, NOW)
    s.ingest(data=sim)
    s.aggregate()
    s.render()
    today = local_day(ms_of(NOW), DST_ZONE)
    for kind in ("daily", "weekly", "monthly"):
        check_reports(s, kind, today)
    rep = s.json("reports/daily/2026-11-01.json")
    eq((rep["start"], rep["end"]),
       ("2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00"),
       "start and end of the 25-hour day")
    d = s.json("data/dashboard.json")
    i = d["days"].index("2026-11-01")
    eq(d["day_start_ms"][i + 1] - d["day_start_ms"][i], 25 * HOUR_MS,
       "length of 2026-11-01 in day_start_ms")


@test
def test_page_weight_of_the_dashboard():
    """index.html + assets/style.css + assets/format.js +
    assets/dashboard.js stay under 176 KB (Chart.js not counted)."""
    s = golden()
    sizes = {rel: (s.site / rel).stat().st_size for rel in
             ("index.html", "assets/style.css", "assets/format.js",
              "assets/dashboard.js")}
    total = sum(sizes.values())
    print("    page weight: " + ", ".join(f"{k} {v} B" for k, v in
                                          sizes.items()) +
          f"; total {total} B of {PAGE_BUDGET} B"
          f" (assets/chart.min.js {(s.site / 'assets/chart.min.js').stat().st_size} B, not counted)")
    check(total < PAGE_BUDGET, f"dashboard page weight {total} B >= "
          f"{PAGE_BUDGET} B")


# --------------------------------------------------------------------------
# failures: nothing partial is published, the database is only read
# --------------------------------------------------------------------------

def tree_state(root):
    """Every file (its bytes) and folder below root, by relative path;
    None when root does not exist."""
    if not root.exists():
        return None
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = "<dir>" if p.is_dir() else p.read_bytes()
    return out


def tree_diff(before, after):
    if before is None or after is None:
        return f"exists before: {before is not None}, after: " \
               f"{after is not None}"
    changed = sorted(k for k in before if k in after and before[k] != after[k])
    return (f"changed {changed[:10]}, new {sorted(set(after) - set(before))[:10]}"
            f", gone {sorted(set(before) - set(after))[:10]}")


def render_fails_unchanged(s):
    """Run apimon-render expecting exit 1 and every file and folder of
    the site as it was; returns its stderr."""
    before = tree_state(s.site)
    err = s.render_fails()
    after = tree_state(s.site)
    check(after == before, "the site changed although the run failed: " +
          tree_diff(before, after))
    return err


@test
def test_hourly_charts_sum_to_the_period_in_half_and_quarter_hour_zones():
    """Issue 9.1: in Asia/Kolkata (+5:30), Asia/Kathmandu (+5:45) and
    Australia/Adelaide (+10:30, DST) the dashboard's hourly chart sums
    exactly to today's requests, and each daily report's hourly chart to
    the day's, under local-hour labels (HH:00)."""
    for zone in ("Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide"):
        s = Site("zone-" + zone.replace("/", "-"), zone=zone)
        s.ingest(data=s.simulate(8, 700, 3, NOW))
        s.aggregate()
        s.render()
        now_ms = ms_of(NOW)
        today = local_day(now_ms, zone)
        d = s.json("data/dashboard.json")
        t0 = int(local_midnight(today, zone).timestamp() * 1000)
        hs = hour_starts(d["hourly"])
        got = sum(sum(v[i] for i, h in enumerate(hs) if h >= t0)
                  for v in d["hourly"]["requests"].values())
        want = sum(1 for r in s.rows() if t0 <= r["ts_ms"] <= now_ms)
        eq(got, want, f"{zone}: today's hourly bars vs requests")
        check(all(datetime.datetime.fromtimestamp(h / 1000, ZoneInfo(zone))
                  .minute == 0 for h in hs), f"{zone}: every hour starts at "
              "a local HH:00")
        for day in sorted({r["day"] for r in s.rows()})[:-1]:
            rep = s.text(f"reports/daily/{day}.html")
            ser = json.loads(re.search(r'id="report-series">(.*?)</script>',
                                       rep, re.S).group(1))
            n = sum(1 for r in s.rows() if r["day"] == day)
            eq(sum(ser["requests"]), n, f"{zone} {day}: the day's hourly "
               "chart vs its requests")
            check(all(re.fullmatch(r"\d\d:00", x) for x in ser["labels"]),
                  f"{zone} {day}: labels {ser['labels'][:5]}")


@test
def test_reports_link_the_reports_beside_them_and_read_as_dates():
    """Issue 9.8 and 9.9: each report links the older and newer report of
    its kind, shows its period as a date, and the running week and month
    draw no bars for days still to come."""
    s = golden()
    today = local_day(ms_of(NOW), ZONE)
    days = sorted({r["day"] for r in s.rows() if r["day"] <= today})
    mid = days[len(days) // 2]
    rep = s.json(f"reports/daily/{mid}.json")
    eq((rep["older"], rep["newer"]), (add_days(mid, -1), add_days(mid, 1)),
       "older and newer of a daily report")
    html = s.text(f"reports/daily/{mid}.html")
    check(f'href="{add_days(mid, -1)}.html"' in html and
          f'href="{add_days(mid, 1)}.html"' in html, "links in the HTML")
    first = s.json(f"reports/daily/{days[0]}.json")
    last = s.json(f"reports/daily/{today}.json")
    eq((first["older"], last["newer"]), (None, None), "the ends")
    d = datetime.date.fromisoformat(mid)
    check(d.strftime("%a ") + str(d.day) + d.strftime(" %b %Y") in html,
          f"the period as a date in the daily report of {mid}")
    week = iso_week_label(today)
    ser = json.loads(re.search(r'id="report-series">(.*?)</script>',
                               s.text(f"reports/weekly/{week}.html"),
                               re.S).group(1))
    check(ser["labels"][-1] == today, f"the running week ends today: "
          f"{ser['labels']}")
    ser = json.loads(re.search(r'id="report-series">(.*?)</script>',
                               s.text(f"reports/monthly/{today[:7]}.html"),
                               re.S).group(1))
    check(ser["labels"][-1] == today, "the running month ends today")


@test
def test_alerts_page_shows_local_times():
    """Issue 9.8: alerts.html shows times in the configured zone, with the
    instant in the datetime attribute."""
    s = golden()
    al = s.query("SELECT fired_ms FROM alerts ORDER BY updated_ms DESC, id"
                 " DESC LIMIT 1")
    html = s.text("alerts.html")
    check("Days and times in " + ZONE in html, "the zone is named")
    if al:
        t = datetime.datetime.fromtimestamp(al[0]["fired_ms"] / 1000,
                                            ZoneInfo(ZONE))
        check(t.strftime("%Y-%m-%d %H:%M:%S") in html,
              f"fired time {t} in local time")
    check(not re.search(r">\d{4}-\d\d-\d\dT[^<]*Z<", html),
          "no raw UTC time shown as text")


def small_site(name, **conf):
    """Ten days of traffic up to NOW, templates and assets in a share
    folder of its own (so that a test may break them)."""
    s = Site(name, conf={"share_dir": str(OUT / name / "share"), **conf})
    share = s.dir / "share"
    for part in ("templates", "site", "locales"):
        shutil.copytree(ROOT / part, share / part)
    s.ingest(data=s.simulate(10, 100, 5, NOW))
    s.aggregate()
    return s


@test
def test_published_files_are_0644_and_folders_0755_whatever_the_umask():
    """nginx reads the site as another user: under umask 027 and 077,
    apimon-render still publishes every file 0644 and every folder it
    makes (the site folder and the one above it included) 0755, on the
    first run and on a later run that rewrites changed pages."""
    s = small_site("modes")
    top = s.dir / "new"
    site = top / "site"
    s.render(now="2026-11-22T10:00:00Z", out=site, umask=0o027)
    s.render(out=site, umask=0o077)             # new days: new files, rewrites
    bad = []
    for d, dirs, files in os.walk(top):
        for name in [d] + [os.path.join(d, f) for f in files]:
            want = 0o755 if os.path.isdir(name) else 0o644
            mode = stat.S_IMODE(os.lstat(name).st_mode)
            if mode != want:
                bad.append(f"{os.path.relpath(name, s.dir)} {mode:04o}")
    check(not bad, f"not 0644 (files) / 0755 (folders): {bad[:20]}")
    check((site / "reports" / "daily").is_dir(), "no reports/daily folder")


@test
def test_a_run_that_fails_mid_way_publishes_nothing():
    """A broken template that only the last page uses (alerts.tpl) makes
    apimon-render fail after every other page was built: exit 1, a
    message naming the template, and the site exactly as before, byte for
    byte, without a temporary file or a new folder.  Rendered into a new
    folder, the same failure leaves no folder at all."""
    s = small_site("fail-template")
    s.render(now="2026-11-22T10:00:00Z")        # four days back
    tpl = s.dir / "share" / "templates" / "alerts.tpl"
    tpl.write_text(tpl.read_text() + "{{#NEVER_CLOSED}}\n")
    err = render_fails_unchanged(s)             # new days, new reports
    check("alerts.tpl" in err and "nothing published" in err,
          f"the message names the template and says nothing was "
          f"published: {err!r}")
    fresh = s.dir / "fresh" / "site"
    s.render_fails(out=fresh)
    check(not (s.dir / "fresh").exists(),
          f"a failed run into a new folder left {tree_state(s.dir / 'fresh')}")


@test
def test_a_folder_that_cannot_be_written_publishes_nothing():
    """reports/weekly is a file instead of a folder (so even root cannot
    write into it): apimon-render stages the newer daily reports, then
    fails on the first weekly one; exit 1, the message names the folder,
    and every file is as before."""
    s = small_site("fail-folder")
    s.render(now="2026-11-22T10:00:00Z")
    weekly = s.site / "reports" / "weekly"
    shutil.rmtree(weekly)
    weekly.write_text("not a folder\n")
    err = render_fails_unchanged(s)
    check("reports/weekly" in err and "nothing published" in err,
          f"the message names the folder: {err!r}")


@test
def test_a_missing_database_is_an_error_and_nothing_is_created():
    """A database path that does not exist (a missing file, a mistyped
    folder): exit 1, exactly "apimon-render: database not found: PATH",
    and no database file, no -wal/-shm and no site folder appear."""
    for name, rel in (("missing", "apimon.db"),
                      ("mistyped", "no-such-folder/apimon.db")):
        s = Site("nodb-" + name)
        db = s.dir / rel
        s.conf.write_text(json.dumps({
            "database": str(db), "site_dir": str(s.site),
            "timezone": ZONE}) + "\n")
        before = sorted(p.name for p in s.dir.iterdir())
        err = s.render_fails()
        eq(err, f"apimon-render: database not found: {db}\n",
           f"{name}: the message")
        for p in (db, Path(str(db) + "-wal"), Path(str(db) + "-shm"),
                  s.site, db.parent):
            if p != s.dir:
                check(not p.exists(), f"{name}: {p} was created")
        eq(sorted(p.name for p in s.dir.iterdir()), before,
           f"{name}: files in {s.dir}")


def db_files(s):
    """The bytes and mtime of the database and of its WAL (None when the
    WAL does not exist)."""
    out = {}
    for suffix in ("", "-wal"):
        p = Path(str(s.db) + suffix)
        out[suffix or "db"] = ((p.read_bytes(), p.stat().st_mtime_ns)
                               if p.exists() else None)
    return out


@test
def test_render_never_writes_the_database():
    """apimon-render opens the database read-only: its file keeps its
    bytes and mtime, and the WAL gains no byte -- alone, and while
    another connection holds committed frames in the WAL (as a running
    apimon-ingest does)."""
    s = small_site("readonly-db")
    before = db_files(s)
    check(before["db"] is not None, "the database exists")
    time.sleep(0.02)
    s.render()
    after = db_files(s)
    eq(after["db"], before["db"], "the database file (bytes, mtime)")
    check(after["-wal"] is None or after["-wal"][0] ==
          (before["-wal"] or (b"", 0))[0],
          f"the WAL gained {len(after['-wal'][0]) if after['-wal'] else 0}"
          f" bytes")
    writer = sqlite3.connect(str(s.db), timeout=30)
    try:
        writer.execute("INSERT INTO meta (key, value) VALUES "
                       "('render_test_marker', 1)")
        writer.commit()
        live = db_files(s)
        check(live["-wal"] is not None and len(live["-wal"][0]) > 0,
              "the writer's frames are in the WAL")
        time.sleep(0.02)
        r = s.render(now="2026-11-26T11:00:00Z")
        check(r["written"] > 0, "the second render had work to do")
        eq(db_files(s), live, "the database and its WAL (bytes, mtime) "
           "while another connection writes")
    finally:
        writer.close()


def strace_calls(log):
    """(syscall, args, result) of each line of an strace -o log."""
    out = []
    for line in log.splitlines():
        m = re.match(r"^\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+)", line)
        if m:
            out.append((m.group(1), m.group(2), int(m.group(3))))
    return out


@test
def test_files_are_synced_before_their_rename_and_folders_after():
    """Under strace: every published file was written to its temporary
    name and fsynced (on that descriptor, before it was closed) before
    any rename; all renames come after the last temporary file was made
    (the site is published at once); after its rename, each file's folder
    is opened and fsynced.  (strace: tools/deps.sh test installs it.)"""
    strace = shutil.which("strace")
    check(strace is not None, "strace not found (tools/deps.sh test)")
    s = small_site("durable")
    log = s.dir / "strace.log"
    env = dict(s.env)
    # LeakSanitizer cannot run under ptrace.
    env["ASAN_OPTIONS"] = env["ASAN_OPTIONS"].replace("detect_leaks=1",
                                                      "detect_leaks=0")
    p = subprocess.run([strace, "-f", "-qq", "-s", "8192", "-o", str(log),
                        "-e", "trace=openat,open,creat,fsync,fdatasync,"
                        "close,rename,renameat,renameat2",
                        str(BIN / "apimon-render"), "--config", str(s.conf),
                        "--now", NOW], capture_output=True, env=env,
                       timeout=300)
    eq(p.returncode, 0, f"apimon-render under strace "
       f"({p.stderr.decode(errors='replace')[-800:]})")
    calls = strace_calls(log.read_text(errors="replace"))
    site = str(s.site) + "/"
    q = r'"((?:[^"\\]|\\.)*)"'
    renames, created = [], {}
    for i, (name, args, res) in enumerate(calls):
        if name.startswith("rename") and res == 0:
            two = re.findall(q, args)
            if len(two) == 2 and two[1].startswith(site):
                renames.append((i, two[0], two[1]))
        elif name == "openat" and "O_CREAT" in args and res >= 0:
            created[re.findall(q, args)[0]] = (i, res)
    files = [pp for pp in s.site.rglob("*") if pp.is_file()]
    eq(len(renames), len(files), "renames into the site (one per file)")
    probs = Problems()
    last_tmp = max(i for i, _ in created.values())
    if renames[0][0] < last_tmp:
        probs.add("a file was renamed into place before the last page was "
                  "staged")
    for at, tmp, dst in renames:
        if tmp not in created:
            probs.add(f"{dst}: its temporary file {tmp} was not created")
            continue
        i, fd = created[tmp]
        synced = False
        for name, args, res in calls[i + 1:at]:
            if name in ("fsync", "fdatasync") and args == str(fd) and \
                    res == 0:
                synced = True
                break
            if name == "close" and args == str(fd):
                break
        if not synced:
            probs.add(f"{dst}: not fsynced before it was closed and renamed")
        folder = os.path.dirname(dst)
        dfd = None
        for name, args, res in calls[at + 1:]:
            if name == "openat" and "O_DIRECTORY" in args and \
                    re.findall(q, args)[0] == folder and res >= 0:
                dfd = str(res)
            elif dfd is not None and name == "fsync" and args == dfd and \
                    res == 0:
                break
        else:
            probs.add(f"{dst}: its folder {folder} was not fsynced after "
                      f"the rename")
    probs.close("sync before rename, folder sync after")


@test
def test_a_copy_in_a_deep_folder_finds_the_share_beside_it():
    """An installed copy whose folder path is longer than 3000 bytes uses
    the templates in ../share/apimon beside it (the path is never cut
    short, which fell back to the build tree's templates without a
    word)."""
    s = Site("deep-share")
    s.ingest(hand_made())
    s.aggregate()
    deep = s.dir
    while len(str(deep)) < 3300:
        deep = deep / ("d" * 200)
    (deep / "bin").mkdir(parents=True)
    shutil.copy2(BIN / "apimon-render", deep / "bin" / "apimon-render")
    share = deep / "share" / "apimon"
    for part in ("templates", "site", "locales"):
        shutil.copytree(ROOT / part, share / part)
    api = share / "templates" / "api.tpl"
    api.write_text(api.read_text().replace("</body>",
                                           "<p>DEEP-SHARE-MARKER</p></body>"))
    env = {k: v for k, v in s.env.items() if k != "APIMON_SHARE"}
    p = subprocess.run([str(deep / "bin" / "apimon-render"), "--config",
                        str(s.conf), "--now", NOW], capture_output=True,
                       env=env, timeout=120)
    eq(p.returncode, 0, f"apimon-render from {len(str(deep))} bytes deep "
       f"({p.stderr.decode(errors='replace')[-500:]})")
    check(not list(s.san.iterdir()), "sanitizer reports")
    check("DEEP-SHARE-MARKER" in s.text("docs/api.html"),
          "docs/api.html was made from the templates beside the program")

@test
def test_a_row_the_walk_refuses_fails_the_run():
    """A daily_stats row whose latency histogram is not a valid encoding
    stops the database walk (its callback refuses the row): exit 1, a
    message that says which table and why, and the site as before --
    never a report with that row's latencies silently left out."""
    s = small_site("bad-row")
    s.render(now="2026-11-22T10:00:00Z")
    s.write("UPDATE daily_stats SET latency_hist = X'FF' WHERE day ="
            " (SELECT MIN(day) FROM daily_stats)")
    err = render_fails_unchanged(s)
    check("daily_stats" in err and "latency histogram" in err,
          f"the message names the table and the fault: {err!r}")

# --------------------------------------------------------------------------
# no silent limits
# --------------------------------------------------------------------------

@test
def test_dashboard_shows_every_one_of_150_sources():
    """150 sources (more than any fixed table of 64 or 128): every one is
    in sources, daily, hourly and recent of data/dashboard.json, with its
    own numbers."""
    s = Site("many-sources")
    names = [f"src-{i:03d}" for i in range(150)]
    recs = []
    for i, src in enumerate(names):
        for k in range(i % 3 + 1):
            recs.append({"request_id": f"many-{i}-{k}", "source": src,
                         "status": "success", "execution_time": 0.5,
                         "timestamp": f"2026-11-2{4 + k % 2}T0{k}:00:00Z",
                         "model": "gpt-4o-mini", "input_tokens": 10,
                         "output_tokens": i})
    s.ingest(recs)
    s.aggregate()
    s.render()
    d = s.json("data/dashboard.json")
    eq(d["sources"], names, "dashboard sources")
    eq(sorted(d["daily"]), names, "sources in daily")
    eq(sorted(d["hourly"]["requests"]), names, "sources in hourly")
    eq(sorted({r["source"] for r in d["recent"]}), names,
       "sources in recent")
    probs = Problems()
    for i, src in enumerate(names):
        if sum(d["daily"][src]["requests"]) != i % 3 + 1:
            probs.add(f"daily.{src}.requests adds up to "
                      f"{sum(d['daily'][src]['requests'])}, want {i % 3 + 1}")
        if sum(d["hourly"]["requests"][src]) != i % 3 + 1:
            probs.add(f"hourly.requests.{src} adds up to "
                      f"{sum(d['hourly']['requests'][src])}")
        if sum(d["daily"][src]["tokens"]) != (10 + i) * (i % 3 + 1):
            probs.add(f"daily.{src}.tokens: {d['daily'][src]['tokens']}")
    probs.close("150 sources")


@test
def test_alerts_page_shows_the_newest_2000_and_says_how_many_more():
    """With 2005 alerts, alerts.html lists the newest 2000 (newest first)
    and says that 5 older ones are not listed and that the reports list
    them; every daily, weekly and monthly report's alerts hold every
    alert of its days."""
    s = small_site("many-alerts")
    days = sorted({r["day"] for r in s.rows()})
    base = ms_of("2026-11-10T00:00:00Z")
    pairs = [(scope, day) for scope in range(201) for day in days][:2005]
    s.write("INSERT INTO alerts (rule, scope, day, severity, state, value,"
            " threshold, message, fired_ms, updated_ms, resolved_ms) VALUES"
            " ('error_rate', ?, ?, 'warning', 'firing', 0.2, 0.1, ?, ?, ?,"
            " NULL)",
            [(f"source:bulk-{scope:03d}", day, f"bulk alert {n}",
              base + n * 1000, base + n * 1000)
             for n, (scope, day) in enumerate(pairs)])
    s.render()
    total = s.query("SELECT COUNT(*) AS n FROM alerts WHERE day <= ?",
                    (local_day(ms_of(NOW), ZONE),))[0]["n"]
    check(total >= 2005, f"{total} alerts in the database")
    html = s.text("alerts.html")
    rows = re.findall(r'<tr class="alert [^"]*"><td>[^<]*</td>.*?</tr>',
                      html)
    eq(len(rows), 2000, "alert rows on alerts.html")
    newest = s.query("SELECT message FROM alerts WHERE day <= ? ORDER BY "
                     "updated_ms DESC, id DESC LIMIT 2000",
                     (local_day(ms_of(NOW), ZONE),))
    got = [re.findall(r"<td[^>]*>([^<]*)</td>", r)[5] for r in rows]
    eq(got, [m["message"] for m in newest], "the rows are the newest 2000")
    m = re.search(r'<p id="older-alerts">(.*?)</p>', html, re.S)
    check(m is not None, "alerts.html has a note about the older alerts")
    note = re.sub(r"<[^>]+>", "", m.group(1))
    check(f"newest 2000 of {total} alerts" in note and
          f"{total - 2000} older alert" in note and "reports" in note,
          f"the note says how many are left out and where they are: {note!r}")
    for kind in ("daily", "weekly", "monthly"):
        check_reports(s, kind, local_day(ms_of(NOW), ZONE))


# --------------------------------------------------------------------------
# the site in Traditional Chinese (issue 10)
# --------------------------------------------------------------------------

ZH = {}

# Commands in other scripts: right to left, Japanese, emoji.
SCRIPTS = ("مرحبا، لخّص هذا النص", "שלום עולם", "今日の天気を教えて",
           "總結一下今天的對話 🎉")


def zh_site():
    """35 days of traffic and the hand-made records in Asia/Taipei with
    "locale": "zh-TW": aggregated (alert messages in Chinese) and
    rendered.  A low max_scopes folds sources, a p95 limit fires too."""
    if "site" not in ZH:
        ZH["site"] = None
        s = Site("zh-tw", conf={"locale": "zh-TW", "alerts": {
            "latency_p95_s": 20, "max_scopes": 1}})
        s.ingest(data=s.simulate(35, 300, 7, NOW))
        s.ingest(hand_made())
        s.ingest([{"request_id": f"script-{i}", "source": "wechat",
                   "status": "success", "execution_time": 1.5,
                   "timestamp": "2026-11-26T09:0%d:00Z" % i, "command": c,
                   "user_id": c[:8], "model": "gpt-4o-mini",
                   "input_tokens": 10, "output_tokens": 5}
                  for i, c in enumerate(SCRIPTS)])
        s.aggregate()
        s.render()
        ZH["site"] = s
    check(ZH["site"] is not None, "the zh-TW site could not be built (see "
          "the first failure)")
    return ZH["site"]


def request_strings(s):
    """What came from requests, and may be in any language: commands,
    models, user ids, source ids, and the zone's name from the config."""
    out = {s.zone}
    for col in ("command", "model", "user_id", "source"):
        out |= {r[col] for r in s.query(f"SELECT DISTINCT {col} FROM "
                                         "api_requests")}
    return out


@test
def test_zh_tw_pages_have_lang_zh_tw_and_no_english_ui_word():
    """Issue 10: with "locale": "zh-TW", every page is <html
    lang="zh-TW">, and the server-rendered HTML of every page (what a
    reader sees without scripts, styles and code, and the labels a
    screen reader speaks) holds no English UI word: no phrase of the
    en.json texts (ui, msg, list) that zh-TW words differently, once the
    strings that came from requests are taken out."""
    s = zh_site()
    phrases = catalogue.english_phrases(("ui", "msg", "list"))
    check(len(phrases) > 200, f"{len(phrases)} English phrases")
    exempt = request_strings(s)
    probs = Problems()
    pages = sorted(s.site.rglob("*.html"))
    check(len(pages) > 40, f"{len(pages)} pages")
    for path in pages:
        rel = path.relative_to(s.site)
        page = path.read_text("utf-8")
        if '<html lang="zh-TW">' not in page:
            probs.add(f"{rel}: no <html lang=\"zh-TW\">")
        text = catalogue.without(catalogue.visible_text(page), exempt)
        for p in catalogue.find_english(text, phrases):
            i = text.find(p)
            probs.add(f"{rel}: English {p!r} in "
                      f"{' '.join(text[max(0, i - 60):i + 60].split())!r}")
        if not catalogue.CJK.search(text):
            probs.add(f"{rel}: no Chinese at all")
    probs.close("zh-TW pages")


@test
def test_zh_tw_checker_sees_an_english_word_that_bypasses_the_catalogue():
    """The check above is not blind: a page with one English word from
    the catalogue fails it, a command that holds the word does not."""
    phrases = catalogue.english_phrases(("ui", "msg", "list"))
    command = "<td class=\"command\">Show Recent requests</td>"
    for head, want in (("<h2>Recent requests</h2>", ["Recent requests",
                                                     "requests"]),
                       ("<h2 aria-label=\"Time range\">最近的請求</h2>",
                        ["Time range", "Time"]),
                       ("<h2>最近的請求</h2>", [])):
        text = catalogue.visible_text(f"<html lang=\"zh-TW\"><body>{head}"
                                      f"{command}<pre>Today</pre></body>")
        eq(catalogue.find_english(catalogue.without(
            text, {"Show Recent requests"}), phrases), want,
           f"English found in {head} and a command")
    eq(catalogue.find_english("今天 Today", phrases), ["Today"],
       "a single word")
    eq(catalogue.find_english("Todays", phrases), [], "inside a word")


@test
def test_zh_tw_dates_read_as_chinese_dates():
    """Issue 10: a daily report reads 2026年11月26日 星期四, a week
    2026年11月23日 星期一 – 11月29日 星期日, a month 2026年11月; the
    alerts page writes local times 2026/11/26 18:00:00."""
    s = zh_site()
    for rel, want in (("reports/daily/2026-11-26.html",
                       "2026年11月26日 星期四"),
                      ("reports/daily/2026-11-01.html",
                       "2026年11月1日 星期日"),
                      ("reports/weekly/2026-W48.html",
                       "2026年11月23日 星期一 – 11月29日 星期日"),
                      ("reports/monthly/2026-11.html", "2026年11月")):
        m = re.search(r'<time id="period"[^>]*>([^<]*)</time>', s.text(rel))
        check(m is not None, f"{rel}: no time#period")
        eq(m.group(1), want, f"{rel}: the period")
    html_ = s.text("alerts.html")
    al = s.query("SELECT fired_ms FROM alerts ORDER BY updated_ms DESC, id"
                 " DESC LIMIT 1")
    check(al, "alerts in the zh-TW site")
    t = datetime.datetime.fromtimestamp(al[0]["fired_ms"] / 1000,
                                        ZoneInfo(ZONE))
    check(t.strftime(">%Y/%m/%d %H:%M:%S<") in html_,
          f"fired time {t} as 2026/11/26 18:00:00")
    d = s.text("index.html")
    check(re.search(r'<time id="updated" datetime="[^"]+">\d{4}/\d\d/\d\d '
                    r'\d\d:\d\d:\d\d</time>', d), "the updated time")


@test
def test_zh_tw_csv_headers_are_chinese_and_json_keys_stay_english():
    """Issue 10: a report's CSV header is in the locale's words (its rows
    the same as in English: source ids and numbers); JSON keys stay
    English."""
    s = zh_site()
    zh = catalogue.load("zh-TW")["ui"]
    header = [zh["csv_source"]] + [zh["csv_" + k] for k in TOTAL_FIELDS]
    check(all(catalogue.CJK.search(h) for h in header), f"header {header}")
    n = 0
    for path in sorted((s.site / "reports").glob("*/*.csv")):
        rel = path.relative_to(s.site)
        table = list(csv.reader(io.StringIO(path.read_bytes().decode(
            "utf-8"), newline="")))
        eq(table[0], header, f"{rel} header")
        rep = s.json(str(rel)[:-4] + ".json")
        eq(list(rep["totals"]), list(TOTAL_FIELDS), f"{rel}: JSON keys")
        eq(sorted(r[0] for r in table[1:]),
           sorted(g["source"] for g in rep["by_source"]), f"{rel} rows")
        for g in rep["by_source"]:
            check("source" in g and "cost_usd" in g, f"by_source keys {g}")
        n += 1
    check(n > 40, f"{n} CSV files")


@test
def test_zh_tw_cost_is_written_in_us_dollars():
    """Issue 10: cost stays in USD, written US$ in zh-TW, in the report
    tables and in alert messages; NT$ is never implied, and no amount
    is written with a bare $."""
    s = zh_site()
    exempt = request_strings(s)
    html_ = s.text("reports/daily/2026-11-24.html")
    check("費用 (US$)" in html_ and "總費用 (US$)" in html_,
          "cost columns in US$")
    crit = s.query("SELECT message FROM alerts WHERE rule = 'daily_cost' AND"
                   " severity = 'critical' AND day = '2026-11-24'")
    check(crit, "a critical cost alert on 2026-11-24")
    for a in crit:
        check(re.fullmatch(r"每日費用 US\$[\d,]+\.\d\d 已超過 US\$10\.00 的上限",
                           a["message"]), f"message {a['message']!r}")
        check(a["message"] in html_, "the message on the report")
    probs = Problems()
    for path in sorted(s.site.rglob("*.html")):
        text = catalogue.without(catalogue.visible_text(
            path.read_text("utf-8")), exempt)
        if "NT$" in text:
            probs.add(f"{path.relative_to(s.site)}: NT$")
        for m in re.finditer(r"(?<!US)\$", text):
            probs.add(f"{path.relative_to(s.site)}: a bare $ in "
                      f"{text[max(0, m.start() - 30):m.end() + 30]!r}")
    probs.close("dollars")


@test
def test_zh_tw_source_display_names_and_words_of_alerts():
    """Issue 10: WeChat reads 微信 in the tables; severities, states,
    rules and scopes of alerts are Chinese words, their classes stay the
    stored names."""
    s = zh_site()
    rep = s.text("reports/daily/2026-11-26.html")
    check(re.search(r'<td dir="auto">微信</td>', rep), "微信 in by-source")
    check("<td>wechat</td>" not in rep, "no source id in by-source")
    idx = s.text("index.html")
    check('<td class="source">微信</td>' in idx, "微信 in the recent table")
    al = s.text("alerts.html")
    rows = re.findall(r'<tr class="alert (\w+) (\w+)">(.*?)</tr>', al)
    check(rows, "alert rows")
    words = {"warning": "警告", "critical": "嚴重", "firing": "觸發中",
             "escalated": "已升級", "resolved": "已解除", "closed": "已結束"}
    for sev, state, cells in rows:
        td = re.findall(r"<td[^>]*>(.*?)</td>", cells)
        eq((td[3], td[4]), (words[sev], words[state]), "severity and state")
        check(re.match(r"(來源|模型) |(全部|其他來源|其他模型|無模型)$", td[2]),
              f"scope {td[2]!r}")
    check(any(c for *_, c in rows if "其他來源" in c), "a folded scope")


@test
def test_a_locale_without_its_catalogue_is_a_config_error():
    """Issue 10: "locale": "xx-YY" without locales/xx-YY.json makes
    apimon-render exit 2, like any config error, naming the file; no site
    is written."""
    s = Site("no-locale", conf={"locale": "xx-YY"})
    rc, out, err = s.run("apimon-render", ["--config", s.conf, "--now", NOW])
    eq(rc, 2, f"exit status ({err.strip()!r})")
    eq(out, "", "stdout")
    check(re.search(r"apimon-render: \S*/locales/xx-YY\.json: cannot read",
                    err), f"stderr {err!r}")
    check(not s.site.exists(), "no site folder")


@test
def test_request_data_takes_its_direction_from_its_own_text():
    """Issue 10: commands, users and models in any script display as
    they are written: their cells in the server-rendered tables have
    dir="auto", in both locales; the text itself is unchanged."""
    for s in (golden(), zh_site()):
        idx = s.text("index.html")
        rows = re.findall(r"<tr><td class=\"time\">.*?</tr>", idx)
        check(rows, "recent rows")
        for r in rows:
            for cls in ("user", "command", "model"):
                check(f'<td class="{cls}" dir="auto">' in r,
                      f"{s.dir.name}: {cls} cell of {r[:200]}")
        for kind in ("daily", "weekly", "monthly"):
            for path in (s.site / "reports" / kind).glob("*.html"):
                for sec in ("by-source", "by-model"):
                    body = re.search(rf'id="{sec}">.*?<tbody>(.*?)</tbody>',
                                     path.read_text("utf-8"), re.S).group(1)
                    eq(len(re.findall(r"<tr><td dir=\"auto\">", body)),
                       body.count("<tr>"), f"{path.name} {sec} name cells")
    idx = zh_site().text("index.html")
    for c in SCRIPTS:
        check(f'<td class="command" dir="auto">{c}</td>' in idx,
              f"the command {c!r} as it was sent")


# --------------------------------------------------------------------------

def selected(patterns, tests=None):
    tests = TESTS if tests is None else tests
    if not patterns:
        return tests
    out = []
    for t in tests:
        for p in patterns:
            if (any(c in p for c in "*?[") and fnmatch.fnmatch(t.__name__, p)) \
                    or p.lower() in t.__name__.lower():
                out.append(t)
                break
    return out


def run_tests(suite, tests, patterns, out):
    """Run the tests that patterns select, one line each, then the last
    line "SUITE: N passed, N failed"; the exit status."""
    out.mkdir(parents=True, exist_ok=True)
    passed = failed = 0
    t_all = time.monotonic()
    for t in selected(patterns, tests):
        t0 = time.monotonic()
        try:
            t()
        except Failure as e:
            failed += 1
            print(f"FAIL {t.__name__} ({time.monotonic() - t0:.1f} s)\n    "
                  f"{e}")
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__} ({time.monotonic() - t0:.1f} s)\n"
                  + traceback.format_exc())
        else:
            passed += 1
            print(f"ok   {t.__name__} ({time.monotonic() - t0:.1f} s)")
        sys.stdout.flush()
    print(f"# {time.monotonic() - t_all:.1f} s; output under {out}")
    print(f"{suite}: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


def need_programs(suite):
    """Whether every program is in BIN; else say so as a failed suite."""
    for prog in ("apimon-simulate", "apimon-ingest", "apimon-aggregate",
                 "apimon-render"):
        if not os.access(BIN / prog, os.X_OK):
            print(f"{BIN / prog}: not found (make san)")
            print(f"{suite}: 0 passed, 1 failed")
            return False
    return True


def main():
    global BIN
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="build/san/bin")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN")
    a = ap.parse_args()
    BIN = Path(a.bin).resolve()
    if not need_programs("render"):
        return 1
    rc = run_tests("render", TESTS, a.k, OUT)
    if "site" in GOLDEN and GOLDEN["site"] is not None:
        GOLDEN["site"].log.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
