#!/usr/bin/env python3
"""Alerting an on-call engineer trusts (issue 11): e-mail through a real SMTP
server, one grouped message a run, repeats, silences, budgets, anomalies,
no-data, the daily digest and history that does not page.

    python3 tests/integration/alerting.py --bin build/san/bin [-k PATTERN]...

It shares the harness of aggregate.py (Env, receivers, the summary line):
each test gets tests/out/alerting/<test>/.  Data is made to cross each rule
at a known hour and apimon-aggregate runs with --now; every expectation is
computed here.  The SMTP server is Debian's aiosmtpd, run by /usr/bin/python3
(tests/integration/smtpd.py), with and without AUTH, STARTTLS and TLS;
certificates come from openssl.  Only 127.0.0.1 is used.
"""

import email
import email.policy
import email.utils
import html as html_text
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import aggregate as A  # noqa: E402

from aggregate import (DAY, T, Failure, Receiver, capture_notifier,  # noqa
                       captured, check, deliveries_of, eq, messages, ms_of,
                       query, rec)

A.OUT = A.ROOT / "tests" / "out" / "alerting"
A.TESTS.clear()
test = A.test
HOUR = 3600_000
DAY_MS = 86400_000


def at(day, hhmm):
    return f"{day}T{hhmm}:00Z"


def day_of(k):
    """The day k days from DAY (2026-11-20)."""
    return time.strftime("%Y-%m-%d", time.gmtime(ms_of(DAY + "T00:00:00Z") /
                                                 1000 + k * 86400))


def summary_of(env, conf, now):
    return env.aggregate(conf, now=now)


def outbox(db):
    return query(db, "SELECT o.id, o.event, o.held, o.payload FROM outbox o"
                 " ORDER BY o.id")


# ---- a real SMTP server ----------------------------------------------------

class Smtp:
    """tests/integration/smtpd.py on 127.0.0.1: every message it takes is a
    file; refuse() makes it answer DATA with 451."""

    def __init__(self, env, port=None, auth=None, tls=None, implicit=False):
        self.env = env
        self.port = port or A.free_port()
        self.dir = env.dir / f"smtp-{self.port}"
        self.flag = env.dir / f"smtp-{self.port}.refuse"
        argv = ["/usr/bin/python3", str(HERE / "smtpd.py"), "--port",
                str(self.port), "--dir", str(self.dir), "--refuse",
                str(self.flag)]
        if auth:
            argv += ["--auth", auth]
        if tls:
            argv += ["--tls", str(tls[0]), str(tls[1])]
        if implicit:
            argv.append("--implicit")
        self.log = open(env.dir / "smtpd.log", "ab")
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=self.log)
        A.LIVE.add(self.p)
        r, _, _ = select.select([self.p.stdout], [], [], 20)
        line = self.p.stdout.readline() if r else b""
        if line.strip() != b"ready":
            self.stop()
            raise Failure(f"smtpd.py did not start: {line!r} (see "
                          f"{env.dir / 'smtpd.log'}; is python3-aiosmtpd "
                          "installed?)")

    def url(self, scheme="smtp"):
        return f"{scheme}://127.0.0.1:{self.port}"

    def refuse(self, on):
        if on:
            self.flag.write_text("")
        elif self.flag.exists():
            self.flag.unlink()

    def taken(self):
        """[(raw bytes, parsed message, envelope)] in the order received."""
        if not self.dir.exists():
            return []
        out = []
        for f in sorted(self.dir.glob("*.eml"), key=lambda p: int(p.stem)):
            raw = f.read_bytes()
            env = json.loads(f.with_suffix(".json").read_text())
            out.append((raw, email.message_from_bytes(
                raw, policy=email.policy.default), env))
        return out

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
        A.reap(self.p, 10)
        self.log.close()


def certificate(env):
    """A self-signed certificate for 127.0.0.1 (the client trusts it as its
    CA through ca_file)."""
    cert, key = env.dir / "cert.pem", env.dir / "key.pem"
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", str(key), "-out", str(cert),
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1"],
                       capture_output=True, timeout=60)
    eq(r.returncode, 0, f"openssl req ({r.stderr.decode()[-500:]})")
    return cert, key


def mailer(smtp, **kw):
    n = {"type": "email", "url": smtp.url(), "from": "apimon@example.org",
         "to": ["oncall@example.org", "lead@example.org"], "starttls": False}
    n.update(kw)
    return n


def check_rfc5322(raw, msg, what):
    """Headers a mail system needs, all ASCII, lines CRLF and short."""
    for h in ("Date", "From", "To", "Subject", "Message-ID"):
        check(msg[h] is not None, f"{what}: no {h} header")
    check(all(b < 0x80 for b in raw), f"{what}: 8-bit bytes in the message")
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        check(len(line) <= 998, f"{what}: header line of {len(line)} bytes")
    check(email.utils.parsedate_to_datetime(msg["Date"]) is not None,
          f"{what}: Date {msg['Date']!r}")
    check(msg["Message-ID"].startswith("<") and
          msg["Message-ID"].endswith("@example.org>"),
          f"{what}: Message-ID {msg['Message-ID']!r}")
    eq(msg.get_content_type(), "text/plain", f"{what}: content type")
    eq(msg.get_content_charset(), "utf-8", f"{what}: charset")


# ---- e-mail -----------------------------------------------------------------

@test
def test_email_is_a_real_message_critical_first_with_every_event():
    env = A.Env("test_email_is_a_real_message_critical_first_with_every_event")
    smtp = Smtp(env)
    conf = env.config(alerts={"daily_cost_usd": 10},
                      notify=[mailer(smtp)])
    env.ingest(conf, records=[rec(T, cost=11),
                              rec(T + 1, model="模型-測試", tokens_used=5)])
    s = env.aggregate(conf, now=at(DAY, "12:00"))
    eq((s["fired"], s["delivered"], s["failed"]), (3, 3, 0),
       "fired, delivered, failed")
    got = smtp.taken()
    eq(len(got), 1, "messages: one for the run's three events")
    raw, msg, envelope = got[0]
    check_rfc5322(raw, msg, "the alert e-mail")
    eq(envelope["mail_from"], "apimon@example.org", "envelope sender")
    eq(envelope["rcpt_tos"], ["oncall@example.org", "lead@example.org"],
       "envelope recipients")
    eq(msg["From"], "apimon <apimon@example.org>", "From")
    eq([a for _, a in email.utils.getaddresses([msg["To"]])],
       ["oncall@example.org", "lead@example.org"], "To")
    eq(msg["Subject"], "[CRITICAL] apimon: daily cost $11.00 is over the "
       f"$10.00 limit (all, {DAY}) and 2 more", "Subject")
    body = msg.get_content().splitlines()
    eq(body[:3], [
        f"[CRITICAL] apimon: daily cost $11.00 is over the $10.00 limit "
        f"(all, {DAY})",
        f"[CRITICAL] apimon: daily cost $11.00 is over the $10.00 limit "
        f"(source:web, {DAY})",
        '[WARNING] apimon: 1 requests for model "模型-測試" have tokens but '
        'no reported cost, and the config has no price for it '
        f'(model:模型-測試, {DAY})'], "body: critical first, whole UTF-8")
    smtp.stop()


