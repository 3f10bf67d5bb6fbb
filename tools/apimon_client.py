"""apimon_client — log AI/LLM API calls to apimon from Python (stdlib only).

Copy this one file next to your service (or put tools/ on PYTHONPATH)::

    from apimon_client import ApimonClient

    apimon = ApimonClient("http://apimon.example.com/api/log-request",
                          token=os.environ.get("APIMON_TOKEN"), source="web")

    # 1. Measure a call: status, execution_time and error are filled in.
    with apimon.timed(command="/ask", user_id="42", model="gpt-4o-mini") as t:
        answer = call_llm(prompt)
        t.update(input_tokens=answer.usage.input, output_tokens=answer.usage.output)

    # 2. Or log what you measured yourself.
    apimon.log(status="success", execution_time=1.23, model="gpt-4o-mini",
               input_tokens=900, output_tokens=300, user_id="42")

The contract
------------
* ``log()`` is fire and forget.  It builds the record, puts it on a bounded
  in-memory queue and returns; a daemon thread posts queued records to
  apimon (several at a time, as one JSON array).  The caller never waits for
  the network and never sees an exception: when the queue is full the record
  is dropped and counted in ``stats["dropped"]``; when apimon is down, slow
  or answers an error, the records of that post are dropped and counted in
  ``stats["failed"]``.  Monitoring must never take your service down.
* ``log_sync()`` posts one record in the calling thread and returns the
  parsed JSON answer (``{"accepted": 1, "duplicates": 0, "rejected": []}``,
  or ``{"error": "...", "field": "..."}`` for a record apimon refused), or
  ``None`` when no JSON answer came back within ``timeout`` seconds
  (connection refused, timeout, not JSON).  It never raises either.
* ``timed()`` is a context manager (``with`` and ``async with``) and a
  decorator (plain and ``async def`` functions).  It measures the wall time
  of the block, logs ``status="success"``, or ``status="error"`` with the
  exception's text in ``error`` when the block raises — and then lets the
  very same exception propagate; it never swallows or replaces it.
* Every record gets a fresh ``request_id`` (``uuid4().hex``) unless you pass
  one, and a ``timestamp`` (Unix seconds) taken when ``log()`` is called, so
  a record sent late by the background thread still lands at the right time.
  apimon stores a ``request_id`` once, so a retried record is never counted
  twice.
* ``flush(timeout)`` waits until everything queued so far has been sent (or
  has failed); ``close(timeout)`` flushes and stops the thread.  At
  interpreter exit the client flushes for at most ``exit_flush`` seconds.
* Fork-safe: a child process that logs gets its own queue and thread.

Fields are those of ``POST /api/log-request`` (see docs/api.md):
``source``, ``user_id``, ``command``, ``model``, ``provider``,
``input_tokens``, ``output_tokens``, ``tokens_used``, ``cost`` (USD),
``time_to_first_token`` (s), ``error``, ``metadata`` (a dict), ``timestamp``.
A field whose value is ``None`` is left out.
"""

import atexit
import functools
import http.client
import inspect
import json
import os
import queue
import threading
import time
import urllib.parse
import uuid
import weakref

__all__ = ["ApimonClient", "STATUSES"]
__version__ = "0.1.0"

STATUSES = ("success", "error", "timeout", "rate_limited")
ERROR_MAX_CHARS = 500          # apimon rejects a longer "error"
_RETRY_AFTER_MAX_S = 2.0       # a 503 is retried once, after at most this long


def _new_id():
    return uuid.uuid4().hex


def _dumps(rec):
    # Anything JSON cannot encode (datetime, Decimal, ...) is sent as text.
    return json.dumps(rec, default=str, separators=(",", ":"),
                      ensure_ascii=False).encode()


