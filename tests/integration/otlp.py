#!/usr/bin/env python3
"""POST /v1/traces: OpenTelemetry's own exporters against the real stack.

    python3 tests/integration/otlp.py --bin build/san/bin [-k PATTERN]...

The stack is run.py's: nginx on a loopback port, spawn-fcgi, apimon-ingest
workers with sanitizers, a fresh SQLite file per class.  Spans come from the
OpenTelemetry JS SDK (@opentelemetry/sdk-trace-node) through its official
exporters, @opentelemetry/exporter-trace-otlp-http (JSON) and
@opentelemetry/exporter-trace-otlp-proto (protobuf), with and without gzip,
pinned in tests/otlp/package-lock.json (`make deps-test` installs them);
hostile bodies are built here byte by byte.  Every test reads the database
and checks what was stored, field by field, and what was not.

The last line is always "otlp: N passed, N failed".
"""

import argparse
import concurrent.futures
import gzip
import json
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import unittest
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as base                                          # noqa: E402

ROOT = base.ROOT
NODE_DIR = ROOT / "tests" / "otlp"
JSON_CT = "application/json"
PB_CT = "application/x-protobuf"


# --------------------------------------------------------------------------
# protobuf by hand: the wire format, so that bodies can be broken on purpose
# --------------------------------------------------------------------------

def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def tag(field, wt):
    return varint(field << 3 | wt)