@test
def test_email_subject_with_chinese_is_rfc2047_encoded():
    env = A.Env("test_email_subject_with_chinese_is_rfc2047_encoded")
    smtp = Smtp(env)
    conf = env.config(notify=[mailer(smtp)])
    model = "模型-" + "測試" * 30
    env.ingest(conf, records=[rec(T, model=model, tokens_used=5)])
    env.aggregate(conf, now=at(DAY, "12:00"))
    got = smtp.taken()
    eq(len(got), 1, "messages")
    raw, msg, _ = got[0]
    check_rfc5322(raw, msg, "the e-mail")
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    check("Subject: =?UTF-8?B?" in head, f"encoded Subject in {head!r}")
    for line in head.split("\r\n"):
        check(len(line) <= 78, f"header line longer than 78: {line!r}")
    subject = msg["Subject"]
    check(subject.startswith('[WARNING] apimon: 1 requests for model "模型-測試'),
          f"decoded Subject {subject!r}")
    check("\ufffd" not in subject, f"a character cut in half: {subject!r}")
    smtp.stop()


@test
def test_email_with_login_and_a_wrong_password_stays_queued_and_secret():
    env = A.Env("test_email_with_login_and_a_wrong_password_stays_queued_and_"
                "secret")
    smtp = Smtp(env, auth="apimon:s3cret-pw")
    conf = env.config(alerts={"daily_cost_usd": 10}, notify=[mailer(
        smtp, username="apimon", password="wrong-pw-123")])
    db = env.db_of(conf)
    env.ingest(conf, records=[rec(T, cost=11)])
    t0 = ms_of(at(DAY, "12:00"))
    rc, out, err = env.run("apimon-aggregate", ["--config", conf, "--now",
                                                at(DAY, "12:00")])
    eq(rc, 0, f"a refused login is a failed delivery, not a failed run "
       f"({err.strip()})")
    check("failed" in out and "2 failed" in out, f"summary {out!r}")
    check("wrong-pw-123" not in err + out, f"the password in the log: {err!r}")
    check("retry in 60 s" in err, f"log {err!r}")
    eq(smtp.taken(), [], "messages taken without a login")
    dl = deliveries_of(db)
    eq([(d["attempts"], d["delivered_ms"], d["next_ms"]) for d in dl],
       [(1, None, t0 + 60000)] * 2, "deliveries after a refused login")
    check(all("wrong-pw-123" not in (d["last_error"] or "") for d in dl),
          "the password in last_error")
    conf = env.config(alerts={"daily_cost_usd": 10}, notify=[mailer(
        smtp, username="apimon", password="s3cret-pw")])
    s = env.aggregate(conf, now=t0 + 61000)
    eq((s["delivered"], s["failed"]), (2, 0), "with the right password")
    got = smtp.taken()
    eq(len(got), 1, "messages")
    eq(got[0][2]["login"], "apimon", "the login the server saw")
    for d in deliveries_of(db):
        eq((d["attempts"], d["delivered_ms"]), (2, t0 + 61000), "delivery")
    smtp.stop()


@test
def test_email_server_down_or_refusing_keeps_events_and_sends_each_once():
    env = A.Env("test_email_server_down_or_refusing_keeps_events_and_sends_"
                "each_once")
    port = A.free_port()
    n = {"type": "email", "url": f"smtp://127.0.0.1:{port}",
         "from": "apimon@example.org", "to": ["oncall@example.org"],
         "starttls": False}
    conf = env.config(alerts={"daily_cost_usd": 10}, notify=[n])
    db = env.db_of(conf)
    env.ingest(conf, records=[rec(T, cost=11)])
    t0 = ms_of(at(DAY, "12:00"))
    s = env.aggregate(conf, now=t0)
    eq((s["fired"], s["delivered"], s["failed"]), (2, 0, 2), "server down")
    smtp = Smtp(env, port=port)
    smtp.refuse(True)
    s = env.aggregate(conf, now=t0 + 61000)
    eq((s["delivered"], s["failed"]), (2 * 0, 2), "server answers 451")
    eq(smtp.taken(), [], "messages while refusing")
    smtp.refuse(False)
    s = env.aggregate(conf, now=t0 + 61000 + 119000)
    eq((s["delivered"], s["failed"]), (0, 0), "before the backoff ends")
    s = env.aggregate(conf, now=t0 + 61000 + 120000)
    eq((s["delivered"], s["failed"]), (2, 0), "after the backoff")
    for k in range(3):
        s = env.aggregate(conf, now=t0 + (k + 1) * HOUR)
        eq(s["delivered"], 0, "later runs")
    eq(len(smtp.taken()), 1, "messages in all: exactly one")
    check(all(d["delivered_ms"] for d in deliveries_of(db)), "undelivered")
    smtp.stop()


@test
def test_email_starttls_and_smtps_with_the_config_ca_file():
    env = A.Env("test_email_starttls_and_smtps_with_the_config_ca_file")
    cert, key = certificate(env)
    plain = Smtp(env)
    tls = Smtp(env, tls=(cert, key))
    implicit = Smtp(env, tls=(cert, key), implicit=True)
    conf = env.config(alerts={"daily_cost_usd": 10}, notify=[
        mailer(plain, starttls=True, to=["a@example.org"]),
        mailer(tls, starttls=True, ca_file=str(cert), to=["b@example.org"]),
        mailer(implicit, url=implicit.url("smtps"), ca_file=str(cert),
               to=["c@example.org"])])
    db = env.db_of(conf)
    env.ingest(conf, records=[rec(T, cost=11)])
    rc, out, err = env.run("apimon-aggregate", ["--config", conf, "--now",
                                                at(DAY, "12:00")])
    eq(rc, 0, f"exit status ({err.strip()})")
    eq(plain.taken(), [], "a server without STARTTLS gets nothing in clear")
    check(f"notify email 127.0.0.1:{plain.port} #" in err,
          f"the failure names the notifier: {err!r}")
    for srv, what in ((tls, "STARTTLS"), (implicit, "smtps://")):
        got = srv.taken()
        eq(len(got), 1, f"messages over {what}")
        eq(got[0][2]["tls"], True, f"{what}: the session was encrypted")
    pending = [d for d in deliveries_of(db) if d["delivered_ms"] is None]
    eq(len(pending), 2, "the plain server's two events wait for a retry")
    for s in (plain, tls, implicit):
        s.stop()