class ApimonClient:
    """A client for one apimon endpoint; safe to share between threads.

    Make one per process and reuse it: each client owns a sending thread,
    which lives until ``close()``.

    url         the full URL of ``POST /api/log-request``
    token       sent as ``Authorization: Bearer TOKEN`` when not empty
    timeout     seconds one post may take in all (connect, send, answer;
                not the DNS lookup: use an address or /etc/hosts if DNS may hang)
    source      the default ``source`` of every record (``[a-z0-9_-]``, <= 32)
    queue_size  records waiting to be sent; beyond that ``log()`` drops
    batch_max   records sent together in one post (a JSON array)
    exit_flush  seconds to wait for queued records at interpreter exit (0: none)
    """

    def __init__(self, url="http://localhost:8001/api/log-request", token=None,
                 timeout=0.5, source="web", queue_size=1000, batch_max=100,
                 exit_flush=1.0):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"apimon url must be http:// or https://: {url!r}")
        self.url = url
        self.token = token or None
        self.timeout = float(timeout)
        self.source = source
        self.queue_size = int(queue_size)
        self.batch_max = max(1, int(batch_max))
        self.exit_flush = float(exit_flush)
        self._https = u.scheme == "https"
        self._host = u.hostname
        self._port = u.port or (443 if self._https else 80)
        self._path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        self._lock = threading.Lock()
        self._pid = None
        self._queue = None
        self._thread = None
        self._closed = False
        self._wake = threading.Event()     # ends a back-off wait early (close)
        self._backoff = 0.0                # seconds to wait before the next post
        self.stats = {"queued": 0, "sent": 0, "dropped": 0, "failed": 0,
                      "rejected": 0}
        # Flush at exit without keeping the client alive for ever.
        ref = weakref.ref(self)
        atexit.register(lambda: ref() is not None and ref()._at_exit())
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(
                after_in_child=lambda: ref() is not None and ref()._after_fork())
        # Started now, so that no log() call pays for starting a thread.
        self._ensure_worker()

    # -- building records -------------------------------------------------

    def record(self, request_id=None, status="success", execution_time=0.0,
               **fields):
        """The record ``log()`` would send, as a dict (no I/O)."""
        r = {"request_id": request_id or _new_id(),
             "source": self.source,
             "status": status,
             "execution_time": execution_time,
             "timestamp": round(time.time(), 3)}
        for k, v in fields.items():
            if v is not None:
                r[k] = v
            elif k in r and k != "request_id":
                del r[k]
        if isinstance(r.get("error"), str) and len(r["error"]) > ERROR_MAX_CHARS:
            r["error"] = r["error"][:ERROR_MAX_CHARS - 1] + "\u2026"
        return r

    # -- fire and forget --------------------------------------------------

    def log(self, request_id=None, status="success", execution_time=0.0,
            **fields):
        """Queue one record for the background thread; never blocks, never raises.

        Returns the record's request_id, or None when it was dropped (queue
        full, client closed, or a record that cannot be built).
        """
        try:
            rec = self.record(request_id, status, execution_time, **fields)
            q = self._ensure_worker()
            if q is None:
                self._count("dropped")
                return None
            # Serialized here, a few microseconds, so that the sending thread
            # never holds the GIL long while the caller waits for it.
            q.put_nowait(_dumps(rec))
            self._count("queued")
            return rec["request_id"]
        except queue.Full:
            self._count("dropped")
            return None
        except Exception:           # never let monitoring break the caller
            self._count("dropped")
            return None

    def flush(self, timeout=5.0):
        """Wait until every record queued so far is sent or has failed.

        Returns True when the queue drained within timeout seconds.
        """
        q = self._queue
        if q is None or self._pid != os.getpid():
            return True
        deadline = time.monotonic() + max(0.0, timeout)
        with q.all_tasks_done:
            while q.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                q.all_tasks_done.wait(left)
        return True

    def close(self, timeout=5.0):
        """Flush (for at most timeout seconds) and stop the background thread.

        Later ``log()`` calls drop their records.  Returns what flush returned.
        """
        ok = self.flush(timeout)
        with self._lock:
            self._closed = True
            q, t = self._queue, self._thread
        if q is not None and t is not None and t.is_alive():
            self._wake.set()
            try:
                q.put_nowait(None)
            except queue.Full:
                pass
        return ok

    # -- synchronous ------------------------------------------------------

    def log_sync(self, request_id=None, status="success", execution_time=0.0,
                 **fields):
        """Post one record now; the parsed JSON answer, or None.  Never raises.

        Takes at most about ``timeout`` seconds.  A 200 answer looks like
        ``{"accepted": 1, "duplicates": 0, "rejected": []}``; a refused record
        ``{"error": "...", "field": "..."}`` (HTTP 400).  None means apimon
        could not be reached or did not answer in time.
        """
        try:
            rec = self.record(request_id, status, execution_time, **fields)
            status_code, answer = self._post(_dumps(rec))
            return answer
        except Exception:
            return None

    # -- measuring --------------------------------------------------------

    def timed(self, request_id=None, **fields):
        """Measure a block or a function and log it when it ends.

        ``with client.timed(command="/ask", user_id=uid) as t: ...`` or
        ``@client.timed(command="/ask")``.  Inside the block, ``t.update(...)``
        adds fields learned during the call (tokens, model, cost) and
        ``t.status = "timeout"`` overrides the status of a block that ends
        normally.  An exception sets status "error" and ``error`` to its text
        and is re-raised unchanged.  As a decorator, every call is its own
        record with its own request_id.
        """
        return _Timed(self, request_id, fields)

    # -- internals --------------------------------------------------------

    def _count(self, key, n=1):
        with self._lock:
            self.stats[key] += n

    def _ensure_worker(self):
        pid = os.getpid()
        if self._pid == pid and self._thread is not None:
            return None if self._closed else self._queue
        with self._lock:
            if self._closed:
                return None
            if self._pid != pid or self._thread is None:
                # First use, or we are a forked child: the parent's thread
                # does not exist here; start afresh (the parent sends its own).
                self._pid = pid
                self._queue = queue.Queue(self.queue_size)
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,),
                    name="apimon-client", daemon=True)
                self._thread.start()
            return self._queue

    def _run(self, q):
        while True:
            item = q.get()
            if item is not None and self._backoff > 0 and not self._closed:
                # apimon failed a moment ago: do not hammer it, nor take the
                # caller's CPU.  Records wait in the queue meanwhile (and go
                # out together); log() drops what does not fit.
                self._wake.wait(self._backoff)
            batch = [] if item is None else [item]
            stop = item is None
            while not stop and len(batch) < self.batch_max:
                try:
                    nxt = q.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                else:
                    batch.append(nxt)
            try:
                if not batch:
                    pass
                elif self._closed:
                    # close() gave up waiting: what is left is dropped.
                    self._count("dropped", len(batch))
                else:
                    ok = False
                    try:
                        ok = self._send_batch(batch)
                    except Exception:
                        self._count("failed", len(batch))
                    self._backoff = 0.0 if ok else \
                        min(max(0.1, self._backoff * 2), 5.0)
            finally:
                for _ in range(len(batch) + (1 if stop else 0)):
                    q.task_done()
            if stop:
                return

    def _send_batch(self, batch):
        body = batch[0] if len(batch) == 1 else b"[" + b",".join(batch) + b"]"
        for attempt in (0, 1):
            status, answer = self._post(body)
            if status == 503 and attempt == 0:
                time.sleep(min(self._retry_after, _RETRY_AFTER_MAX_S))
                continue
            break
        if status == 200 and isinstance(answer, dict):
            rejected = len(answer.get("rejected") or [])
            self._count("sent", len(batch) - rejected)
            self._count("rejected", rejected)
            return True
        if status == 400 and len(batch) == 1 and isinstance(answer, dict) \
                and "field" in answer:
            self._count("rejected")
            return True
        self._count("failed", len(batch))
        return False

    _retry_after = 1.0

    def _post(self, body):
        """(HTTP status, parsed JSON or None); (None, None) on no answer.

        The whole exchange — connect, send, wait, read — is bounded by
        self.timeout, whatever the server does.
        """
        deadline = time.monotonic() + self.timeout
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self.timeout)
        headers = {"Content-Type": "application/json",
                   "User-Agent": f"apimon-client-python/{__version__}",
                   "Connection": "close"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            conn.connect()
            left = deadline - time.monotonic()
            if left <= 0:
                return None, None
            conn.sock.settimeout(left)
            conn.request("POST", self._path, body=body, headers=headers)
            left = deadline - time.monotonic()
            if left <= 0:
                return None, None
            conn.sock.settimeout(left)
            resp = conn.getresponse()
            left = deadline - time.monotonic()
            if left <= 0:
                return None, None
            if conn.sock is not None:
                conn.sock.settimeout(left)
            data = resp.read(1 << 20)
            if resp.status == 503:
                try:
                    self._retry_after = float(resp.getheader("Retry-After", "1"))
                except ValueError:
                    self._retry_after = 1.0
            try:
                answer = json.loads(data)
            except ValueError:
                answer = None
            return resp.status, answer
        except (OSError, http.client.HTTPException, ValueError):
            return None, None
        finally:
            conn.close()

    def _after_fork(self):
        # The parent's thread does not exist in the child, and a lock it
        # held at fork time would stay held: start afresh on the next log().
        self._lock = threading.Lock()
        self._pid = None
        self._queue = None
        self._thread = None
        self._wake = threading.Event()
        self._backoff = 0.0

    def _at_exit(self):
        if self.exit_flush > 0:
            self.flush(self.exit_flush)


class _Timed:
    """What ``ApimonClient.timed()`` returns: context manager and decorator."""

    def __init__(self, client, request_id, fields):
        self.client = client
        self.request_id = request_id or _new_id()
        self.fields = dict(fields)
        self.status = None              # None: decided when the block ends
        self.execution_time = None
        self._t0 = None

    def update(self, **fields):
        """Add or replace fields of the record (tokens, model, cost, ...)."""
        self.fields.update(fields)
        return self

    # with / async with

    def __enter__(self):
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.execution_time = max(0.0, time.perf_counter() - self._t0)
            fields = dict(self.fields)
            if exc_type is not None:
                status = "error"
                if fields.get("error") is None:
                    fields["error"] = str(exc) or exc_type.__name__
            else:
                status = self.status or fields.pop("status", None) or "success"
            fields.pop("status", None)
            self.client.log(self.request_id, status,
                            round(self.execution_time, 6), **fields)
        except Exception:
            pass
        return False                    # never swallow the caller's exception

    async def __aenter__(self):
        return self.__enter__()

    async def __aexit__(self, exc_type, exc, tb):
        return self.__exit__(exc_type, exc, tb)

    # decorator: every call gets its own timer and request_id

    def _fresh(self):
        return _Timed(self.client, None, self.fields)

    def __call__(self, fn):
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args, **kwargs):
                with self._fresh():
                    return await fn(*args, **kwargs)
            return async_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return fn(*args, **kwargs)
        return wrapper
