#!/usr/bin/env python3
"""apimon-render's request explorer and raw exports (issue 14): every file
under data/requests/ against sqlite3 over the raw rows, the CSV and NDJSON
exports, NDJSON imported back into the same rows, the more charts' series,
incremental rewriting, retention, explorer_days at and past its limits,
markup, formula prefixes and invalid UTF-8 in stored rows, concurrent
renders, kill -9 mid-render and a day of 100,000 requests.

    python3 tests/integration/explorer.py --bin build/san/bin [-k PATTERN]...

It uses the Site class of render.py (real SQLite files, the programs of
--bin under their sanitizers); every expectation is computed here from the
api_requests rows (zoneinfo for local days), never from the rollups.  The
last line of output is always "explorer: N passed, N failed"; the exit
status is 1 when anything failed.
"""

import argparse
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render as R              # noqa: E402
from render import Failure, Problems, check, eq, local_day, ms_of  # noqa: E402

OUT = R.ROOT / "tests" / "out" / "explorer"
NOW = R.NOW                                     # 2026-11-26T10:00:00Z
ZONE = R.ZONE                                   # Asia/Taipei
FORMAT = "apimon-explorer-2"
BLOCK = 128
CHUNK_ROWS = 1000
CHUNK_BYTES = 256 * 1024
COLUMNS = ["request_id", "ts_ms", "source", "user_id", "command", "model",
           "provider", "status", "latency_us", "ttft_us", "input_tokens",
           "output_tokens", "tokens", "cost_nusd", "cost_source", "error",
           "metadata", "received_ms"]
CSV_HEADER = ["request_id", "time", "source", "user_id", "command", "model",
              "provider", "status", "latency_s", "ttft_s", "input_tokens",
              "output_tokens", "tokens", "cost_usd", "cost_source", "error",
              "metadata", "received"]