@test
def test_config_refuses_bad_email_notifiers():
    env = A.Env("test_config_refuses_bad_email_notifiers")
    base = {"type": "email", "url": "smtp://127.0.0.1:25",
            "from": "apimon@example.org", "to": ["a@example.org"]}
    cases = [({"url": "http://mail.example.org"}, "notify[0].url"),
             ({"from": "a@b.c\r\nBcc: x@evil.example"}, "notify[0].from"),
             ({"to": ["a@example.org, b@evil.example"]}, "notify[0].to"),
             ({"to": []}, "notify[0].to"),
             ({"username": "u"}, "notify[0].password"),
             ({"starttls": "yes"}, "notify[0].starttls"),
             ({"digest": 1}, "notify[0].digest")]
    for change, where in cases:
        n = dict(base)
        n.update(change)
        conf = env.config(notify=[n])
        rc, out, err = env.run("apimon-aggregate", ["--config", conf])
        eq(rc, 2, f"exit status for {change}")
        check(where in err, f"{change}: message {err.strip()!r} names {where}")


# ---- grouping ---------------------------------------------------------------

@test
def test_one_message_a_notifier_a_run_critical_first_capped_with_and_more():
    name = "test_one_message_a_notifier_a_run_critical_first_capped_with_and_" \
           "more"
    rcv = Receiver(logfile=A.OUT / name / "http.log")
    env = A.Env(name)
    smtp = Smtp(env)
    cn, cap, _ = capture_notifier(env)
    conf = env.config(alerts={"daily_cost_usd": 1, "warn_ratio": 0.8,
                              "max_scopes": 1000},
                      notify=[{"type": "slack", "url": rcv.url("/slack")},
                              {"type": "webhook", "url": rcv.url("/hook")},
                              mailer(smtp), cn])
    # 60 sources at 90 % of the limit (warnings) queued before 100 over it.
    env.ingest(conf, records=[rec(T + k, source=f"w{k:03d}", cost=0.9)
                              for k in range(60)] +
               [rec(T + 100 + k, source=f"c{k:03d}", cost=2)
                for k in range(100)])
    s = env.aggregate(conf, now=at(DAY, "12:00"))
    n = 161                                 # "all" + 100 + 60
    eq((s["fired"], s["failed"]), (n, 0), "fired, failed")
    eq(s["delivered"], 4 * n, "deliveries")
    req = rcv.taken()
    eq(sorted(r["path"] for r in req), ["/hook", "/slack"], "requests")
    hook = json.loads(next(r for r in req if r["path"] == "/hook")["body"])
    sev = [e["severity"] for e in hook["events"]]
    eq(len(sev), n, "webhook: every event")
    eq(sev, ["critical"] * 101 + ["warning"] * 60, "webhook: critical first")
    eq(len(messages(cap)), 1, "command runs")
    eq(captured(cap), hook["events"], "the command gets what the webhook got")
    text = json.loads(next(r for r in req if r["path"] == "/slack")["body"])[
        "text"]
    lines = text.split("\n")
    check(len(text) <= 2000, f"slack text of {len(text)} characters")
    check(lines[-1].startswith("… and ") and lines[-1].endswith(" more"),
          f"last line {lines[-1]!r}")
    shown = len(lines) - 1
    eq(int(lines[-1].split()[2]), n - shown, "and N more")
    check(all(x.startswith("[CRITICAL]") for x in lines[:-1]),
          "slack: the critical ones come first")
    got = smtp.taken()
    eq(len(got), 1, "e-mails")
    body = got[0][1].get_content().rstrip("\n").split("\n")
    eq(got[0][1]["Subject"], "[CRITICAL] apimon: daily cost $254.00 is over "
       f"the $1.00 limit (all, {DAY}) and {n - 1} more", "Subject")
    eq(len([x for x in body if x.startswith("[")]), 100, "e-mail lines")
    check(f"… and {n - 100} more" in body, f"e-mail tail {body[-3:]}")
    rcv.stop()
    smtp.stop()


@test
def test_two_runs_at_once_send_a_message_once_and_a_killed_run_resends():
    """Deliveries are leased in a transaction before they are sent: a second
    apimon-aggregate at the same moment does not send them again, and a run
    killed mid-send sends them once the 2-minute lease is over."""
    env = A.Env("test_two_runs_at_once_send_a_message_once_and_a_killed_run_"
                "resends")
    cap = env.dir / "got.ndjson"
    slow = env.dir / "slow"
    slow.write_text("")
    argv = ["/bin/sh", "-c", '[ -e "$1" ] && sleep 2; cat >> "$0" && '
            'echo >> "$0"', str(cap), str(slow)]
    conf = env.config(alerts={"daily_cost_usd": 10},
                      notify=[{"type": "command", "argv": argv}])
    env.ingest(conf, records=[rec(T, cost=11)])
    ps = [env.start_aggregate(conf, at(DAY, "12:00")) for _ in range(2)]
    for p in ps:
        A.reap(p, 60)
        eq(p.returncode, 0, "exit status of a concurrent run")
    eq(len(messages(cap)), 1, "messages sent by two runs at once")
    eq(len(captured(cap)), 2, "events in it")
    # A run killed while it sends: nothing again until the lease ends.
    env.ingest(conf, records=[rec(T + 2, source="tg", cost=11)])
    p = env.start_aggregate(conf, at(DAY, "13:00"))
    deadline = time.monotonic() + 30
    db = env.db_of(conf)
    while time.monotonic() < deadline and not query(
            db, "SELECT count(*) FROM deliveries WHERE delivered_ms IS NULL"
            " AND next_ms > ?", (ms_of(at(DAY, "13:00")),))[0][0]:
        time.sleep(0.05)
    time.sleep(0.3)
    p.kill()
    A.reap(p, 10)
    slow.unlink()
    before = len(messages(cap))
    s = env.aggregate(conf, now=f"{DAY}T13:01:59Z")
    eq((s["delivered"], len(messages(cap))), (0, before), "during the lease")
    s = env.aggregate(conf, now=f"{DAY}T13:02:00Z")
    eq(s["delivered"], 1, "after the lease")
    eq([e["scope"] for e in messages(cap)[-1]["events"]], ["source:tg"],
       "the killed run's event, sent once more")