def ld(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return tag(field, 2) + varint(len(payload)) + payload


def vi(field, n):
    return tag(field, 0) + varint(n)


def f64(field, n):
    return tag(field, 1) + struct.pack("<Q", n)


def sval(s):
    return ld(1, s)


def ival(n):
    return vi(3, n)


def dval(x):
    return tag(4, 1) + struct.pack("<d", x)


def kv(key, anyvalue):
    return ld(1, key) + ld(2, anyvalue)


def attrs_pb(d):
    out = []
    for k, v in d.items():
        if isinstance(v, bool):
            out.append(kv(k, vi(2, int(v))))
        elif isinstance(v, int):
            out.append(kv(k, ival(v)))
        elif isinstance(v, float):
            out.append(kv(k, dval(v)))
        else:
            out.append(kv(k, sval(v)))
    return out


def span_pb(trace, sid, name, start_ns, end_ns, attrs=None, status=None, raw_attrs=()):
    b = ld(1, trace) + ld(2, sid) + ld(5, name) + f64(7, start_ns) + f64(8, end_ns)
    for a in attrs_pb(attrs or {}) + list(raw_attrs):
        b += ld(9, a)
    if status:
        b += ld(15, ld(2, status[1]) + vi(3, status[0]))
    return b


def request_pb(service, spans, resource_extra=b""):
    res = ld(1, kv("service.name", sval(service))) + resource_extra
    scope = ld(1, ld(1, "hand-made") + ld(2, "1")) + b"".join(ld(2, s) for s in spans)
    return ld(1, ld(1, res) + ld(2, scope))


def parse_pb(b):
    """{field: [values]} of one message: ints for varints, bytes for the rest."""
    out, i = {}, 0
    while i < len(b):
        k, i = read_varint(b, i)
        f, wt = k >> 3, k & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        elif wt == 2:
            n, i = read_varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError(f"wire type {wt}")
        out.setdefault(f, []).append(v)
    return out


def read_varint(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def ids():
    """A fresh trace id (16 bytes) and span id (8 bytes)."""
    t = uuid.uuid4().bytes
    return t, uuid.uuid4().bytes[:8]


def rid(trace, sid):
    return trace.hex() + sid.hex()


def now_ns():
    return time.time_ns()


# --------------------------------------------------------------------------
# OTLP/JSON by hand
# --------------------------------------------------------------------------

def attrs_json(d):
    out = []
    for k, v in d.items():
        if isinstance(v, bool):
            out.append({"key": k, "value": {"boolValue": v}})
        elif isinstance(v, int):
            out.append({"key": k, "value": {"intValue": str(v)}})
        elif isinstance(v, float):
            out.append({"key": k, "value": {"doubleValue": v}})
        else:
            out.append({"key": k, "value": {"stringValue": v}})
    return out


def span_json(trace, sid, name, start_ns, end_ns, attrs=None, **extra):
    s = {"traceId": trace.hex(), "spanId": sid.hex(), "name": name, "kind": 3,
         "startTimeUnixNano": str(start_ns), "endTimeUnixNano": str(end_ns),
         "attributes": attrs_json(attrs or {})}
    s.update(extra)
    return s


def request_json(service, spans):
    return {"resourceSpans": [{
        "resource": {"attributes": attrs_json({"service.name": service})},
        "scopeSpans": [{"scope": {"name": "hand-made", "version": "1"}, "spans": spans}]}]}


GENAI = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
         "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 500}


# --------------------------------------------------------------------------
# the tests' base: posting OTLP and reading its answers
# --------------------------------------------------------------------------

class OtlpTest(base.StackTest):
    WORKERS = 1
    CONFIG = {"prices": {"gpt-4o-mini": {"input_per_mtok": 0.15, "output_per_mtok": 0.60},
                         "claude-test": {"input_per_mtok": 3.0, "output_per_mtok": 15.0}},
              "otlp": {"sources": {"billing.worker": "billing"}}}

    def otlp(self, body, ctype=JSON_CT, headers=None, gz=False, token=None, timeout=60):
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        h = dict(headers or {})
        if gz:
            body = gzip.compress(body)
            h["Content-Encoding"] = "gzip"
        return self.post(body, ctype=ctype, token=token, path="/v1/traces", headers=h,
                         timeout=timeout)

    def answer(self, r, status, enc):
        """The decoded answer of status in encoding enc: a dict."""
        ct = (r.header("content-type") or "").split(";")[0]
        want_ct = PB_CT if enc == "proto" else JSON_CT
        if r.status != status or ct != want_ct:
            self.fail(f"\n  request:  {r.req}\n  expected: {status} {want_ct}\n  actual:   "
                      f"{r.status} {ct} {base.short(r.body)}")
        if enc == "json":
            return json.loads(r.body)
        m = parse_pb(r.body)
        if status != 200:
            return {"code": m.get(1, [0])[0], "message": m.get(2, [b""])[0].decode()}
        if 1 not in m:
            return {}
        ps = parse_pb(m[1][0])
        return {"partialSuccess": {"rejectedSpans": str(ps.get(1, [0])[0]),
                                   "errorMessage": ps.get(2, [b""])[0].decode()}}

    def refused(self, r, status, enc, contains=""):
        a = self.answer(r, status, enc)
        self.assertIn("message", a, str(r))
        self.assertIn(contains, a["message"], str(r))
        if status == 503:
            self.expect_retry_after(r)
        return a["message"]

    def send(self, plan, encoding, gz=False, token=None, timeout=90):
        """Run tests/otlp/send.mjs: the JS SDK and the official exporter."""
        if not (NODE_DIR / "node_modules" / "@opentelemetry" / "exporter-trace-otlp-proto").is_dir():
            self.fail("tests/otlp/node_modules is missing: `make deps-test` runs npm ci there")
        cmd = ["node", str(NODE_DIR / "send.mjs"), "--url",
               f"http://127.0.0.1:{self.stack.http_port}/v1/traces", "--encoding", encoding]
        if gz:
            cmd.append("--gzip")
        if token:
            cmd += ["--token", token]
        p = subprocess.run(cmd, input=json.dumps(plan), capture_output=True, text=True,
                           timeout=timeout, cwd=NODE_DIR)
        if p.returncode != 0:
            self.fail(f"send.mjs exited {p.returncode}: {p.stderr[-2000:]}")
        return json.loads(p.stdout.strip().splitlines()[-1])

    def count(self):
        con = self.stack.connect()
        try:
            return con.execute("SELECT COUNT(*) FROM api_requests").fetchone()[0]
        finally:
            con.close()


# ==========================================================================
# 1. the official exporters: JSON and protobuf, with and without gzip
# ==========================================================================

class TestOfficialExporters(OtlpTest):

    def plan(self, service, t0):
        """GenAI spans in every dialect apimon reads, and plain spans."""
        return {"service": service, "resource": {"deployment.environment": "test"}, "batches": [[
            {"name": "chat gpt-4o-mini", "start": t0, "duration_ms": 1200, "attributes": {
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 900, "gen_ai.usage.output_tokens": 300,
                "gen_ai.response.time_to_first_token": 0.25, "user.id": "u-1",
                "gen_ai.response.finish_reasons": ["stop"]}},
            {"name": "chat claude-test", "start": t0 + 1000, "duration_ms": 2500,
             "status": {"code": 2, "message": "overloaded"}, "attributes": {
                 "gen_ai.system": "anthropic", "gen_ai.request.model": "claude-test",
                 "gen_ai.usage.prompt_tokens": 100, "gen_ai.usage.completion_tokens": 20,
                 "enduser.id": "e-7"}},
            {"name": "ChatCompletion", "start": t0 + 2000, "duration_ms": 300, "attributes": {
                "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini",
                "llm.provider": "openai", "llm.token_count.prompt": 10,
                "llm.token_count.completion": 5}},
            {"name": "execute_tool get_weather", "start": t0 + 3000, "duration_ms": 50,
             "attributes": {"gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": "get_weather", "error.type": "TimeoutError"}},
            {"name": "invoke_agent Planner", "start": t0 + 4000, "duration_ms": 900,
             "attributes": {"gen_ai.operation.name": "invoke_agent",
                            "gen_ai.agent.name": "Planner", "gen_ai.provider.name": "openai"},
             "children": [{"name": "chat gpt-4o-mini", "start": t0 + 4100, "duration_ms": 500,
                           "attributes": {"gen_ai.operation.name": "chat",
                                          "gen_ai.request.model": "gpt-4o-mini",
                                          "gen_ai.usage.input_tokens": 2000,
                                          "gen_ai.usage.output_tokens": 1000}},
                          {"name": "GET /weather", "start": t0 + 4200, "duration_ms": 40,
                           "attributes": {"http.request.method": "GET"}}]},
            {"name": "GET /healthz", "start": t0 + 5000, "duration_ms": 3,
             "attributes": {"http.request.method": "GET", "http.response.status_code": 200}},
        ]]}

    def check_records(self, out, service_source):
        rows = self.stack.rows([s["trace_id"] + s["span_id"] for s in out["spans"]])
        by = {s["name"]: [] for s in out["spans"]}
        for s in out["spans"]:
            by[s["name"]].append(rows.get(s["trace_id"] + s["span_id"]))
        self.assertEqual([e["code"] for e in out["exports"]], [0], out["exports"])
        # Plain spans are skipped: nothing stored for them.
        self.assertEqual(by["GET /healthz"], [None])
        self.assertEqual(by["GET /weather"], [None])
        self.assertEqual(len([r for r in rows.values() if isinstance(r, dict)]), 6)
        chat = by["chat gpt-4o-mini"]
        first = next(r for r in chat if r["latency_us"] == 1200000)
        child = next(r for r in chat if r["latency_us"] == 500000)
        t0 = self.t0
        self.assertEqual({k: first[k] for k in (
            "ts_ms", "source", "user_id", "command", "model", "provider", "status",
            "latency_us", "ttft_us", "input_tokens", "output_tokens", "tokens", "cost_nusd",
            "cost_source", "error", "metadata")}, {
            "ts_ms": t0, "source": service_source, "user_id": "u-1", "command": "chat",
            "model": "gpt-4o-mini", "provider": "openai", "status": "success",
            "latency_us": 1200000, "ttft_us": 250000, "input_tokens": 900,
            "output_tokens": 300, "tokens": 1200, "cost_nusd": 315000,
            "cost_source": "priced", "error": None, "metadata": None})
        self.assertEqual(len(first["request_id"]), 48)
        (old,) = by["chat claude-test"]
        self.assertEqual((old["ts_ms"], old["provider"], old["model"], old["user_id"],
                          old["status"], old["error"], old["input_tokens"],
                          old["output_tokens"], old["latency_us"], old["cost_nusd"],
                          old["command"]),
                         (t0 + 1000, "anthropic", "claude-test", "e-7", "error", "overloaded",
                          100, 20, 2500000, 600000, "chat claude-test"))
        (oi,) = by["ChatCompletion"]
        self.assertEqual((oi["model"], oi["provider"], oi["input_tokens"], oi["output_tokens"],
                          oi["command"], oi["cost_nusd"], oi["status"]),
                         ("gpt-4o-mini", "openai", 10, 5, "llm", 4500, "success"))
        (tool,) = by["execute_tool get_weather"]
        self.assertEqual((tool["command"], tool["status"], tool["error"], tool["model"],
                          tool["tokens"], tool["cost_source"], tool["latency_us"]),
                         ("execute_tool get_weather", "error", "TimeoutError", None, 0, "none",
                          50000))
        (agent,) = by["invoke_agent Planner"]
        self.assertEqual((agent["command"], agent["provider"], agent["status"]),
                         ("invoke_agent Planner", "openai", "success"))
        self.assertEqual((child["input_tokens"], child["output_tokens"], child["cost_nusd"],
                          child["ts_ms"]), (2000, 1000, 900000, t0 + 4100))
        for r in rows.values():
            if isinstance(r, dict):
                self.assertEqual(r["source"], service_source)

    def run_exporter(self, encoding, gz):
        self.t0 = (int(time.time()) - 3600) * 1000
        out = self.send(self.plan("Chat API.v2", self.t0), encoding, gz)
        self.check_records(out, "chat-api-v2")
        return out

    def test_json_exporter_spans_are_stored_field_by_field(self):
        self.run_exporter("json", False)

    def test_json_exporter_with_gzip(self):
        self.run_exporter("json", True)

    def test_protobuf_exporter_spans_are_stored_field_by_field(self):
        self.run_exporter("proto", False)

    def test_protobuf_exporter_with_gzip(self):
        self.run_exporter("proto", True)

    def test_service_renamed_by_config_and_unknown_service_sanitised(self):
        self.t0 = (int(time.time()) - 7200) * 1000
        out = self.send(self.plan("billing.worker", self.t0), "proto")
        self.check_records(out, "billing")

    def test_each_exporter_skips_plain_spans(self):
        plan = {"service": "svc", "batches": [[
            {"name": "chat", "attributes": GENAI},
            {"name": "GET /", "attributes": {"http.request.method": "GET"}}]]}
        for enc in ("json", "proto"):
            out = self.send(plan, enc)
            self.assertEqual([e["code"] for e in out["exports"]], [0])
            got = self.stack.rows([s["trace_id"] + s["span_id"] for s in out["spans"]])
            self.assertEqual(sorted(r["command"] for r in got.values()), ["chat"])


# ==========================================================================
# 2. answers: full and partial success, in the request's encoding
# ==========================================================================

class TestAnswers(OtlpTest):

    def test_full_success_answers_an_empty_response_in_each_encoding(self):
        t, s = ids()
        r = self.otlp(request_json("svc", [span_json(t, s, "chat", now_ns() - 10**9, now_ns(),
                                                     GENAI)]))
        self.assertEqual(self.answer(r, 200, "json"), {})
        t2, s2 = ids()
        r = self.otlp(request_pb("svc", [span_pb(t2, s2, "chat", now_ns() - 10**9, now_ns(),
                                                 GENAI)]), PB_CT)
        self.assertEqual(self.answer(r, 200, "proto"), {})
        self.assertEqual(r.body, b"")
        self.assertStored([rid(t, s), rid(t2, s2)])

    def test_partial_success_names_the_rejected_span_and_counts_the_rest(self):
        good, bad, plain = ids(), ids(), ids()
        n = now_ns()
        for enc in ("json", "proto"):
            good, bad, plain = ids(), ids(), ids()
            model = "m" * 65
            if enc == "json":
                body = request_json("svc", [
                    span_json(*good, "chat", n - 10**9, n, GENAI),
                    span_json(*bad, "chat", n - 10**9, n, {**GENAI, "gen_ai.request.model": model}),
                    span_json(*plain, "GET /", n - 10**9, n, {"http.request.method": "GET"})])
                r = self.otlp(body)
            else:
                body = request_pb("svc", [
                    span_pb(*good, "chat", n - 10**9, n, GENAI),
                    span_pb(*bad, "chat", n - 10**9, n, {**GENAI, "gen_ai.request.model": model}),
                    span_pb(*plain, "GET /", n - 10**9, n, {"http.request.method": "GET"})])
                r = self.otlp(body, PB_CT)
            a = self.answer(r, 200, enc)["partialSuccess"]
            self.assertEqual(a["rejectedSpans"], "1", str(r))
            msg = a["errorMessage"]
            for part in ("3 spans", "1 stored", "1 skipped", "1 rejected",
                         f"span {bad[1].hex()}", "gen_ai.request.model",
                         "at most 64 characters"):
                self.assertIn(part, msg)
            self.assertStored([rid(*good)])
            self.assertNotStored([rid(*bad), rid(*plain)])

    def test_only_plain_spans_is_a_warning_not_a_rejection(self):
        t, s = ids()
        r = self.otlp(request_json("svc", [span_json(t, s, "GET /", now_ns() - 10**6, now_ns(),
                                                     {"http.request.method": "GET"})]))
        a = self.answer(r, 200, "json")["partialSuccess"]
        self.assertEqual(a["rejectedSpans"], "0")
        self.assertIn("1 skipped", a["errorMessage"])
        self.assertNotStored([rid(t, s)])

    def test_a_span_twice_in_one_export_is_stored_once(self):
        t, s = ids()
        n = now_ns()
        sp = span_pb(t, s, "chat", n - 10**9, n, GENAI)
        plain = span_pb(*ids(), "GET /", n - 10**9, n, {"http.request.method": "GET"})
        a = self.answer(self.otlp(request_pb("svc", [sp, sp, plain]), PB_CT), 200, "proto")
        self.assertIn("3 spans: 1 stored, 1 duplicates, 1 skipped",
                      a["partialSuccess"]["errorMessage"])
        self.assertEqual(a["partialSuccess"]["rejectedSpans"], "0")
        self.assertEqual(self.stack.count_prefix(t.hex()), 1)

    def test_retried_export_is_stored_once_in_either_encoding(self):
        t, s = ids()
        n = now_ns()
        pb = request_pb("svc", [span_pb(t, s, "chat", n - 10**9, n, GENAI)])
        js = request_json("svc", [span_json(t, s, "chat", n - 10**9, n, GENAI)])
        js["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = t.hex().upper()
        for body, ct, enc in ((pb, PB_CT, "proto"), (pb, PB_CT, "proto"), (js, JSON_CT, "json"),
                              (pb, PB_CT, "proto")):
            self.assertEqual(self.answer(self.otlp(body, ct, gz=enc == "json"), 200, enc), {})
        self.assertEqual(self.stack.count_prefix(t.hex()), 1)

    def test_concurrent_duplicate_exports_store_each_span_once(self):
        n = now_ns()
        spans = [ids() for _ in range(50)]
        body = request_pb("svc", [span_pb(t, s, "chat", n - 10**9, n, GENAI) for t, s in spans])
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            answers = list(ex.map(lambda _: self.otlp(body, PB_CT), range(16)))
        for r in answers:
            self.assertEqual(self.answer(r, 200, "proto"), {})
        got = self.assertStored([rid(t, s) for t, s in spans])
        self.assertEqual(len(got), 50)

    def test_mapping_edge_cases(self):
        n = now_ns()
        cases = {
            # the span's name is the command when no operation is named
            "name": ({"gen_ai.request.model": "gpt-4o-mini"}, None, "command", "my span"),
            # a long exception text is cut, not a reason to lose the call
            "long error": ({**GENAI, "error.type": "E" * 600}, None, "error", None),
            # user.id wins over enduser.id
            "user": ({**GENAI, "user.id": "a", "enduser.id": "b"}, None, "user_id", "a"),
            # the server's time to first token, as an integer
            "ttft": ({**GENAI, "gen_ai.server.time_to_first_token": 2}, None, "ttft_us", 2000000),
            # invalid: the status message only
            "status": (GENAI, (2, "boom"), "error", "boom"),
            "both": ({**GENAI, "error.type": "RateLimitError"}, (2, "slow down"), "error",
                     "RateLimitError: slow down"),
        }
        for name, (attrs, status, col, want) in cases.items():
            t, s = ids()
            r = self.otlp(request_pb("svc", [span_pb(t, s, "my span", n - 10**9, n, attrs,
                                                     status)]), PB_CT)
            self.assertEqual(self.answer(r, 200, "proto"), {}, name)
            row = self.row(rid(t, s))
            if name == "long error":
                self.assertEqual(len(row["error"]), 500)
                self.assertTrue(row["error"].endswith("\u2026"))
            else:
                self.assertEqual(row[col], want, name)

    def test_spans_whose_record_is_invalid_are_rejected_with_the_attribute_named(self):
        n = now_ns()
        cases = [
            ({**GENAI, "gen_ai.usage.input_tokens": "12"}, "gen_ai.usage.input_tokens"),
            ({**GENAI, "gen_ai.usage.input_tokens": 1.5}, "gen_ai.usage.input_tokens"),
            ({**GENAI, "gen_ai.usage.input_tokens": -1}, "gen_ai.usage.input_tokens"),
            ({**GENAI, "gen_ai.request.model": 5}, "gen_ai.request.model"),
            ({**GENAI, "user.id": "u" * 129}, "user.id"),
            ({**GENAI, "gen_ai.response.time_to_first_token": -1.0},
             "gen_ai.response.time_to_first_token"),
            ({**GENAI, "gen_ai.response.time_to_first_token": float("nan")},
             "gen_ai.response.time_to_first_token"),
        ]
        for attrs, named in cases:
            t, s = ids()
            r = self.otlp(request_pb("svc", [span_pb(t, s, "chat", n - 10**9, n, attrs)]), PB_CT)
            a = self.answer(r, 200, "proto")["partialSuccess"]
            self.assertEqual(a["rejectedSpans"], "1", named)
            self.assertIn(named, a["errorMessage"])
            self.assertNotStored([rid(t, s)])
        # span-level faults: ids, times
        t, s = ids()
        for trace, sid, start, end, named in (
                (t[:15], s, n - 1, n, "traceId"), (bytes(16), s, n - 1, n, "traceId"),
                (t, s[:4], n - 1, n, "spanId"), (t, s, n, n - 1, "endTimeUnixNano"),
                (t, s, 10**9, 2 * 10**9, "startTimeUnixNano"),
                (t, s, n + 3600 * 10**9, n + 3601 * 10**9, "startTimeUnixNano"),
                (t, s, n - 90000 * 10**9, n, "endTimeUnixNano"),
                (t, s, 2**64 - 2, 2**64 - 1, "startTimeUnixNano")):
            r = self.otlp(request_pb("svc", [span_pb(trace, sid, "chat", start, end, GENAI)]),
                          PB_CT)
            a = self.answer(r, 200, "proto")["partialSuccess"]
            self.assertEqual(a["rejectedSpans"], "1", named)
            self.assertIn(named, a["errorMessage"])
        self.assertEqual(self.stack.count_prefix(t.hex()), 0)

    def test_an_attribute_apimon_reads_given_twice_rejects_the_span(self):
        t, s = ids()
        n = now_ns()
        sp = span_pb(t, s, "chat", n - 10**9, n, GENAI,
                     raw_attrs=[kv("gen_ai.request.model", sval("other"))])
        a = self.answer(self.otlp(request_pb("svc", [sp]), PB_CT), 200, "proto")
        self.assertIn("given twice", a["partialSuccess"]["errorMessage"])
        self.assertNotStored([rid(t, s)])

    def test_long_or_odd_service_names(self):
        n = now_ns()
        for service, want in (("Chat API.v2", "chat-api-v2"), ("unknown_service:node",
                                                              "unknown_service-node"),
                              ("名前", "--"), ("x" * 33, None), ("", None)):
            t, s = ids()
            r = self.otlp(request_pb(service, [span_pb(t, s, "chat", n - 10**9, n, GENAI)]), PB_CT)
            a = self.answer(r, 200, "proto")
            if want is None:
                self.assertIn("service.name", a["partialSuccess"]["errorMessage"])
                self.assertNotStored([rid(t, s)])
            else:
                self.assertEqual(a, {})
                self.assertEqual(self.row(rid(t, s))["source"], want)
        # no resource at all: OTel's own default name
        t, s = ids()
        body = ld(1, ld(2, ld(2, span_pb(t, s, "chat", n - 10**9, n, GENAI))))
        self.assertEqual(self.answer(self.otlp(body, PB_CT), 200, "proto"), {})
        self.assertEqual(self.row(rid(t, s))["source"], "unknown_service")

    def test_exactly_max_batch_genai_spans_are_stored(self):
        n = now_ns()
        spans = [ids() for _ in range(1000)]
        body = request_pb("svc", [span_pb(t, s, "chat", n - 10**9, n, GENAI) for t, s in spans])
        r = self.otlp(body, PB_CT, gz=True)
        self.assertEqual(self.answer(r, 200, "proto"), {})
        self.assertEqual(len(self.assertStored([rid(t, s) for t, s in spans])), 1000)


# ==========================================================================
# 3. bodies that are not what they claim: nothing is stored
# ==========================================================================

class TestBadBodies(OtlpTest):

    def setUp(self):
        self.before = self.count()

    def tearDown(self):
        self.assertEqual(self.count(), self.before, "a refused body stored something")

    def good_pb(self):
        n = now_ns()
        return request_pb("svc", [span_pb(*ids(), "chat", n - 10**9, n, GENAI,
                                          status=(2, "x")) for _ in range(3)])

    def test_truncated_protobuf_is_400(self):
        body = self.good_pb()
        for cut in (1, 2, 7, len(body) // 2, len(body) - 1):
            r = self.otlp(body[:cut], PB_CT)
            self.refused(r, 400, "proto", "protobuf")

    def test_wrong_wire_types_are_400(self):
        n = now_ns()
        t, s = ids()
        good = span_pb(t, s, "chat", n - 10**9, n, GENAI)
        for name, body in (
                ("resource_spans as a varint", vi(1, 5)),
                ("start time as a varint", request_pb("svc", [ld(1, t) + ld(2, s) + vi(7, n)])),
                ("trace id as fixed64", request_pb("svc", [f64(1, 5) + good])),
                ("span as fixed32", ld(1, ld(2, tag(2, 5) + b"\0\0\0\0"))),
                ("int value as length-delimited", request_pb("svc", [
                    good + ld(9, kv("gen_ai.usage.input_tokens", ld(3, b"12")))])),
                ("a group", tag(1, 3) + tag(1, 4)),
                ("status code as fixed64", request_pb("svc", [good + ld(15, f64(3, 2))])),
                ("an 11-byte varint", b"\xff" * 10 + b"\x01"),
                ("a length of 2^63", tag(1, 2) + varint(1 << 63)),
                ("a length past the end", request_pb("svc", [good])[:-1])):
            with self.subTest(name):
                self.refused(self.otlp(body, PB_CT), 400, "proto")

    def test_invalid_utf8_and_nul_in_protobuf_strings_are_400(self):
        n = now_ns()
        t, s = ids()
        for name, raw in (("value", kv("gen_ai.request.model", sval(b"gpt\xff"))),
                          ("key", kv(b"gen_ai.\xc0\xaf", sval("x"))),
                          ("surrogate", kv("user.id", sval(b"\xed\xa0\x80"))),
                          ("nul", kv("user.id", sval(b"a\x00b"))),
                          ("nested", kv("x", ld(5, sval(b"\xfe"))))):
            with self.subTest(name):
                body = request_pb("svc", [span_pb(t, s, "chat", n - 10**9, n, GENAI,
                                                  raw_attrs=[raw])])
                self.refused(self.otlp(body, PB_CT), 400, "proto")
        body = request_pb("svc", [span_pb(t, s, b"bad \xe2\x82", n - 10**9, n, GENAI)])
        self.assertIn("name", self.refused(self.otlp(body, PB_CT), 400, "proto"))

    def test_deep_protobuf_values_are_400_not_a_crash(self):
        n = now_ns()
        # Nested values are unpacked a level at a time: too deep is 400,
        # and so deep that the copies outgrow the budget is 413 first.
        for depth, status in ((33, 400), (100000, 413)):
            v = sval("x")
            for _ in range(depth):
                v = ld(5, ld(1, v))         # arrayValue { values: [v] }
            body = request_pb("svc", [span_pb(*ids(), "chat", n - 10**9, n, GENAI,
                                              raw_attrs=[kv("deep", v)])])
            self.assertLess(len(body), 1048576)
            self.refused(self.otlp(body, PB_CT, timeout=120), status, "proto",
                         "nested deeper" if status == 400 else "unpacks")
        self.expect(self.health(), 200)

    def test_json_with_wrong_types_is_400_naming_the_place(self):
        n = now_ns()
        t, s = ids()

        def body_with(**over):
            sp = span_json(t, s, "chat", n - 10**9, n, GENAI)
            sp.update(over)
            return request_json("svc", [sp])

        def attr(v):
            return body_with(attributes=[{"key": "gen_ai.usage.input_tokens", "value": v}])

        cases = [
            (body_with(traceId=5), "traceId"),
            (body_with(traceId="abc"), "traceId"),
            (body_with(spanId="zz" * 8), "spanId"),
            (body_with(startTimeUnixNano="abc"), "startTimeUnixNano"),
            (body_with(startTimeUnixNano="-5"), "startTimeUnixNano"),
            (body_with(startTimeUnixNano=1.5), "startTimeUnixNano"),
            (body_with(endTimeUnixNano="18446744073709551616"), "endTimeUnixNano"),
            (body_with(kind="SPAN_KIND_CLIENT"), "kind"),
            (body_with(name=["chat"]), "name"),
            (body_with(attributes={"gen_ai.system": "x"}), "attributes"),
            (body_with(status={"code": "STATUS_CODE_ERROR"}), "status.code"),
            (body_with(status="error"), "status"),
            (attr({"intValue": "1.5"}), "intValue"),
            (attr({"intValue": "9223372036854775808"}), "intValue"),
            (attr({"intValue": True}), "intValue"),
            (attr({"stringValue": 5}), "stringValue"),
            (attr({"stringValue": "a", "intValue": 1}), "both"),
            (attr({"boolValue": "true"}), "boolValue"),
            (attr({"doubleValue": "x"}), "doubleValue"),
            (attr({"bytesValue": "***"}), "bytesValue"),
            (attr({"arrayValue": {"values": {}}}), "values"),
            (attr({"kvlistValue": {"values": [{"key": 1}]}}), "key"),
            (attr("x"), "value"),
            ({"resourceSpans": {}}, "resourceSpans"),
            ({"resourceSpans": [{"scopeSpans": [{"spans": [5]}]}]}, "spans[0]"),
            ({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",
                                                              "value": {"stringValue": 5}}]}}]},
             "resource.attributes[0]"),
        ]
        for body, named in cases:
            with self.subTest(named):
                msg = self.refused(self.otlp(body), 400, "json")
                self.assertIn(named, msg)
        for raw in (b"[]", b"", b"{", b'{"resourceSpans":[],"resourceSpans":[]}',
                    b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"\xff"}]}]}]}',
                    b'{"a":"\\u0000"}', b"01"):
            with self.subTest(raw=raw):
                self.refused(self.otlp(raw), 400, "json")

    def test_json_that_the_exporters_send_unusual_but_valid(self):
        # numbers for times and ints, null fields, unknown fields, upper-case hex
        n = now_ns()
        t, s = ids()
        sp = span_json(t, s, "chat", n - 10**9, n, {})
        sp.update(traceId=t.hex().upper(), startTimeUnixNano=(n - 10**9) // 1000 * 1000,
                  endTimeUnixNano=n // 1000 * 1000, parentSpanId="", links=[{"x": 1}],
                  events=None, futureField={"a": [1]})
        sp["attributes"] = [{"key": "gen_ai.usage.input_tokens", "value": {"intValue": 7}},
                            {"key": "gen_ai.request.model", "value": {"stringValue": "m"}},
                            {"key": "x", "value": {"doubleValue": "NaN"}},
                            {"key": "y", "value": {}}, {"key": "z", "value": None},
                            {"key": "w", "value": {"kvlistValue": {"values": [
                                {"key": "a", "value": {"arrayValue": {"values": [
                                    {"bytesValue": "AAE="}]}}}]}}}]
        self.before += 1
        self.assertEqual(self.answer(self.otlp(request_json("svc", [sp])), 200, "json"), {})
        row = self.row(rid(t, s))
        self.assertEqual((row["input_tokens"], row["model"]), (7, "m"))

    def test_oversized_bodies_are_413(self):
        big = b"x" * (1048576 + 1)
        self.refused(self.otlp(big, PB_CT), 413, "proto")
        self.refused(self.otlp(big, JSON_CT), 413, "json")

    def test_gzip_bomb_is_413_and_bad_gzip_400(self):
        bomb = gzip.compress(b"\0" * (64 * 1048576), 9)
        self.assertLess(len(bomb), 200_000)
        r = self.otlp(bomb, PB_CT, headers={"Content-Encoding": "gzip"})
        self.refused(r, 413, "proto", "inflates")
        # A request that inflates to exactly ingest.max_body_bytes is taken,
        # one byte more is not.
        for size, status in ((1048576, 200), (1048577, 413)):
            pad = size - 8
            while len(ld(1, ld(3, b"a" * pad))) < size:
                pad += 1
            while len(ld(1, ld(3, b"a" * pad))) > size:
                pad -= 1
            plain = ld(1, ld(3, b"a" * pad))
            self.assertEqual(len(plain), size)
            r = self.otlp(gzip.compress(plain), PB_CT, headers={"Content-Encoding": "gzip"})
            if status == 200:
                self.assertEqual(self.answer(r, 200, "proto"), {})
            else:
                self.refused(r, 413, "proto", "inflates")
        good = gzip.compress(self.good_pb())
        for bad in (good[:-5], good[:10], b"not gzip", good + b"junk", good + good):
            self.refused(self.otlp(bad, PB_CT, headers={"Content-Encoding": "gzip"}), 400,
                         "proto", "gzip")

    def test_too_many_spans_is_413(self):
        n = now_ns()
        body = request_pb("svc", [span_pb(*ids(), "chat", n - 10**9, n, GENAI)
                                  for _ in range(1001)])
        self.refused(self.otlp(body, PB_CT, gz=True), 413, "proto", "max_batch")
        js = {"resourceSpans": [{"scopeSpans": [{"spans": [{}] * 1001}]}]}
        self.refused(self.otlp(js), 413, "json", "max_batch")
        # 10^5 spans: counted before any is mapped, in either encoding.
        js = {"resourceSpans": [{"scopeSpans": [{"spans": [{}] * 100000}]}]}
        self.assertLess(len(json.dumps(js)), 1048576)
        self.refused(self.otlp(js), 413, "json", "100000 spans")
        body = ld(1, ld(2, ld(2, b"") * 100000))
        self.assertLess(len(body), 1048576)
        self.refused(self.otlp(body, PB_CT), 413, "proto")
        self.expect(self.health(), 200)

    def test_a_body_that_unpacks_to_too_much_memory_is_413(self):
        # 349,000 empty attributes: 700 KB that protobuf-c would make 20 MB of
        sp = ld(1, bytes(16)) + ld(9, b"") * 349_000
        body = ld(1, ld(2, ld(2, sp)))
        self.assertLess(len(body), 1048576)
        self.refused(self.otlp(body, PB_CT), 413, "proto", "unpacks")

    def test_content_type_encoding_and_method(self):
        body = self.good_pb()
        self.refused(self.otlp(body, "text/plain"), 415, "json")
        self.refused(self.otlp(body, None), 415, "json")
        self.refused(self.otlp(body, PB_CT, headers={"Content-Encoding": "br"}), 415, "proto")
        r = self.stack.request("GET", "/v1/traces")
        self.refused(r, 405, "json")
        self.assertEqual(r.header("allow"), "POST")
        self.assertEqual(self.post(b"{}", path="/v1/metrics").status, 404)


