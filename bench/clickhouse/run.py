#!/usr/bin/env python3
"""bench/clickhouse — ~10,000,000 simulated rows across 2 ClickHouse shards.

    bench/clickhouse/run.sh            (make bench runs it with the others)

  ship       apimon-ship of every row of one ingest database (batches of
             100,000, gzip, Distributed insert with insert_distributed_sync=1)
  ceiling    the same rows exported from ClickHouse as gzipped JSONEachRow,
             the tables emptied, then one bare `curl --data-binary` POST of
             that file into the same Distributed table
  rollups    apimon-aggregate on a reporting host: (a) the first run (every
             day), (b) incremental after NEW rows shipped into the last day,
             (c) --rebuild; against apimon-aggregate on one SQLite database
             holding the same rows: (a) first run, (c) --rebuild

Each step is timed on the wall clock; ratios are printed.  The ingest
database is built once (apimon-simulate | apimon-ingest --import) and cached
in bench/out/clickhouse-cache/ (git-ignored), keyed by DAYS, PER_DAY, SEED
and END; every run works on a copy in a temp dir.  The servers run from
private configs on free loopback ports (tests/integration/chserver.py) and
are killed at the end, whatever happens; KEEP=1 keeps the temp dir.

Environment (defaults): DAYS=30 PER_DAY=333334 SEED=1 NEW=10000
  END=2026-11-26T16:00:00Z (a local midnight of ZONE) ZONE=Asia/Taipei
  REPEAT=1 (ship and curl, and the two --rebuilds, run interleaved REPEAT
  times; the summary gives medians)  KEEP=0  TMPDIR  APIMON_BIN=<repo>/bin
Exit status 0 when the benchmark ran, 1 when the harness failed.
"""

import base64
import calendar
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import chserver  # noqa: E402

DAYS = int(os.environ.get("DAYS", 30))
PER_DAY = int(os.environ.get("PER_DAY", 333334))
SEED = int(os.environ.get("SEED", 1))
NEW = int(os.environ.get("NEW", 10000))
END = os.environ.get("END", "2026-11-26T16:00:00Z")
ZONE = os.environ.get("ZONE", "Asia/Taipei")
KEEP = os.environ.get("KEEP", "0") == "1"
REPEAT = int(os.environ.get("REPEAT", 1))
BIN = Path(os.environ.get("APIMON_BIN", ROOT / "bin"))
PASSWORD = "bench-pw"
DB = "apimon"


def die(msg):
    print(f"bench/clickhouse: {msg}", file=sys.stderr)
    sys.exit(1)


def run(argv, **kw):
    t = time.monotonic()
    p = subprocess.run([str(a) for a in argv], capture_output=True, **kw)
    dt = time.monotonic() - t
    if p.returncode != 0:
        die(f"{' '.join(map(str, argv))}: exit {p.returncode}: "
            f"{p.stderr.decode(errors='replace')[-1500:]}")
    return dt, p.stdout.decode(errors="replace")


def write(path, obj):
    Path(path).write_text(json.dumps(obj, indent=2))
    return str(path)


def rollup_hash(db):
    con = sqlite3.connect(db)
    h = hashlib.sha256()
    for t in ("hourly_stats", "daily_stats"):
        for r in con.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3"):
            h.update(repr(r).encode())
    n = con.execute("SELECT COUNT(*) FROM hourly_stats").fetchone()[0]
    con.close()
    return h.hexdigest()[:16], n


def cached_db():
    cache = ROOT / "bench" / "out" / "clickhouse-cache"
    cache.mkdir(parents=True, exist_ok=True)
    key = f"d{DAYS}-p{PER_DAY}-s{SEED}-e{END.replace(':', '')}"
    db = cache / f"ingest-{key}.db"
    if db.exists():
        return db
    part = cache / f"partial-{key}.db"
    for s in ("", "-wal", "-shm"):
        Path(str(part) + s).unlink(missing_ok=True)
    conf = write(cache / f"partial-{key}.json",
                 {"database": str(part), "timezone": ZONE,
                  "ingest": {"synchronous": "off"}})
    print(f"# building {db.name}: {DAYS} days x {PER_DAY} records (once)",
          flush=True)
    t = time.monotonic()
    sim = subprocess.Popen([BIN / "apimon-simulate", "--days", str(DAYS),
                            "--per-day", str(PER_DAY), "--seed", str(SEED),
                            "--end", END], stdout=subprocess.PIPE)
    ing = subprocess.run([BIN / "apimon-ingest", "--config", conf, "--import",
                          "-"], stdin=sim.stdout, capture_output=True)
    sim.wait()
    if sim.returncode or ing.returncode:
        die(f"building the database: {ing.stderr.decode()[-800:]}")
    print(f"# {ing.stdout.decode().strip()} in {time.monotonic() - t:.0f} s",
          flush=True)
    con = sqlite3.connect(part)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    os.rename(part, db)
    os.unlink(conf)
    return db