# ---- repeats ----------------------------------------------------------------

@test
def test_a_critical_alert_still_firing_is_sent_again_every_repeat_hours():
    name = "test_a_critical_alert_still_firing_is_sent_again_every_repeat_hours"
    rcv = Receiver(logfile=A.OUT / name / "http.log")
    env = A.Env(name)
    cn, cap, _ = capture_notifier(env)
    conf = env.config(alerts={"daily_cost_usd": 10, "repeat_hours": 4},
                      notify=[cn, {"type": "slack", "url": rcv.url("/s")}])
    env.ingest(conf, records=[rec(T, cost=11), rec(T + 1, source="tg",
                                                   cost=9)])
    plan = [("12:00", ["fire"] * 3), ("13:00", []), ("15:59", []),
            ("16:00", ["repeat"] * 2), ("19:59", []), ("20:00", ["repeat"] * 2)]
    for hhmm, want in plan:
        before = len(captured(cap))
        s = env.aggregate(conf, now=at(DAY, hhmm))
        got = captured(cap)[before:]
        eq([e["event"] for e in got], want, f"events sent at {hhmm}")
        if want and want[0] == "repeat":
            eq(s["repeated"], 2, f"repeated at {hhmm}")
            eq({(e["scope"], e["severity"], e["state"]) for e in got},
               {("all", "critical", "firing"),
                ("source:web", "critical", "firing")},
               f"only critical alerts repeat ({hhmm})")
            eq({e["fired"] for e in got}, {"2026-11-20T12:00:00.000Z"},
               "a repeat says when it fired")
    # The day is over: its alerts close, and nothing repeats any more.
    before = len(captured(cap))
    s = env.aggregate(conf, now=at(day_of(1), "02:00"))
    eq((s["closed"], s["repeated"]), (3, 0), "closed, repeated after midnight")
    eq(captured(cap)[before:], [], "sent after midnight")
    texts = [json.loads(r["body"])["text"] for r in rcv.taken()]
    eq(len(texts), 3, "slack messages")
    check(texts[1].startswith("[STILL CRITICAL] apimon: `daily cost $20.00"),
          f"repeat text {texts[1]!r}")
    # repeat_hours 0: never again
    conf0 = env.config(name="zero.json", db="zero.db",
                       alerts={"daily_cost_usd": 10, "repeat_hours": 0},
                       notify=[cn])
    env.ingest(conf0, records=[rec(T, cost=11)])
    before = len(captured(cap))
    for hhmm in ("12:00", "16:00", "23:59"):
        env.aggregate(conf0, now=at(DAY, hhmm))
    eq([e["event"] for e in captured(cap)[before:]], ["fire"] * 2,
       "repeat_hours 0")
    rcv.stop()


# ---- silences ---------------------------------------------------------------

@test
def test_silence_holds_back_sends_when_over_lists_and_lifts():
    env = A.Env("test_silence_holds_back_sends_when_over_lists_and_lifts")
    cn, cap, _ = capture_notifier(env)
    conf = env.config(alerts={"daily_cost_usd": 10}, notify=[cn])
    db = env.db_of(conf)
    env.ingest(conf, records=[])

    def agg(*args, now=at(DAY, "12:00")):
        return env.run("apimon-aggregate", ["--config", conf, "--now", now] +
                       list(args))

    rc, out, err = agg("--silence", "daily_cost:all", "--for", "2h",
                       "--comment", "deploy 釋出")
    eq((rc, out, err), (0, "silence 1: daily_cost:all until "
                           "2026-11-20T14:00:00.000Z\n", ""), "--silence")
    env.ingest(conf, records=[rec(T, cost=11)])
    s = env.aggregate(conf, now=at(DAY, "12:00"))
    eq((s["fired"], s["held"], s["delivered"]), (2, 1, 1),
       "fired, held back, delivered")
    eq([e["scope"] for e in captured(cap)], ["source:web"], "sent")
    eq([(r[1], r[2]) for r in outbox(db)],
       [("fire", "silenced"), ("fire", None)], "outbox (event, held)")
    rc, out, err = agg("--silences", now=at(DAY, "13:00"))
    eq((rc, out), (0, "ID\tUNTIL\tSILENCES\tCOMMENT\n1\t2026-11-20T14:00:00"
                      ".000Z\tdaily_cost:all\tdeploy 釋出\n"), "--silences")
    # The pages mark it, until when.
    rc, out, err = env.run("apimon-render", ["--config", conf, "--now",
                                             at(DAY, "13:00"), "--out",
                                             env.dir / "site"])
    eq(rc, 0, f"apimon-render ({err.strip()})")
    page = json.loads((env.dir / "site" / "data" / "dashboard.json")
                      .read_text())
    got = {a["scope"]: a.get("silenced_until") for a in page["alerts"]}
    eq(got, {"all": "2026-11-20T14:00:00.000Z", "source:web": None},
       "silenced_until in data/dashboard.json")
    html = (env.dir / "site" / "alerts.html").read_text()
    check("silenced until" in html, "the alerts page marks the silence")
    before = len(captured(cap))
    env.aggregate(conf, now=at(DAY, "13:59"))
    eq(len(captured(cap)), before, "nothing while silenced")
    s = env.aggregate(conf, now=at(DAY, "14:00"))
    eq([(e["event"], e["scope"]) for e in captured(cap)[before:]],
       [("fire", "all")], "the silence is over: the firing alert is sent")
    eq(s["held"], 0, "held after the silence")
    rc, out, err = agg("--silences", now=at(DAY, "14:00"))
    eq(out, "ID\tUNTIL\tSILENCES\tCOMMENT\n", "an ended silence is not listed")
    # A rule without a scope, any rule, sources in any case; lifting.
    rc, out, err = agg("--silence", "*:source:WEB", "--for", "1d12h")
    eq((rc, out), (0, "silence 2: *:source:web until "
                      "2026-11-22T00:00:00.000Z\n"), "any rule, one source")
    rc, out, err = agg("--unsilence", "2")
    eq((rc, out), (0, "silence 2 lifted\n"), "--unsilence")
    rc, out, err = agg("--unsilence", "2")
    eq(rc, 1, "lifting it again")
    check("no silence 2 is in force" in err, f"message {err!r}")