class TestToken(OtlpTest):
    CONFIG = {**OtlpTest.CONFIG, "ingest": {"token": "s3cret"}}

    def test_a_missing_or_wrong_token_is_401_in_the_request_encoding(self):
        n = now_ns()
        t, s = ids()
        body = request_pb("svc", [span_pb(t, s, "chat", n - 10**9, n, GENAI)])
        r = self.otlp(body, PB_CT)
        self.refused(r, 401, "proto", "token")
        self.assertEqual(r.header("www-authenticate"), "Bearer")
        self.refused(self.otlp(request_json("svc", []), token="nope"), 401, "json")
        self.assertNotStored([rid(t, s)])
        self.assertEqual(self.answer(self.otlp(body, PB_CT, token="s3cret"), 200, "proto"), {})
        self.assertStored([rid(t, s)])
        # No log of the stack holds the token.
        for f in self.stack.dir.glob("*.log"):
            self.assertNotIn(b"s3cret", f.read_bytes(), f)

    def test_the_exporters_send_the_token(self):
        plan = {"service": "svc", "batches": [[{"name": "chat", "attributes": GENAI}]]}
        for enc in ("json", "proto"):
            out = self.send(plan, enc, token="s3cret")
            self.assertEqual([e["code"] for e in out["exports"]], [0])
            self.assertStored([s["trace_id"] + s["span_id"] for s in out["spans"]])
            out = self.send(plan, enc, token="wrong")
            self.assertEqual([e["code"] for e in out["exports"]], [1])
            self.assertNotStored([s["trace_id"] + s["span_id"] for s in out["spans"]])