def curl_config(tmp):
    """A curl config file: the password stays out of argv."""
    p = Path(tmp) / "curl.conf"
    p.write_text(f'user = "default:{PASSWORD}"\n')
    p.chmod(0o600)
    return p


def empty(cl):
    for i in range(len(cl.servers)):
        cl.query(i, f"TRUNCATE TABLE {DB}.requests_local")


def export(cl, gz):
    """Every row as ClickHouse's own gzipped JSONEachRow, into gz."""
    q = urllib.parse.urlencode({
        "query": f"SELECT * FROM {DB}.requests FORMAT JSONEachRow",
        "enable_http_compression": "1"})
    req = urllib.request.Request(f"{cl.urls[0]}/?{q}", data=b"",
                                 headers={"Accept-Encoding": "gzip"})
    req.add_header("Authorization", "Basic " + base64.b64encode(
        f"default:{PASSWORD}".encode()).decode())
    with urllib.request.urlopen(req, timeout=3600) as r, open(gz, "wb") as f:
        shutil.copyfileobj(r, f, 1 << 20)


def main():
    for prog in ("apimon-simulate", "apimon-ingest", "apimon-ship",
                 "apimon-aggregate"):
        if not os.access(BIN / prog, os.X_OK):
            die(f"{BIN / prog} not built (run make)")
    if not shutil.which("curl"):
        die("curl missing (make deps)")
    src = cached_db()
    tmp = tempfile.mkdtemp(prefix="apimon-bench-clickhouse.")
    cl = None
    try:
        cl = chserver.Cluster(Path(tmp) / "servers", shards=2,
                              password=PASSWORD)
        cl.__enter__()
        ch = {"url": cl.urls[0], "database": DB, "password": PASSWORD,
              "cluster": "apimon", "nodes": cl.urls}
        ingest = Path(tmp) / "in.db"
        t = time.monotonic()
        shutil.copyfile(src, ingest)
        print(f"# copied the {src.stat().st_size >> 20} MiB database in "
              f"{time.monotonic() - t:.1f} s", flush=True)
        rows = sqlite3.connect(ingest).execute(
            "SELECT COUNT(*) FROM api_requests").fetchone()[0]
        iconf = write(Path(tmp) / "ingest.json", {
            "database": str(ingest), "timezone": ZONE, "clickhouse": ch,
            "ship": {"host": "bench-1", "keep_days": 36500,
                     "batch_rows": 100000}})
        run([BIN / "apimon-ship", "--config", iconf, "--init"])
        # ---- ship against a bare curl POST of the same rows ----------------
        # Interleaved: the machine's load moves; medians of REPEAT runs.
        gz = Path(tmp) / "rows.json.gz"
        ins = urllib.parse.urlencode({
            "query": f"INSERT INTO {DB}.requests FORMAT JSONEachRow",
            "insert_distributed_sync": "1", "wait_end_of_query": "1"})
        ships, curls = [], []
        for k in range(REPEAT):
            empty(cl)
            con = sqlite3.connect(ingest)
            con.execute("DELETE FROM meta WHERE key = 'ship_last_id'")
            con.commit()
            con.close()
            t, out = run([BIN / "apimon-ship", "--config", iconf])
            ships.append(t)
            print(f"# apimon-ship: {out.strip()} in {t:.1f} s", flush=True)
            if k == 0:
                export(cl, gz)
            empty(cl)
            t, _ = run(["curl", "-sS", "--fail-with-body", "-K",
                        curl_config(tmp), "-H", "Content-Encoding: gzip",
                        "-H", "Expect:", "--data-binary", f"@{gz}",
                        f"{cl.urls[0]}/?{ins}"])
            curls.append(t)
            n = int(cl.query(0, f"SELECT count() FROM {DB}.requests")
                    .strip())
            if n != rows:
                die(f"curl loaded {n} rows, not {rows}")
            print(f"# curl POST of {gz.stat().st_size >> 20} MiB gzip in "
                  f"{t:.1f} s", flush=True)
        t_ship, t_curl = statistics.median(ships), statistics.median(curls)

        # ---- rollups: ClickHouse against SQLite ----------------------------
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(
            calendar.timegm(time.strptime(END, "%Y-%m-%dT%H:%M:%SZ")) - 1))
        rconf = write(Path(tmp) / "report.json", {
            "database": str(Path(tmp) / "report.db"), "timezone": ZONE,
            "clickhouse": ch, "alerts": {"daily_cost_usd": 0}})
        run([BIN / "apimon-ingest", "--config", rconf, "--import",
             "/dev/null"])
        t_cha, _ = run([BIN / "apimon-aggregate", "--config", rconf, "--now",
                        now])
        new = subprocess.run([BIN / "apimon-simulate", "--days", "1",
                              "--per-day", str(NEW), "--seed", "99", "--end",
                              now], capture_output=True).stdout
        run([BIN / "apimon-ingest", "--config", iconf, "--import", "-"],
            input=new)
        t_newship, _ = run([BIN / "apimon-ship", "--config", iconf])
        t_chb, _ = run([BIN / "apimon-aggregate", "--config", rconf, "--now",
                        now])
        sconf = write(Path(tmp) / "single.json", {
            "database": str(ingest), "timezone": ZONE,
            "alerts": {"daily_cost_usd": 0}})
        t_sqa, _ = run([BIN / "apimon-aggregate", "--config", sconf, "--now",
                        now])
        chc, sqc = [], []
        for _ in range(REPEAT):
            chc.append(run([BIN / "apimon-aggregate", "--config", rconf,
                            "--now", now, "--rebuild"])[0])
            sqc.append(run([BIN / "apimon-aggregate", "--config", sconf,
                            "--now", now, "--rebuild"])[0])
            print(f"# --rebuild: ClickHouse {chc[-1]:.1f} s, SQLite "
                  f"{sqc[-1]:.1f} s", flush=True)
        t_chc, t_sqc = statistics.median(chc), statistics.median(sqc)
        h_ch, groups = rollup_hash(Path(tmp) / "report.db")
        h_sq, _ = rollup_hash(ingest)
        chbytes = sum(int(cl.query(i, f"SELECT sum(bytes_on_disk) FROM "
                                   f"system.parts WHERE database = '{DB}' "
                                   f"AND active").strip()) for i in range(2))
        mirror = sqlite3.connect(Path(tmp) / "report.db").execute(
            "SELECT COUNT(*) FROM api_requests").fetchone()[0]
        total = rows + NEW

        print(f"\nbench/clickhouse: {rows:,} rows over {DAYS} days "
              f"({ZONE}), 2 shards on this machine; "
              f"{time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}")
        print(f"  {'step':44} {'wall s':>8} {'rows/s':>11}")
        print(f"  {'apimon-ship (SQLite -> gzip -> HTTP)':44} "
              f"{t_ship:8.2f} {rows / t_ship:11,.0f}")
        print(f"  {'bare curl POST of the same rows, gzipped':44} "
              f"{t_curl:8.2f} {rows / t_curl:11,.0f}")
        print(f"  {f'apimon-ship of {NEW:,} new rows':44} "
              f"{t_newship:8.2f} {NEW / t_newship:11,.0f}")
        print(f"  ship / curl: {t_curl / t_ship:.2f} of the bare rate")
        print(f"  {'rollups':44} {'ClickHouse':>10} {'SQLite':>8}")
        print(f"  {'(a) first run, every day':44} {t_cha:10.2f} "
              f"{t_sqa:8.2f}")
        print(f"  {'(b) incremental, after the new rows':44} {t_chb:10.2f} "
              f"{'':>8}")
        print(f"  {'(c) --rebuild':44} {t_chc:10.2f} {t_sqc:8.2f}")
        print(f"  SQLite / ClickHouse (--rebuild): {t_sqc / t_chc:.2f}x")
        print(f"  rollups {'equal' if h_ch == h_sq else 'DIFFER'} "
              f"({groups:,} hourly rows; {h_ch} / {h_sq}); the reporting "
              f"host mirrors {mirror:,} raw rows")
        print(f"  on disk: SQLite {os.path.getsize(ingest) >> 20} MiB, "
              f"ClickHouse {chbytes >> 20} MiB (both shards, {total:,} rows)")
        return 0 if h_ch == h_sq else 1
    finally:
        if cl is not None:
            cl.stop_all()
        if KEEP:
            print(f"bench/clickhouse: kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