@test
def test_silence_commands_refuse_bad_input_with_a_clear_message():
    env = A.Env("test_silence_commands_refuse_bad_input_with_a_clear_message")
    conf = env.config()
    env.ingest(conf, records=[])
    bad = [(["--silence", "nope", "--for", "1h"], "is not a rule"),
           (["--silence", "daily_cost:bogus", "--for", "1h"], "scope"),
           (["--silence", "daily_cost:source:", "--for", "1h"], "scope"),
           (["--silence", "daily_cost", "--for", "0m"], "--for"),
           (["--silence", "daily_cost", "--for", "5x"], "--for"),
           (["--silence", "daily_cost", "--for", "400d"], "--for"),
           (["--silence", "daily_cost", "--for", "99999999999999999999w"],
            "--for"),
           (["--silence", "daily_cost", "--for", ""], "--for"),
           (["--silence", "daily_cost"], "--for"),
           (["--silence", "daily_cost", "--for", "1h", "--comment", "a\nb"],
            "--comment"),
           (["--silence", "daily_cost", "--for", "1h", "--comment", "x" * 257],
            "--comment"),
           (["--silence", "daily_cost", "--for", "1h", "--comment",
             b"\xff\xfe"], "--comment"),
           (["--unsilence", "abc"], "not a silence id"),
           (["--unsilence", "-3"], "not a silence id")]
    for args, words in bad:
        rc, out, err = env.run("apimon-aggregate", ["--config", conf] + args)
        eq(rc, 2, f"exit status of {args}")
        check(words in err, f"{args}: message {err.strip()!r}")
        eq(out, "", f"{args}: stdout")
    for args in (["--for", "1h"], ["--silences", "--rebuild"],
                 ["--silence", "x", "--silences"]):
        rc, out, err = env.run("apimon-aggregate", ["--config", conf] + args)
        eq(rc, 2, f"usage error {args}")
    eq(query(env.db_of(conf), "SELECT count(*) FROM silences"), [(0,)],
       "no silence stored")


# ---- budgets ----------------------------------------------------------------

@test
def test_daily_budgets_per_source_model_and_user():
    env = A.Env("test_daily_budgets_per_source_model_and_user")
    cn, cap, _ = capture_notifier(env)
    conf = env.config(alerts={"warn_ratio": 0.8, "budgets": [
        {"scope": "source:TG", "daily_cost_usd": 1},
        {"scope": "model:gpt-4o", "daily_cost_usd": 2},
        {"scope": "user:u1", "daily_cost_usd": 0.5},
        {"scope": "all", "daily_cost_usd": 100}]}, notify=[cn])
    env.ingest(conf, records=[
        rec(T, source="tg", model="gpt-4o", cost=1.2, user_id="u9"),
        rec(T + 1, source="web", model="gpt-4o", cost=0.5, user_id="u1"),
        rec(T + 2, source="web", model="o1", cost=0.1, user_id="u2")])
    s = env.aggregate(conf, now=at(DAY, "12:00"))
    got = {(e["rule"], e["scope"], e["severity"]): e["message"]
           for e in captured(cap)}
    eq(sorted(got), [("budget", "model:gpt-4o", "warning"),
                     ("budget", "source:tg", "critical"),
                     ("budget", "user:u1", "critical")], "events")
    eq(got[("budget", "source:tg", "critical")],
       "daily cost $1.20 is over the $1.00 budget", "source message")
    eq(got[("budget", "model:gpt-4o", "warning")],
       "daily cost $1.70 reached 80% of the $2.00 budget", "model message")
    eq(got[("budget", "user:u1", "critical")],
       "daily cost $0.50 is over the $0.50 budget", "user message")
    eq(s["fired"], 3, "fired")
    idx = "SELECT count(*) FROM sqlite_master WHERE name = " \
          "'api_requests_user_ts'"
    eq(query(env.db_of(conf), idx), [(1,)], "the user index, for user budgets")
    # A user's earlier day does not count today.
    env.ingest(conf, records=[rec(T - DAY_MS, cost=5, user_id="u2")])
    env.ingest(conf, records=[rec(T + 3, cost=0.35, user_id="u2", source="x")])
    before = len(captured(cap))
    env.aggregate(conf, now=at(DAY, "12:10"))
    eq([(e["scope"], e["severity"]) for e in captured(cap)[before:]],
       [], "u2 has no budget: nothing new")
    # Without user budgets, ingest does not pay for the index.
    conf = env.config(alerts={"budgets": [{"scope": "all",
                                           "daily_cost_usd": 100}]})
    env.aggregate(conf, now=at(DAY, "12:20"))
    eq(query(env.db_of(conf), idx), [(0,)], "no user budget, no user index")


@test
def test_config_refuses_budgets_it_cannot_keep():
    env = A.Env("test_config_refuses_budgets_it_cannot_keep")
    cases = [([{"scope": "all", "daily_cost_usd": 1},
               {"scope": "all", "monthly_cost_usd": 9}],
              "alerts.budgets[1].scope"),
             ([{"scope": "user:u1", "monthly_cost_usd": 9}],
              "alerts.budgets[0].monthly_cost_usd"),
             ([{"scope": "team:x", "daily_cost_usd": 1}],
              "alerts.budgets[0].scope"),
             ([{"scope": "all"}], "alerts.budgets[0].daily_cost_usd"),
             ([{"scope": "all", "daily_cost_usd": -1}],
              "alerts.budgets[0].daily_cost_usd"),
             ([{"scope": f"user:u{k}", "daily_cost_usd": 1}
               for k in range(1001)], "at most 1000")]
    for budgets, where in cases:
        conf = env.config(alerts={"budgets": budgets}, raw_days=30)
        rc, out, err = env.run("apimon-aggregate", ["--config", conf])
        eq(rc, 2, f"exit status for {budgets}")
        check(where in err, f"{budgets}: {err.strip()!r} names {where}")


def month_forecast(spent, week, now_ms, from_ms, end_ms, limit):
    """lib/budget.c's arithmetic: rate over the week to now, forecast to the
    month's end, the day the limit is reached."""
    rate = int(week * DAY_MS / (now_ms - from_ms))
    forecast = spent + int(rate * (end_ms - now_ms) / DAY_MS)
    reach = now_ms + int((limit - spent) * DAY_MS / rate)
    return rate, forecast, time.gmtime(reach / 1000).tm_mday