# The columns a re-import must give back (id and received_ms are new).
SAME = [c for c in COLUMNS if c != "received_ms"]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def fnv1a32(s):
    h = 2166136261
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def repair(b):
    """bytes as apimon-render writes them: each byte that does not belong
    to a valid UTF-8 character becomes U+FFFD (lib/utf8.c)."""
    if isinstance(b, str):
        return b
    out, i = [], 0
    while i < len(b):
        for n in (1, 2, 3, 4):
            try:
                ch = b[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                out.append(ch)
                i += n
                break
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


def iso(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{ms % 1000:03d}Z"


def fixed(v, scale):
    if v is None:
        return ""
    if scale == 0:
        return str(v)
    return f"{v // 10 ** scale}.{v % 10 ** scale:0{scale}d}"


def esc_cell(s):
    """A CSV cell as esc_csv() writes it (render/esc.c), unquoted again:
    what a CSV reader gives back."""
    if s is None:
        return ""
    return ("'" if s and s[0] in "=+-@" else "") + s


def add_days(day, n):
    return R.add_days(day, n)


def raw_rows(s):
    """Every raw row, its strings as the site writes them, with its day."""
    con = __import__("sqlite3").connect(str(s.db))
    con.text_factory = bytes
    con.row_factory = __import__("sqlite3").Row
    try:
        rows = []
        for r in con.execute("SELECT * FROM api_requests ORDER BY ts_ms, id"):
            d = {k: (repair(r[k]) if isinstance(r[k], bytes) else r[k])
                 for k in r.keys()}
            d["day"] = local_day(d["ts_ms"], s.zone)
            rows.append(d)
        return rows
    finally:
        con.close()


def window(s, now, days):
    """The local days of the explorer at now, and its rows by day."""
    today = local_day(ms_of(now), s.zone)
    first = add_days(today, -(max(days, 1) - 1))
    by = {}
    if days > 0:
        for r in raw_rows(s):
            if first <= r["day"] <= today and r["ts_ms"] <= ms_of(now):
                by.setdefault(r["day"], []).append(r)
    return first, today, by


def read_json(p, probs, what):
    try:
        return json.loads(p.read_text("utf-8"))
    except (OSError, ValueError) as e:
        probs.add(f"{what}: {e}")
        return None


def check_explorer(s, now=NOW, days=7, base=None, exports=True):
    """Every file under data/requests/ against the raw rows of the window
    at now: the manifest, each day's index, chunks, id and user buckets,
    CSV and NDJSON, and nothing else."""
    site = base or s.site
    root = site / "data" / "requests"
    first, today, by = window(s, now, days)
    probs = Problems()
    m = read_json(root / "index.json", probs, "data/requests/index.json")
    if m is None:
        probs.close("the explorer")
    for k, v in (("format", FORMAT), ("explorer_days", days),
                 ("timezone", s.zone), ("first_day", first),
                 ("today", today)):
        if m.get(k) != v:
            probs.add(f"index.json {k}: expected {v!r}, got {m.get(k)!r}")
    want_days = sorted(by, reverse=True)
    got_days = [d.get("day") for d in m.get("days", [])]
    if got_days != want_days:
        probs.add(f"index.json days: expected {want_days}, got {got_days}")
    all_rows = [r for d in by.values() for r in d]
    want_src = sorted({r["source"] for r in all_rows})
    want_mod = sorted({r["model"] or "" for r in all_rows})
    if m.get("sources") != want_src:
        probs.add(f"index.json sources {m.get('sources')}, want {want_src}")
    if m.get("models") != want_mod:
        probs.add(f"index.json models {m.get('models')}, want {want_mod}")
    have = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
    if have != sorted(want_days + ["index.json"]):
        probs.add(f"data/requests/ holds {have}, want {want_days} and "
                  f"index.json")
    for md in m.get("days", []):
        day = md.get("day")
        if day in by:
            check_day(s, root / day, md, by[day], probs, exports)
    probs.close(f"the explorer of {len(by)} day(s) at {now}")
    return m


def check_day(s, folder, md, rows, probs, exports):
    day = folder.name
    idx = read_json(folder / "index.json", probs, f"{day}/index.json")
    if idx is None:
        return
    for k in ("v", "requests", "blocks"):
        if idx.get(k) != md.get(k):
            probs.add(f"{day}: index.json {k} {idx.get(k)!r}, manifest "
                      f"{md.get(k)!r}")
    if idx.get("requests") != len(rows):
        probs.add(f"{day}: {idx.get('requests')} requests, raw rows "
                  f"{len(rows)}")
    chunks = idx.get("chunks", [])
    if [c.get("n") for c in chunks] != md.get("chunks") or \
            [c.get("bytes") for c in chunks] != md.get("bytes"):
        probs.add(f"{day}: the manifest's chunk rows/bytes are not the "
                  f"day's")
    names = [idx.get("sources", []), idx.get("statuses", []),
             idx.get("models", [])]
    got, where = [], {}
    for k, c in enumerate(chunks):
        f = folder / f"{k}.json"
        ch = read_json(f, probs, f"{day}/{k}.json")
        if ch is None:
            return
        size = f.stat().st_size
        if (ch.get("format"), ch.get("day"), ch.get("h"), ch.get("chunk"),
                ch.get("columns")) != (FORMAT, day, c.get("h"), k, COLUMNS) \
                or md.get("hashes", [None] * (k + 1))[k] != c.get("h"):
            probs.add(f"{day}/{k}.json: header {[ch.get(x) for x in ('format', 'day', 'h', 'chunk')]}")
        n = len(ch["rows"])
        if c.get("n") != n or c.get("bytes") != size:
            probs.add(f"{day}/{k}.json: {n} rows {size} B, index says "
                      f"{c.get('n')} rows {c.get('bytes')} B")
        if n > CHUNK_ROWS or (n > 1 and size > CHUNK_BYTES + 512):
            probs.add(f"{day}/{k}.json: {n} rows, {size} B: past the "
                      f"limits")
        if n and (c.get("from_ms"), c.get("to_ms")) != \
                (ch["rows"][0][1], ch["rows"][-1][1]):
            probs.add(f"{day}/{k}.json: from/to_ms of the index")
        if n and exports:
            check_offsets(folder, c, ch["rows"][0], rows, k, probs)
        cells = {}
        for row in ch["rows"]:
            where[row[0]] = k
            key = (row[2], row[7], row[5] or "")
            cells[key] = cells.get(key, 0) + 1
        idx_cells = {}
        for cell in c.get("cells", []):
            try:
                key = (names[0][cell[0]], names[1][cell[1]],
                       names[2][cell[2]])
            except (IndexError, TypeError):
                probs.add(f"{day}/{k}: cell {cell} names no name")
                continue
            idx_cells[key] = cell[3]
        if idx_cells != cells:
            probs.add(f"{day}/{k}: cells {sorted(idx_cells.items())[:4]}…, "
                      f"rows give {sorted(cells.items())[:4]}…")
        got.extend(ch["rows"])
    want = [[r[c] for c in COLUMNS] for r in rows]
    if got != want:
        probs.add(f"{day}: chunk rows differ from the raw rows: "
                  f"{first_diff(got, want)}")
    check_buckets(folder, idx, rows, where, probs)
    expect = {"index.json", "requests.csv", "requests.ndjson"} | \
        {f"{k}.json" for k in range(len(chunks))} | \
        {f"{kind}-{b}-{k}.json" for b, bl in enumerate(idx.get("blocks", []))
         for kind in ("ids", "users") for k in range(bl.get(kind, 0))}
    have = {p.name for p in folder.iterdir()}
    if have != expect:
        probs.add(f"{day}/: extra {sorted(have - expect)[:5]}, missing "
                  f"{sorted(expect - have)[:5]}")
    if exports:
        check_exports(folder, rows, probs)
        for name, k in (("requests.csv", "csv_bytes"),
                        ("requests.ndjson", "nd_bytes")):
            if (folder / name).stat().st_size != idx.get(k):
                probs.add(f"{day}/{name}: {(folder / name).stat().st_size} "
                          f"B, index.json {k} {idx.get(k)!r}")


def check_offsets(folder, c, first, rows, k, probs):
    """The chunk's first row is where the index says in each export."""
    day = folder.name
    rid = first[0]
    r = next((r for r in rows if r["request_id"] == rid), None)
    if r is None:
        return
    for name, at, parse, want in (
            ("requests.csv", c.get("csv_at"),
             lambda b: next(csv.reader(io.StringIO(b.decode("utf-8", "replace"),
                                                   newline=""))),
             csv_cells(r)),
            ("requests.ndjson", c.get("nd_at"),
             lambda b: json.loads(b.split(b"\n")[0]), ndjson_record(r))):
        with open(folder / name, "rb") as f:
            f.seek(at if isinstance(at, int) else 0)
            got = f.read(65536)
        try:
            ok = isinstance(at, int) and parse(got) == want
        except (ValueError, StopIteration):
            ok = False
        if not ok:
            probs.add(f"{day}/{k}: {name} at {at!r} is not its first row")


def check_buckets(folder, idx, rows, where, probs):
    """Block b's buckets hold the ids (and users) of chunks b * block on."""
    day = folder.name
    blocks = idx.get("blocks", [])
    nch = len(idx.get("chunks", []))
    if len(blocks) != (nch + BLOCK - 1) // BLOCK:
        probs.add(f"{day}: {len(blocks)} blocks for {nch} chunks")
        return
    for b, bl in enumerate(blocks):
        mine = [r for r in rows
                if where.get(r["request_id"], -1) // BLOCK == b]
        for kind in ("ids", "users"):
            n = bl.get(kind)
            if not isinstance(n, int) or n < 1 or n & (n - 1):
                probs.add(f"{day}: block {b} {kind} buckets {n!r}: not a "
                          f"power of 2")
                continue
            want = [{} for _ in range(n)]
            for r in mine:
                if kind == "ids":
                    want[fnv1a32(r["request_id"]) % n][r["request_id"]] = \
                        where.get(r["request_id"])
                elif r["user_id"] is not None:
                    u = want[fnv1a32(r["user_id"]) % n].setdefault(
                        r["user_id"], {})
                    k = where.get(r["request_id"])
                    u[k] = u.get(k, 0) + 1
            for k in range(n):
                name = f"{kind}-{b}-{k}.json"
                f = read_json(folder / name, probs, f"{day}/{name}")
                if f is None:
                    continue
                got = f.get(kind)
                if kind == "users":
                    got = {u: {c: m for c, m in v} for u, v in got.items()}
                if (f.get("v"), f.get("block"), f.get("bucket")) != \
                        (bl.get("v"), b, k) or got != want[k]:
                    probs.add(f"{day}/{name}: {len(got or {})} keys, "
                              f"want {len(want[k])}")


def csv_cells(r):
    return [esc_cell(r["request_id"]), iso(r["ts_ms"]), esc_cell(r["source"]),
            esc_cell(r["user_id"]), esc_cell(r["command"]),
            esc_cell(r["model"]), esc_cell(r["provider"]),
            esc_cell(r["status"]), fixed(r["latency_us"], 6),
            fixed(r["ttft_us"], 6), fixed(r["input_tokens"], 0),
            fixed(r["output_tokens"], 0), fixed(r["tokens"], 0),
            fixed(r["cost_nusd"], 9), r["cost_source"], esc_cell(r["error"]),
            esc_cell(r["metadata"]), iso(r["received_ms"])]


def ndjson_record(r):
    """The ingest record apimon-render writes for a raw row."""
    d = {"request_id": r["request_id"], "timestamp": iso(r["ts_ms"]),
         "source": r["source"], "status": r["status"],
         "execution_time": r["latency_us"] / 1e6, "tokens_used": r["tokens"]}
    for k in ("user_id", "command", "model", "provider", "error"):
        if r[k] is not None:
            d[k] = r[k]
    for k, f in (("input_tokens", "input_tokens"),
                 ("output_tokens", "output_tokens")):
        if r[f] is not None:
            d[k] = r[f]
    if r["ttft_us"] is not None:
        d["time_to_first_token"] = r["ttft_us"] / 1e6
    if r["cost_source"] == "reported":
        d["cost"] = r["cost_nusd"] / 1e9
    if r["metadata"] is not None:
        try:
            d["metadata"] = json.loads(r["metadata"])
        except ValueError:
            d["metadata"] = r["metadata"]
    return d


def check_exports(folder, rows, probs):
    day = folder.name
    raw = (folder / "requests.csv").read_bytes()
    if not raw.endswith(b"\r\n"):
        probs.add(f"{day}/requests.csv does not end with CRLF")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    if not table or table[0] != CSV_HEADER:
        probs.add(f"{day}/requests.csv header {table[:1]}")
    else:
        want = [csv_cells(r) for r in rows]
        if table[1:] != want:
            probs.add(f"{day}/requests.csv (after its header): "
                      f"{first_diff(table[1:], want)}")
    lines = (folder / "requests.ndjson").read_text("utf-8").split("\n")
    if lines[-1] != "":
        probs.add(f"{day}/requests.ndjson does not end with a newline")
    got = []
    for i, ln in enumerate(lines[:-1]):
        try:
            got.append(json.loads(ln))
        except ValueError as e:
            probs.add(f"{day}/requests.ndjson line {i + 1}: {e}")
    want = [ndjson_record(r) for r in rows]
    if got != want:
        probs.add(f"{day}/requests.ndjson: {first_diff(got, want)}")


def first_diff(got, want):
    """Where two lists first differ, and how, for a message."""
    i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
             min(len(got), len(want)))
    return (f"item {i + 1} of {len(got)} (want {len(want)}): "
            f"{got[i] if i < len(got) else None!r} != "
            f"{want[i] if i < len(want) else None!r}")


def files_of(root):
    """path -> (inode, mtime) of every file below root."""
    return {str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file()}


def site(name, days=10, per_day=1500, seed=21, conf=None, extra=()):
    s = R.Site("x-" + name, conf=conf)
    s.ingest(data=s.simulate(days, per_day, seed, NOW))
    if extra:
        s.ingest(list(extra))
    s.aggregate()
    return s


def odd_records():
    """Rows whose strings must stay what they are, or be defused, in every
    file: markup, formula prefixes, quotes, newlines, a 4 KiB metadata
    object (byte-limited chunks), every cost source."""
    def r(rid, ts, **kw):
        d = {"request_id": rid, "source": "odd", "status": "success",
             "execution_time": 0.25, "timestamp": ts}
        d.update(kw)
        return d
    out = [
        r("<img src=x onerror=\"window.__x=1\">", "2026-11-26T09:00:00.001Z",
          user_id="=HYPERLINK(\"http://evil/\",\"x\")",
          command="+1, \"quoted\"\r\nnext line\u2028", model="<b>m</b>",
          error="-2+3", provider="@p", status="error"),
        r("=cmd|' /C calc'!A0", "2026-11-26T09:00:00.002Z",
          command="@SUM(1+1)", cost=0.123456789, model="gpt-4o-mini",
          input_tokens=10, output_tokens=5, time_to_first_token=0.000001),
        r("priced-1", "2026-11-26T09:00:00.003Z", model="gpt-4o-mini",
          input_tokens=1000, output_tokens=200, user_id="ünï",
          metadata={"nested": {"a": [1, 2.5, None, True]}, "s": "</script>"}),
        r("none-1", "2026-11-26T09:00:00.004Z", model="no-price-model",
          tokens_used=7, status="rate_limited", execution_time=86400),
        r("zero-1", "2026-11-24T00:00:00.000Z", execution_time=0,
          command="総結 — résumé ✓ 😀", status="timeout"),
    ]
    big = "x" * 3900
    out += [r(f"big-{i}", f"2026-11-25T0{i % 10}:00:{i % 60:02d}.000Z",
              metadata={"pad": big, "i": i}, user_id=f"u{i % 7}")
            for i in range(300)]
    return out


GOLD = {}


def gold():
    """Ten days of 1,500 simulated requests and the odd records, rendered
    at NOW: the explorer's 7 days and their exports."""
    if "s" not in GOLD:
        GOLD["s"] = None
        s = site("gold", extra=odd_records())
        GOLD["first"] = s.render()
        GOLD["s"] = s
    check(GOLD["s"] is not None, "the site could not be built")
    return GOLD["s"]


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# --------------------------------------------------------------------------
# what the explorer holds
# --------------------------------------------------------------------------

@test
def test_the_explorer_holds_every_raw_row_of_its_seven_days():
    """data/requests/: the manifest, each day's index, chunks (oldest
    first, at most 1,000 rows or ~256 KB), cells, id and user buckets
    equal the raw rows of the 7 local days up to --now; CSV and NDJSON
    exports too; no other file or folder."""
    s = gold()
    check_explorer(s)


@test
def test_rows_with_4_kib_of_metadata_make_smaller_chunks():
    """The 300 rows of 2026-11-25 with 4 KB of metadata each fill chunks
    by bytes, not by rows."""
    s = gold()
    idx = json.loads((s.site / "data/requests/2026-11-25/index.json")
                     .read_text())
    small = [c["n"] for c in idx["chunks"] if c["n"] < CHUNK_ROWS]
    check(len(small) >= 3, f"chunks of 2026-11-25: "
          f"{[c['n'] for c in idx['chunks']]}")
    for c in idx["chunks"]:
        check(c["bytes"] <= CHUNK_BYTES + 512, f"a chunk of {c['bytes']} B")


@test
def test_ndjson_exports_import_back_into_the_same_rows():
    """Every day's requests.ndjson, imported with apimon-ingest --import
    into an empty database under the same config, stores the same rows:
    every column but id and received_ms equal, for every request_id
    (reported, priced and unknown costs, metadata, first-token times,
    markup and formula prefixes included)."""
    s = gold()
    t = R.Site("x-reimport")
    t.conf.write_text(s.conf.read_text().replace(str(s.db), str(t.db))
                      .replace(str(s.site), str(t.site)))
    n = 0
    for f in sorted((s.site / "data/requests").glob("*/requests.ndjson")):
        n += t.ingest(data=f.read_bytes())
    _, _, by = window(s, NOW, 7)
    want = {r["request_id"]: [r[c] for c in SAME] for d in by.values()
            for r in d}
    got = {r["request_id"]: [r[c] for c in SAME] for r in raw_rows(t)}
    eq(n, len(want), "records imported")
    diff = [k for k in want if got.get(k) != want[k]]
    check(not diff, f"{len(diff)} rows differ after the import, e.g. "
          f"{[(k, got.get(k), want[k]) for k in diff[:2]]}")
    odd = [r for r in raw_rows(t) if r["source"] == "odd"]
    eq(sorted({r["cost_source"] for r in odd}), ["none", "priced", "reported"],
       "cost sources of the odd rows after the import")


@test
def test_csv_cells_that_start_a_formula_are_defused_as_in_the_reports():
    """Cells starting with = + - @ are written with a leading ' (the
    report CSVs' esc_csv()); commas, quotes and newlines are quoted."""
    s = gold()
    raw = (s.site / "data/requests/2026-11-26/requests.csv").read_bytes() \
        .decode("utf-8")
    for cell in ("'=HYPERLINK(\"\"http://evil/\"\",\"\"x\"\")",
                 "\"'+1, \"\"quoted\"\"\r\nnext line\u2028\"",
                 "'=cmd|' /C calc'!A0", "'@SUM(1+1)", "'-2+3", "'@p"):
        check(cell in raw, f"requests.csv lacks the cell {cell!r}")
    for bad in (",=HYPERLINK", ",+1", ",@SUM", "\r\n=cmd"):
        check(bad not in raw, f"requests.csv has {bad!r}")


@test
def test_daily_reports_link_the_exports_of_the_explorers_days_only():
    """reports/daily/DAY.html links DAY's requests.csv and .ndjson when
    the day is in the explorer's window; older reports link nothing."""
    s = gold()
    m = json.loads((s.site / "data/requests/index.json").read_text())
    days = {d["day"] for d in m["days"]}
    for p in sorted((s.site / "reports/daily").glob("*.html")):
        day = p.stem
        html = p.read_text()
        has = f'href="../../data/requests/{day}/requests.csv"' in html and \
            f'href="../../data/requests/{day}/requests.ndjson"' in html
        eq(has, day in days, f"{p.name} links its day's exports")
    html = (s.site / "requests.html").read_text()
    for day in days:
        check(f'href="data/requests/{day}/requests.csv"' in html,
              f"requests.html lacks the export of {day}")


@test
def test_the_more_charts_series_equal_the_raw_rows():
    """data/charts.json (the dashboard's 30 days, all sources and each)
    and the weekly and monthly reports' "more" series: requests,
    failures, input and output tokens, cost by model per day exactly,
    p95 within 2 % of the exact nearest-rank value, null on a day without
    requests."""
    s = gold()
    rows = [r for r in raw_rows(s) if r["ts_ms"] <= ms_of(NOW)]
    probs = Problems()

    def expect(days, source):
        out = {"requests": [], "failures": [], "input_tokens": [],
               "output_tokens": [], "p95": [], "cost": {}}
        for i, d in enumerate(days):
            sel = [r for r in rows if r["day"] == d and
                   (source is None or r["source"] == source)]
            out["requests"].append(len(sel))
            out["failures"].append(sum(r["status"] != "success" for r in sel))
            out["input_tokens"].append(sum(r["input_tokens"] or 0 for r in sel))
            out["output_tokens"].append(sum(r["output_tokens"] or 0
                                            for r in sel))
            lat = sorted(r["latency_us"] for r in sel)
            out["p95"].append(R.exact_quantile(lat, "0.95") / 1e6 if lat
                              else None)
            for r in sel:
                if r["cost_nusd"]:
                    c = out["cost"].setdefault(r["model"] or "",
                                               [0] * len(days))
                    c[i] += r["cost_nusd"]
        return out

    def compare(got, days, source, where):
        w = expect(days, source)
        if got.get("days") != days:
            probs.add(f"{where}: days {got.get('days', [])[:2]}…")
            return
        for k in ("requests", "failures", "input_tokens", "output_tokens"):
            if got.get(k) != w[k]:
                probs.add(f"{where} {k}: {got.get(k)} != {w[k]}")
        for g, e in zip(got.get("p95_s", []), w["p95"]):
            if (g is None) != (e is None) or \
                    (e is not None and abs(g - e) > 0.02 * e + 1e-6):
                probs.add(f"{where} p95_s: {got.get('p95_s')} vs {w['p95']}")
                break
        cost = got.get("cost_by_model", {})
        if sorted(cost) != sorted(w["cost"]):
            probs.add(f"{where} models {sorted(cost)} != {sorted(w['cost'])}")
        for mname, v in w["cost"].items():
            if [round(x * 1e9) for x in cost.get(mname, [])] != v:
                probs.add(f"{where} cost of {mname!r}: {cost.get(mname)}")

    c = json.loads((s.site / "data/charts.json").read_text())
    today = local_day(ms_of(NOW), ZONE)
    days = [add_days(today, -i) for i in range(29, -1, -1)]
    eq(c.get("error_rate"), 0.10, "charts.json error_rate (the threshold)")
    compare(c["all"], days, None, "charts.json all")
    for src, ser in c["by_source"].items():
        compare(ser, days, src, f"charts.json {src}")
    for kind, label, first in (("weekly", "2026-W48", "2026-11-23"),
                               ("monthly", "2026-11", "2026-11-01")):
        html = (s.site / f"reports/{kind}/{label}.html").read_text()
        body = html.split('id="report-series">')[1].split("</script>")[0]
        more = json.loads(body)["more"]
        n = (R.datetime.date.fromisoformat(today) -
             R.datetime.date.fromisoformat(first)).days + 1
        compare(more, [add_days(first, i) for i in range(n)], None,
                f"{kind} {label}")
        eq(more.get("error_rate"), 0.10, f"{kind} error_rate")
    probs.close("the more charts' series")


# --------------------------------------------------------------------------
# rewriting, retention, limits
# --------------------------------------------------------------------------

@test
def test_an_unchanged_render_writes_nothing_and_removes_nothing():
    s = gold()
    before = files_of(s.site)
    r = s.render()
    eq((r["written"], r["removed"]), (0, 0), "files written and removed")
    eq(r["unchanged"], len(before), "files unchanged")
    eq(files_of(s.site), before, "files of the site")
    # A minute later with no new row (cron's next run): the explorer's
    # files stay as they are, its index.json too (the pages may change).
    t = copy_of(s, "unchanged-later")
    xp = files_of(t.site / "data/requests")
    t.render(now=R.iso_ms(ms_of(NOW) + 60_000))
    eq(files_of(t.site / "data/requests"), xp,
       "the explorer's files after a render a minute later")
    # A backfill of a day outside the window: no day changes, but the
    # manifest's upto moves past it, so that no run searches it again.
    t.ingest([{"request_id": "backfill-old", "source": "web",
               "status": "success", "execution_time": 0.1,
               "timestamp": R.iso_ms(ms_of(NOW) - 20 * 86400_000)}])
    t.render(now=R.iso_ms(ms_of(NOW) + 120_000))
    got = files_of(t.site / "data/requests")
    eq({k: v for k, v in got.items() if k != "index.json"},
       {k: v for k, v in xp.items() if k != "index.json"},
       "the explorer's day files after a backfill outside the window")
    m = json.loads((t.site / "data/requests/index.json").read_text())
    eq(m["upto"], t.query("SELECT MAX(id) AS m FROM api_requests")[0]["m"],
       "the manifest's upto after a backfill outside the window")


def copy_of(s, name):
    """A copy of site s (database and site) to change."""
    t = R.Site("x-" + name)
    shutil.copy(s.db, t.db)
    shutil.copytree(s.site, t.site)
    t.conf.write_text(s.conf.read_text().replace(str(s.db), str(t.db))
                      .replace(str(s.site), str(t.site)))
    return t


@test
def test_a_new_row_rewrites_only_the_files_of_its_day():
    """A new request today, then a late one three days back: each render
    rewrites files of that day's folder (and the manifest) only, and of
    the day's chunks only the one the row went into; every other
    explorer file keeps its inode and mtime, and the site equals the raw
    rows again."""
    t = copy_of(gold(), "incremental")
    for rid, ts, day in (("new-today", "2026-11-26T09:59:30.000Z",
                          "2026-11-26"),
                         ("late-row", "2026-11-23T15:30:00.000Z",
                          "2026-11-23")):
        before = files_of(t.site / "data/requests")
        time.sleep(0.02)
        t.ingest([{"request_id": rid, "source": "web", "status": "success",
                   "execution_time": 1, "timestamp": ts, "user_id": "u-new"}])
        t.aggregate()
        t.render()
        after = files_of(t.site / "data/requests")
        changed = sorted(k for k in after if before.get(k) != after[k])
        other = [k for k in changed if not k.startswith(day + "/") and
                 k != "index.json"]
        eq(other, [], f"explorer files rewritten for a row of {day}")
        check(f"{day}/index.json" in changed and f"{day}/requests.csv" in
              changed, f"{day}'s files were not rewritten: {changed}")
        # the row is the day's newest: the chunks before it stay
        check(f"{day}/0.json" not in changed and f"{day}/1.json" in changed,
              f"chunks of {day} rewritten: {changed}")
    check_explorer(t)


def tree_bytes(root):
    """relative path -> bytes of every file below root; of an index.json
    without the marks of the run that wrote it (a day kept as it is, and
    a manifest that nothing else changed in, keep an earlier run's)."""
    out = {}
    for p in root.rglob("*"):
        if not p.is_file():
            continue
        b = p.read_bytes()
        if p.name == "index.json":
            o = json.loads(b)
            o.pop("upto", None)
            o.pop("now_ms", None)
            b = json.dumps(o, sort_keys=True).encode()
        out[str(p.relative_to(root))] = b
    return out


class Grow:
    """A site whose today is rendered run by run, each run checked
    against the raw rows and byte for byte against a render of the same
    moment into an empty folder."""
    T0 = ms_of("2026-11-26T00:00:00Z")             # 08:00 in Taipei

    def __init__(self, name):
        self.t = R.Site("x-" + name)
        self.seq = 0

    def rows(self, n, start_ms, step_ms, pad=0):
        out = []
        for i in range(n):
            self.seq += 1
            d = {"request_id": f"g-{self.seq}", "source": "web",
                 "status": "success", "execution_time": 0.5,
                 "timestamp": R.iso_ms(start_ms + i * step_ms),
                 "user_id": f"u{self.seq % 13}"}
            if pad:
                d["metadata"] = {"pad": "p" * pad}
            out.append(d)
        self.t.ingest(out)

    def step(self, label, now, fewer=None):
        t = self.t
        got = t.render(now=now)
        whole = t.dir / f"whole-{label}"
        shutil.rmtree(whole, ignore_errors=True)
        t.render(now=now, out=whole)
        check_explorer(t, now=now)
        a = tree_bytes(t.site / "data/requests")
        b = tree_bytes(whole / "data/requests")
        shutil.rmtree(whole)
        diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        eq(diff, [], f"{label}: files that differ from a whole render")
        if fewer is not None:
            check(got["written"] <= fewer, f"{label}: {got['written']} "
                  f"files written, at most {fewer} expected")


@test
def test_run_by_run_a_day_grows_into_the_files_a_whole_render_writes():
    """Rows at the end, late rows that fall into an early chunk, a row in
    the future that a later --now reaches, a row for yesterday, the bytes
    a died run left after the end of an export (with and without new
    rows), an index.json whose offsets are past the exports, the oldest
    rows deleted (retention: the day is written whole):
    after each render the explorer equals the raw rows and a render into
    an empty folder."""
    g = Grow("grow")
    t0 = g.T0
    g.rows(40, t0, 1000)
    g.step("first", "2026-11-26T02:00:00Z")
    g.rows(2500, t0 + 3600_000, 100)
    g.step("append", "2026-11-26T03:00:00Z", fewer=30)
    # late rows in chunk 1: the day again from there
    g.rows(3, t0 + 3600_000 + 150_000 + 50, 7)
    g.step("late", "2026-11-26T03:00:00Z")
    # a row in the future at --now, reached by a later --now
    g.rows(1, ms_of("2026-11-26T03:00:30Z"), 1)
    g.step("future", "2026-11-26T03:00:00Z", fewer=3)
    g.step("reached", "2026-11-26T03:01:00Z", fewer=30)
    # a row for yesterday (Taipei): that day only
    g.rows(1, ms_of("2026-11-25T10:00:00Z"), 1)
    g.step("yesterday", "2026-11-26T03:01:00Z")
    # a run that died continuing the exports left bytes past their end
    csvf = g.t.site / "data/requests/2026-11-26/requests.csv"
    with open(csvf, "ab") as f:
        f.write(b"died,mid,way\r\n")
    g.step("died, nothing new", "2026-11-26T03:01:00Z")
    with open(csvf, "ab") as f:
        f.write(b"died,again")
    g.rows(2, ms_of("2026-11-26T03:00:50Z"), 1)
    g.step("died, then rows", "2026-11-26T03:01:00Z", fewer=30)
    # an index.json that says an export is longer than it is: not trusted
    idxf = g.t.site / "data/requests/2026-11-26/index.json"
    idx = json.loads(idxf.read_text())
    idx["chunks"][-1]["csv_at"] = 10 ** 12
    idxf.write_text(json.dumps(idx))
    g.rows(1, ms_of("2026-11-26T03:00:55Z"), 1)
    g.step("index lies", "2026-11-26T03:01:00Z")
    # retention deleted today's oldest rows: the day is written whole
    g.t.write("DELETE FROM api_requests WHERE ts_ms < ?", [(t0 + 20_000,)])
    g.step("oldest deleted", "2026-11-26T03:01:00Z")


@test
def test_a_day_continued_past_a_block_of_128_chunks():
    """4 KB of metadata makes chunks of ~60 rows: the second render's rows
    fill block 0 (its ids read again from the database for its buckets)
    and start block 1; ten rows more write only the last chunk and block
    1's buckets.  Each time the explorer equals the raw rows and a render
    into an empty folder."""
    g = Grow("block")
    g.rows(4500, g.T0, 100, pad=4000)
    g.t.render(now="2026-11-26T02:00:00Z")
    g.rows(4500, g.T0 + 7200_000, 100, pad=4000)
    g.step("past a block", "2026-11-26T04:00:00Z")
    idx = json.loads((g.t.site / "data/requests/2026-11-26/index.json")
                     .read_text())
    check(len(idx["blocks"]) == 2, f"{len(idx['chunks'])} chunks in "
          f"{len(idx['blocks'])} blocks")
    g.rows(10, g.T0 + 7200_000 + 450_000 + 5, 1, pad=4000)
    g.step("ten more", "2026-11-26T04:00:00Z", fewer=30)


@test
def test_days_that_leave_the_window_are_removed_at_commit():
    """--now one and two days later: the oldest day folders go, and the
    summary counts what went; a day whose raw rows were all deleted
    (retention) goes too; explorer_days 3 keeps three days."""
    t = copy_of(gold(), "retention")
    prev = {p.name for p in (t.site / "data/requests").iterdir()}
    for k in (1, 2):
        now = R.rfc3339_local(R.datetime.datetime.fromisoformat(
            NOW.replace("Z", "+00:00")) + R.datetime.timedelta(days=k))
        r = t.render(now=now)
        have = {p.name for p in (t.site / "data/requests").iterdir()}
        gone = prev - have
        check(gone, f"no folder went at {now}")
        check(r["removed"] >= len(gone), f"removed {r['removed']} at {now}")
        check_explorer(t, now=now)
        prev = have
    # retention deleted every raw row of the oldest day left
    oldest = min(p.name for p in (t.site / "data/requests").iterdir()
                 if p.is_dir())
    t.write("DELETE FROM api_requests WHERE ts_ms < ?",
            [(ms_of(R.rfc3339_local(R.local_midnight(add_days(oldest, 1),
                                                     ZONE))),)])
    r = t.render(now=now)
    check(not (t.site / "data/requests" / oldest).exists(),
          f"{oldest} without raw rows is still there")
    check_explorer(t, now=now)
    t.conf.write_text(json.dumps({**json.loads(t.conf.read_text()),
                                  "site": {"explorer_days": 3}}))
    t.render(now=now)
    check_explorer(t, now=now, days=3)


@test
def test_explorer_days_0_turns_it_off_and_a_huge_one_keeps_every_day():
    """0: data/requests holds only index.json with no day, requests.html
    says the explorer is off, no daily report links exports.  36500 (the
    limit): every day with raw rows is there."""
    t = copy_of(gold(), "limits")
    conf = json.loads(t.conf.read_text())
    t.conf.write_text(json.dumps({**conf, "site": {"explorer_days": 0}}))
    r = t.render()
    check(r["removed"] > 0, "nothing was removed")
    check_explorer(t, days=0)
    check('id="xp-off"' in (t.site / "requests.html").read_text(),
          "requests.html does not say the explorer is off")
    for p in (t.site / "reports/daily").glob("*.html"):
        check("data/requests/" not in p.read_text(), f"{p.name} links "
              f"exports")
    t.conf.write_text(json.dumps({**conf, "site": {"explorer_days": 36500}}))
    t.render()
    m = check_explorer(t, days=36500)
    eq(len(m["days"]), len({r["day"] for r in raw_rows(t)
                            if r["ts_ms"] <= ms_of(NOW)}), "days exported")


@test
def test_explorer_days_of_a_wrong_type_or_range_is_a_config_error():
    """"7", 7.5, -1, 36501, null, {}: exit 2, one line naming the file and
    "site.explorer_days", and the site as it was."""
    t = copy_of(gold(), "badconf")
    conf = json.loads(t.conf.read_text())
    before = R.tree_state(t.site)
    for v in ("7", 7.5, -1, 36501, None, {}):
        t.conf.write_text(json.dumps({**conf, "site": {"explorer_days": v}}))
        rc, out, err = t.run("apimon-render", ["--config", t.conf, "--now",
                                               NOW])
        eq(rc, 2, f"exit status for explorer_days {v!r}")
        check(str(t.conf) in err and '"site.explorer_days"' in err and
              err.count("\n") == 1, f"message for {v!r}: {err!r}")
    check(R.tree_state(t.site) == before, "the site changed")


# --------------------------------------------------------------------------
# attacks
# --------------------------------------------------------------------------

@test
def test_invalid_utf8_in_stored_rows_is_written_as_u_fffd():
    """Rows written into the database by hand with bytes that are not
    UTF-8 (ingest refuses them) in the id, user, command, model and
    error: every explorer file and export is valid UTF-8 JSON/CSV with
    U+FFFD for each bad byte, and the rows are found by their repaired
    ids."""
    t = copy_of(gold(), "utf8")
    t.write("INSERT INTO api_requests (request_id, ts_ms, source, user_id,"
            " command, model, status, latency_us, tokens, cost_nusd,"
            " cost_source, error, metadata, received_ms) VALUES (CAST(? AS"
            " TEXT), ?, 'web', CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS"
            " TEXT), 'success', 1, 0, 0, 'none', CAST(? AS TEXT), CAST(? AS"
            " TEXT), 0)",
            [(b"bad-\xff\xfe", ms_of("2026-11-26T08:00:00Z"), b"u\xc0\xaf",
              b"cmd \xe2\x82 <x>", b"m\xed\xa0\x80", b"e\x80",
              b'{"k":\xff')])
    t.aggregate()
    t.render()
    for p in (t.site / "data/requests").rglob("*"):
        if p.is_file():
            try:
                p.read_bytes().decode("utf-8")
            except UnicodeDecodeError as e:
                raise Failure(f"{p.relative_to(t.site)} is not UTF-8: {e}")
    check_explorer(t)
    ids = json.loads((t.site / "data/requests/index.json").read_text())
    rid = "bad-\ufffd\ufffd"
    day = [d for d in ids["days"] if d["day"] == "2026-11-26"][0]
    found = [json.loads((t.site / f"data/requests/2026-11-26/ids-{b}-"
                         f"{fnv1a32(rid) % bl['ids']}.json").read_text())
             for b, bl in enumerate(day["blocks"])]
    check(any(rid in f["ids"] for f in found),
          f"{rid!r} is not in its bucket")
    nd = (t.site / "data/requests/2026-11-26/requests.ndjson").read_text()
    line = [x for x in nd.split("\n") if rid in x][0]
    # the metadata that is not JSON any more goes as a string: --import
    # refuses that line by name, and stores the others
    check('"metadata":"{\\"k\\":\ufffd"' in line, line)


@test
def test_concurrent_renders_publish_one_whole_site():
    """Four apimon-render runs at once after new rows: all exit 0 and the
    site is whole: every explorer file equals the raw rows, no temporary
    file is left."""
    t = copy_of(gold(), "concurrent")
    t.ingest([{"request_id": f"conc-{i}", "source": "web",
               "status": "success", "execution_time": 1,
               "timestamp": f"2026-11-2{i % 7}T05:00:00.000Z"}
              for i in range(40)])
    t.aggregate()
    argv = [str(R.BIN / "apimon-render"), "--config", str(t.conf), "--now",
            NOW]
    ps = [subprocess.Popen(argv, env=t.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE) for _ in range(4)]
    for p in ps:
        out, err = p.communicate(timeout=300)
        eq(p.returncode, 0, f"a concurrent render: {err.decode()[-500:]}")
    check(not list(t.san.iterdir()), "sanitizer reports")
    check_explorer(t)
    left = [str(p) for p in t.site.rglob("*.tmp.*")]
    eq(left, [], "temporary files")


@test
def test_kill_9_mid_render_leaves_whole_files_and_the_next_run_repairs():
    """apimon-render killed with SIGKILL at five moments of a run that
    rewrites every day: every published file under data/requests is
    whole JSON (old or new), a manifest's day always has its index; the
    next run publishes the whole site, and a killed run's temporary
    files, once 10 minutes old, are removed by a later run."""
    t = copy_of(gold(), "kill")
    shutil.rmtree(t.site / "data/requests")
    argv = [str(R.BIN / "apimon-render"), "--config", str(t.conf), "--now",
            NOW]
    t0 = time.monotonic()
    t.render()
    full = time.monotonic() - t0
    shutil.rmtree(t.site / "data/requests")
    killed = 0
    for frac in (0.1, 0.3, 0.5, 0.7, 0.9):
        p = subprocess.Popen(argv, env=t.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(full * frac)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed += 1
        p.wait(timeout=60)
        root = t.site / "data/requests"
        for f in (root.rglob("*.json") if root.exists() else []):
            if ".tmp." not in f.name:
                try:
                    json.loads(f.read_text())
                except ValueError as e:
                    raise Failure(f"after SIGKILL at {frac:.0%}: "
                                  f"{f.relative_to(t.site)} is not whole: {e}")
    check(killed >= 2, f"only {killed} of 5 runs were killed mid-way")
    for f in t.site.rglob("*.tmp.*"):
        os.utime(f, (time.time() - 3600, time.time() - 3600))
    t.render()
    check_explorer(t)
    left = [str(p.relative_to(t.site)) for p in
            (t.site / "data/requests").rglob("*.tmp.*")]
    eq(left, [], "temporary files of killed runs in data/requests")
    for f in t.san.iterdir():
        f.unlink()      # a killed run may leave a partial report


@test
def test_a_day_of_100000_requests():
    """One local day with 100,000 requests: chunks of at most 1,000 rows
    and ~256 KB, 128 id buckets of about 800 ids, and every row in its
    chunk, bucket and export."""
    t = R.Site("x-100k")
    end = "2026-11-26T16:00:00Z"            # local midnight: one local day
    now = "2026-11-26T15:59:59Z"
    t.ingest(data=t.simulate(1, 110000, 31, end))
    t.aggregate(now=now)
    t.render(now=now)
    m = check_explorer(t, now=now)
    day = m["days"][0]
    check(day["requests"] >= 95000, f"{day['requests']} requests")
    check(len(day["chunks"]) >= 100 and max(day["chunks"]) <= CHUNK_ROWS,
          f"{len(day['chunks'])} chunks")
    check(len(day["blocks"]) >= 1 and
          sum(b["ids"] for b in day["blocks"]) >= 64,
          f"{day['blocks']}: id buckets")
    biggest = max((t.site / "data/requests" / day["day"]).glob("ids-*"),
                  key=lambda p: p.stat().st_size).stat().st_size
    check(biggest < 64 * 1024, f"an id bucket of {biggest} B")


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="build/san/bin")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN")
    a = ap.parse_args()
    R.BIN = Path(a.bin).resolve()
    R.OUT = OUT
    if not R.need_programs("explorer"):
        return 1
    return R.run_tests("explorer", TESTS, a.k, OUT)


if __name__ == "__main__":
    sys.exit(main())