# ==========================================================================
# 4. a locked database: 503 with Retry-After, and the exporter retries
# ==========================================================================

class TestLockedDatabase(OtlpTest):

    def test_a_503_with_retry_after_in_each_encoding_while_the_lock_is_held(self):
        self.expect(self.health(), 200)
        n = now_ns()
        t, s = ids()
        pb = request_pb("svc", [span_pb(t, s, "chat", n - 10**9, n, GENAI)])
        js = request_json("svc", [span_json(t, s, "chat", n - 10**9, n, GENAI)])
        con = sqlite3.connect(str(self.stack.db), timeout=10, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            t0 = time.monotonic()
            self.refused(self.otlp(pb, PB_CT), 503, "proto", "busy")
            self.refused(self.otlp(js), 503, "json", "busy")
            self.assertLess(time.monotonic() - t0, 8)
            con.execute("COMMIT")
        finally:
            con.close()
        self.assertNotStored([rid(t, s)])
        self.assertEqual(self.answer(self.otlp(pb, PB_CT), 200, "proto"), {})
        self.assertStored([rid(t, s)])

    def test_the_official_exporter_retries_a_503_until_the_lock_is_released(self):
        self.expect(self.health(), 200)
        plan = {"service": "svc", "batches": [[{"name": "chat", "attributes": GENAI}]]}
        con = sqlite3.connect(str(self.stack.db), timeout=10, isolation_level=None,
                              check_same_thread=False)
        con.execute("BEGIN IMMEDIATE")
        timer = threading.Timer(3.0, lambda: (con.execute("COMMIT"), con.close()))
        timer.start()
        try:
            out = self.send(plan, "proto")
        finally:
            timer.join()
        self.assertEqual([e["code"] for e in out["exports"]], [0], out)
        self.assertStored([s["trace_id"] + s["span_id"] for s in out["spans"]])
        log = (self.stack.dir / "access.log").read_text()
        self.assertIn('"POST /v1/traces HTTP/1.1" 503', log)


CLASSES = [TestOfficialExporters, TestAnswers, TestBadBodies, TestToken, TestLockedDatabase]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="directory holding apimon-ingest")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN")
    args = ap.parse_args()
    base.BIN = Path(args.bin).resolve()
    base.OUT = ROOT / "tests" / "out" / "otlp"
    base.OUT.mkdir(parents=True, exist_ok=True)
    base.CLASSES = CLASSES
    missing = [t for t in ("nginx", "spawn-fcgi", "node") if shutil.which(t) is None]
    if not os.access(base.BIN / "apimon-ingest", os.X_OK) or missing:
        print(f"otlp: missing {missing or base.BIN / 'apimon-ingest'}")
        print("otlp: 0 passed, 1 failed")
        return 1
    base.SUBREAPER = base.become_subreaper()
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    watchdog = threading.Timer(base.RUN_DEADLINE, base.emergency_stop)
    watchdog.daemon = True
    watchdog.start()
    suite, planned = base.select(args.k)
    print(f"otlp: {len(planned)} tests, binaries from {base.BIN}, output in {base.OUT}")
    t0 = time.monotonic()
    result = None
    try:
        result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                         resultclass=base.Result).run(suite)
    except KeyboardInterrupt:
        pass
    finally:
        watchdog.cancel()
        base.emergency_stop()
    if result is None:
        print(f"otlp: 0 passed, {len(planned)} failed")
        return 1
    bad = {getattr(t, "test_case", t).id() for t, _ in result.failures + result.errors
           if isinstance(t, unittest.TestCase)}
    not_run = [t for t in planned if t not in result.started]
    teardown = [e for e in result.class_errors if "tearDownClass" in e]
    passed = len([t for t in planned if t in result.started and t not in bad])
    failed = len(bad) + len(not_run) + len(teardown)
    if not_run:
        print(f"not run (class setup failed): {', '.join(not_run)}")
    if teardown:
        print(f"class teardown failures: {', '.join(teardown)}")
    print(f"otlp: {time.monotonic() - t0:.0f}s")
    print(f"otlp: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