@test
def test_monthly_budget_forecast_then_over():
    env = A.Env("test_monthly_budget_forecast_then_over")
    cn, cap, _ = capture_notifier(env)
    conf = env.config(alerts={"warn_ratio": 0.9, "budgets": [
        {"scope": "all", "monthly_cost_usd": 300}]}, notify=[cn])
    # $10 on each day of November to the 20th; October does not count.
    env.ingest(conf, records=[rec(at(day_of(-k), "12:00") if k else T,
                                  cost=10) for k in range(0, 25)])
    now = at(DAY, "12:00")
    s = env.aggregate(conf, now=now)
    rate, forecast, mday = month_forecast(
        200 * 10**9, 80 * 10**9, ms_of(now), ms_of(at(day_of(-7), "00:00")),
        ms_of("2026-12-01T00:00:00Z"), 300 * 10**9)
    eq((forecast // 10**7, mday), (31199, 29), "the test's own forecast")
    ev = captured(cap)
    eq([(e["rule"], e["scope"], e["severity"]) for e in ev],
       [("monthly_budget", "all", "warning")], "events")
    eq(ev[0]["message"], "monthly cost will reach $312.00 of the $300.00 "
       "budget by the month's end: $200.00 so far; at this rate the budget "
       "runs out on Nov 29", "message")
    eq((ev[0]["value"], ev[0]["threshold"]), (200, 300), "value, threshold")
    env.ingest(conf, records=[rec(T + 1, cost=100)])
    env.aggregate(conf, now=at(DAY, "12:05"))
    ev = captured(cap)[1:]
    eq([(e["event"], e["severity"], e["message"]) for e in ev],
       [("escalate", "critical", "month-to-date cost $300.00 is over the "
         "$300.00 monthly budget")], "over the budget")
    # The next day's judgement is a new alert of the same month.
    env.aggregate(conf, now=at(day_of(1), "00:30"))
    ev = captured(cap)[2:]
    eq([(e["day"], e["severity"]) for e in ev], [(day_of(1), "critical")],
       "the next day")


# ---- anomalies and no data ---------------------------------------------------

def week_of_hours(hour, per, days=(1, 2, 3, 4, 5, 6, 7, 8), fail_every=10,
                  cost=0.01, source="web"):
    out = []
    for k in days:
        base = ms_of(at(day_of(-k), hour))
        for i in range(per):
            out.append(rec(base + i * (3600_000 // per), source=source,
                           cost=cost, status="error" if i % fail_every == 0
                           else "success"))
    return out


@test
def test_anomaly_this_hour_far_above_the_weeks_same_hour():
    env = A.Env("test_anomaly_this_hour_far_above_the_weeks_same_hour")
    cn, cap, _ = capture_notifier(env)
    conf = env.config(alerts={"anomaly_factor": 3, "anomaly_min_requests": 20,
                              "no_data_minutes": 0}, notify=[cn])
    env.ingest(conf, records=week_of_hours("10:00", 10))
    # Today 10:00-10:20: 50 requests, 5 failures: 5x requests and cost.
    base = ms_of(at(DAY, "10:00"))
    env.ingest(conf, records=[rec(base + i * 20000, cost=0.01,
                                  status="error" if i % 10 == 0 else
                                  "success") for i in range(50)])
    env.aggregate(conf, now=at(DAY, "10:20"))
    ev = captured(cap)
    eq(sorted((e["rule"], e["scope"], e["severity"]) for e in ev),
       [("anomaly", "all", "warning"), ("anomaly", "source:web", "warning")],
       "events")
    eq(ev[0]["message"], "this hour is far above the same hour of the last 7 "
       "days: 50 requests, 5.0× the usual 10; cost $0.50, 5.0× the usual "
       "$0.10", "message")
    eq((ev[0]["value"], ev[0]["threshold"]), (5, 3), "value, threshold")
    # The next hour has nothing: it resolves.
    env.aggregate(conf, now=at(DAY, "11:05"))
    eq([(e["event"], e["scope"]) for e in captured(cap)[2:]],
       [("resolve", "all"), ("resolve", "source:web")], "the next hour")
    # Below the minimum volume, or on a site younger than a week: nothing.
    conf2 = env.config(name="small.json", db="small.db",
                       alerts={"anomaly_factor": 3,
                               "anomaly_min_requests": 20,
                               "no_data_minutes": 0}, notify=[cn])
    env.ingest(conf2, records=week_of_hours("10:00", 2) +
               [rec(base + i, cost=0.01) for i in range(19)])
    conf3 = env.config(name="young.json", db="young.db",
                       alerts={"anomaly_factor": 3,
                               "anomaly_min_requests": 20,
                               "no_data_minutes": 0}, notify=[cn])
    env.ingest(conf3, records=week_of_hours("10:00", 2, days=(1, 2, 3)) +
               [rec(base + i, cost=0.01) for i in range(100)])
    before = len(captured(cap))
    for c in (conf2, conf3):
        s = env.aggregate(c, now=at(DAY, "10:30"))
        eq(s["fired"], 0, f"fired for {c}")
    eq(len(captured(cap)), before, "sent")


@test
def test_error_rate_anomaly():
    env = A.Env("test_error_rate_anomaly")
    cn, cap, _ = capture_notifier(env)
    conf = env.config(alerts={"anomaly_factor": 3, "no_data_minutes": 0},
                      notify=[cn])
    env.ingest(conf, records=week_of_hours("03:00", 40, fail_every=20))
    base = ms_of(at(DAY, "03:00"))
    env.ingest(conf, records=[rec(base + i * 1000, cost=0.01,
                                  status="error" if i % 4 == 0 else "success")
                              for i in range(40)])
    env.aggregate(conf, now=at(DAY, "03:45"))
    ev = captured(cap)
    eq(sorted(e["scope"] for e in ev), ["all", "source:web"], "scopes")
    eq(ev[0]["message"], "this hour is far above the same hour of the last 7 "
       "days: error rate 25.0%, 5.0× the usual 5.0%", "message")


@test
def test_no_data_when_the_week_had_traffic_at_this_hour():
    env = A.Env("test_no_data_when_the_week_had_traffic_at_this_hour")
    cn, cap, _ = capture_notifier(env)
    conf = env.config(alerts={"anomaly_factor": 0, "no_data_minutes": 30},
                      notify=[cn])
    env.ingest(conf, records=week_of_hours("10:00", 60) +
               week_of_hours("10:00", 2, source="quiet"))
    env.ingest(conf, records=[rec(at(DAY, "09:55"), cost=0.01)])
    s = env.aggregate(conf, now=at(DAY, "10:20"))
    eq(s["fired"], 0, "a record 25 minutes ago")
    s = env.aggregate(conf, now=at(DAY, "10:26"))
    ev = captured(cap)
    eq(sorted((e["rule"], e["scope"]) for e in ev),
       [("no_data", "all"), ("no_data", "source:web")],
       "silent for 30 minutes (the quiet source expects under 10)")
    eq(ev[0]["message"], "no record for 30 minutes; the last 7 days had 62 an "
       "hour at this time" if ev[0]["scope"] == "all" else ev[0]["message"],
       "message")
    env.ingest(conf, records=[rec(at(DAY, "10:30"), cost=0.01)])
    env.aggregate(conf, now=at(DAY, "10:31"))
    eq(sorted((e["event"], e["scope"]) for e in captured(cap)[2:]),
       [("resolve", "all"), ("resolve", "source:web")], "data is back")


# ---- the daily digest ---------------------------------------------------------

@test
def test_daily_digest_once_after_the_day_with_its_numbers_and_link():
    name = "test_daily_digest_once_after_the_day_with_its_numbers_and_link"
    rcv = Receiver(logfile=A.OUT / name / "http.log")
    env = A.Env(name)
    smtp = Smtp(env)
    cn, cap, _ = capture_notifier(env)
    cn["digest"] = True
    c = {"database": str(env.dir / "apimon.db"), "timezone": "UTC",
         "site_url": "https://apimon.example.org/ops",
         "alerts": {"daily_cost_usd": 3, "error_rate": 0,
                    "budgets": [{"scope": "all", "daily_cost_usd": 5,
                                 "monthly_cost_usd": 300}]},
         "notify": [cn, {"type": "webhook", "url": rcv.url("/hook")},
                    mailer(smtp, digest=True)],
         "prices": A.PRICES}
    conf = env.dir / "apimon.json"
    conf.write_text(json.dumps(c))
    conf = str(conf)
    y = day_of(-1)
    env.ingest(conf, records=[
        rec(at(y, "09:00"), model="gpt-4o", cost=1.5),
        rec(at(y, "09:01"), model="gpt-4o", cost=1.5),
        rec(at(y, "09:02"), model="o1", cost=1, status="error")] +
        [rec(ms_of(at(y, "10:00")) + k, model="cheap", cost=0)
         for k in range(7)])
    s = env.aggregate(conf, now=at(y, "23:00"))
    eq(s["digests"], 0, "no digest while the day is under way")
    s = env.aggregate(conf, now=at(DAY, "00:05"))
    eq(s["digests"], 1, "the digest of yesterday")
    ds = [m["digest"] for m in messages(cap) if "digest" in m]
    eq(len(ds), 1, "digests the command got")
    d = ds[0]
    eq({k: d[k] for k in ("event", "day", "requests", "failures",
                          "success_rate", "cost_usd", "daily_budget_usd",
                          "url")},
       {"event": "digest", "day": y, "requests": 10, "failures": 1,
        "success_rate": 0.9, "cost_usd": 4, "daily_budget_usd": 5,
        "url": f"https://apimon.example.org/ops/reports/daily/{y}.html"},
       "digest numbers")
    eq(d["top_model"], {"model": "gpt-4o", "requests": 2, "cost_usd": 3},
       "top model")
    eq((d["month"]["month"], d["month"]["spent_usd"],
        d["month"]["budget_usd"]), ("2026-11", 4, 300), "the month")
    eq((d["alerts"]["critical"], d["alerts"]["warning"],
        d["alerts"]["open_now"]), (2, 1, 0),
       "the day's alerts: daily cost (all, web), the budget's warning")
    eq({a["scope"] for a in d["alerts"]["list"]}, {"all", "source:web"},
       "alerts listed")
    mails = [m for _, m, _ in smtp.taken()
             if m["Subject"] == f"apimon daily digest for {y}"]
    eq(len(mails), 1, "digest e-mails")
    body = mails[0].get_content()
    for want in ("Requests: 10, 90.0% successful",
                 "Cost: $4.00 of the $5.00 daily budget",
                 "Top model: gpt-4o, $3.00 for 2 requests",
                 "Alerts: critical 2, warning 1, open now 0",
                 f"Report: https://apimon.example.org/ops/reports/daily/{y}"
                 ".html"):
        check(want in body, f"{want!r} not in the digest:\n{body}")
    hooks = [json.loads(r["body"]) for r in rcv.taken()]
    check(all("digest" not in h for h in hooks), "the webhook has no digest")
    s = env.aggregate(conf, now=at(DAY, "00:10"))
    eq(s["digests"], 0, "once a day")
    eq(len([m for m in messages(cap) if "digest" in m]), 1, "digests in all")
    # A site whose data begins today has had no day to sum up.
    c["database"] = str(env.dir / "new.db")
    Path(conf).write_text(json.dumps(c))
    env.ingest(conf, records=[rec(at(DAY, "00:01"), cost=0)])
    s = env.aggregate(conf, now=at(DAY, "00:20"))
    eq(s["digests"], 0, "a new site")
    rcv.stop()
    smtp.stop()


# ---- history does not page ----------------------------------------------------

@test
def test_importing_a_month_of_history_pages_only_for_the_last_two_days():
    env = A.Env("test_importing_a_month_of_history_pages_only_for_the_last_"
                "two_days")
    cn, cap, _ = capture_notifier(env)
    conf = env.config(alerts={"daily_cost_usd": 1}, notify=[cn])
    db = env.db_of(conf)
    env.ingest(conf, records=[rec(at(day_of(-k), "06:00"), cost=2)
                              for k in range(30)])
    s = env.aggregate(conf, now=at(DAY, "12:00"))
    eq(s["fired"], 60, "every day's alerts are recorded")
    eq(sorted({e["day"] for e in captured(cap)}),
       [day_of(-2), day_of(-1), DAY],
       "sent: days that ended less than 48 hours ago")
    held = query(db, "SELECT held, count(*) FROM outbox GROUP BY held")
    eq(dict(held), {None: 6, "old": 54}, "outbox by held")
    conf0 = env.config(name="zero.json", db="zero.db",
                       alerts={"daily_cost_usd": 1,
                               "notify_max_age_hours": 0}, notify=[cn])
    env.ingest(conf0, records=[rec(at(day_of(-k), "06:00"), cost=2)
                               for k in range(3)])
    before = len(captured(cap))
    env.aggregate(conf0, now=at(DAY, "12:00"))
    eq({e["day"] for e in captured(cap)[before:]}, {DAY},
       "notify_max_age_hours 0: today only")


@test
def test_zh_tw_email_budget_alerts_and_digest_are_chinese():
    """locale zh-TW: the new rules, the e-mail's subject (RFC 2047) and
    body, and the digest speak the catalogue's Chinese."""
    env = A.Env("test_zh_tw_email_budget_alerts_and_digest_are_chinese")
    smtp = Smtp(env)
    c = {"database": str(env.dir / "apimon.db"), "timezone": "UTC",
         "locale": "zh-TW",
         "alerts": {"daily_cost_usd": 0, "error_rate": 0,
                    "budgets": [{"scope": "user:u1", "daily_cost_usd": 1}]},
         "notify": [mailer(smtp, digest=True)], "prices": A.PRICES}
    conf = env.dir / "apimon.json"
    conf.write_text(json.dumps(c))
    y = day_of(-1)
    env.ingest(str(conf), records=[rec(at(y, "09:00"), cost=1.2, user_id="u1",
                                       model="gpt-4o")])
    env.aggregate(str(conf), now=at(y, "12:00"))
    env.aggregate(str(conf), now=at(DAY, "00:05"))
    got = smtp.taken()
    eq(len(got), 2, "e-mails: the alert, then the digest")
    raw, msg, _ = got[0]
    check_rfc5322(raw, msg, "the alert e-mail")
    eq(msg["Subject"], "[嚴重] apimon：每日費用 US$1.20 已超過 US$1.00 的預算"
       f"（使用者 u1，{y}）", "Subject")
    raw, msg, _ = got[1]
    check_rfc5322(raw, msg, "the digest")
    eq(msg["Subject"], f"apimon 每日摘要：{y}", "digest Subject")
    body = msg.get_content()
    for want in ("請求數：1，成功率 100.0%", "費用：US$1.20",
                 "費用最高的模型：gpt-4o，US$1.20，1 個請求",
                 "警示：嚴重 1，警告 0，目前未解除 0"):
        check(want in body, f"{want!r} not in the digest:\n{body}")
    smtp.stop()


@test
def test_the_dashboard_and_the_monthly_report_show_the_monthly_budget():
    env = A.Env("test_the_dashboard_and_the_monthly_report_show_the_monthly_"
                "budget")
    conf = env.config(alerts={"budgets": [
        {"scope": "all", "monthly_cost_usd": 300},
        {"scope": "source:tg", "monthly_cost_usd": 5}]})
    env.ingest(conf, records=[rec(at(day_of(-k), "12:00") if k else T,
                                  cost=10) for k in range(0, 25)] +
               [rec(T + 1, source="tg", cost=6)])
    env.aggregate(conf, now=at(DAY, "12:00"))
    site = env.dir / "site"
    rc, out, err = env.run("apimon-render", ["--config", conf, "--now",
                                             at(DAY, "12:00"), "--out", site])
    eq(rc, 0, f"apimon-render ({err.strip()})")
    page = (site / "index.html").read_text()
    sec = html_text.unescape(page.split('id="budgets"', 1)[1].split(
        "</section>", 1)[0])
    _, forecast, mday = month_forecast(
        206 * 10**9, 86 * 10**9, ms_of(at(DAY, "12:00")),
        ms_of(at(day_of(-7), "00:00")), ms_of("2026-12-01T00:00:00Z"),
        300 * 10**9)
    eq((round(forecast / 1e9, 2), mday), (326.4, 28), "the test's forecast")
    check("$206.00 of $300.00 spent" in sec, f"all's month: {sec}")
    check("on course for $326.40 by the month's end" in sec and
          "the budget runs out on Nov 28" in sec, f"forecast: {sec}")
    check('class="budget warn"' in sec and 'value="68"' in sec,
          f"all's meter: {sec}")
    check("$6.00 of $5.00 spent" in sec and "over budget" in sec,
          f"tg's month: {sec}")
    status = json.loads((site / "data" / "status.json").read_text())
    eq([(b["scope"], b["month"], b["running"], b["limit_usd"], b["spent_usd"])
        for b in status["budgets"]],
       [("all", "2026-11", True, 300, 206), ("source:tg", "2026-11", True, 5,
                                             6)], "status.json budgets")
    rep = json.loads((site / "reports" / "monthly" / "2026-11.json")
                     .read_text())
    eq([(b["scope"], b["spent_usd"]) for b in rep["budgets"]],
       [("all", 206), ("source:tg", 6)], "the monthly report's budgets")
    rhtml = (site / "reports" / "monthly" / "2026-11.html").read_text()
    check('id="budgets"' in rhtml and "$206.00 of $300.00 spent" in rhtml,
          "the monthly report shows the budget")
    # A month that is over: what it spent, against the limit.
    oct_ = json.loads((site / "reports" / "monthly" / "2026-10.json")
                      .read_text())
    eq([(b["scope"], b["running"], b["spent_usd"], b["forecast_usd"])
        for b in oct_["budgets"]],
       [("all", False, 50, 50), ("source:tg", False, 0, 0)], "October")
    check("budgets" not in json.loads(
        (site / "reports" / "daily" / f"{DAY}.json").read_text()),
        "a daily report has no monthly budget")


@test
def test_the_config_example_in_the_docs_is_valid():
    """docs/config.md's complete example (e-mail, digest, budgets) is a
    config the programs take."""
    env = A.Env("test_the_config_example_in_the_docs_is_valid")
    text = (A.ROOT / "docs" / "config.md").read_text()
    block = text.split("A complete example:", 1)[1].split("```json", 1)[1]
    c = json.loads(block.split("```", 1)[0])
    c["database"] = str(env.dir / "apimon.db")
    c["site_dir"] = str(env.dir / "site")
    conf = env.dir / "example.json"
    conf.write_text(json.dumps(c))
    env.ingest(str(conf), records=[rec(T, cost=0.01)])
    rc, out, err = env.run("apimon-aggregate", ["--config", conf,
                                                "--silences"])
    eq((rc, err), (0, ""), "apimon-aggregate --silences with the example")


if __name__ == "__main__":
    try:
        sys.exit(A.main("alerting", __doc__))
    finally:
        A.cleanup()
