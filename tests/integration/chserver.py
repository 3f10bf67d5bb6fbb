"""Private clickhouse-server processes on 127.0.0.1 for tests and benchmarks.

    with Cluster(folder, shards=2, password="s3cret") as c:
        c.urls            # ["http://127.0.0.1:PORT", ...], one a shard
        c.query(0, "SELECT 1")
        c.stop(1); c.start(1)

Each server gets a minimal config of its own (data, tmp, logs under folder,
free ports, listen_host 127.0.0.1) and a users.xml whose default user has the
given password.  Both configs declare the cluster "apimon" with one shard a
server.  The server forks a watchdog, so the process started is not the
server: it runs with --pidfile and is stopped by the pid in that file.  Every
server is killed by stop_all() (and at exit), whatever happened.

Python 3 standard library only.
"""

import atexit
import base64
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVER = shutil.which("clickhouse-server") or "/usr/sbin/clickhouse-server"
RUNNING = set()         # Server objects started and not stopped


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (held open together, so that
    none is handed out twice)."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def _xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


class Server:
    def __init__(self, folder, name, ports, cluster_xml, password=""):
        self.dir = Path(folder) / name
        self.http, self.tcp, self.inter = ports
        self.url = f"http://127.0.0.1:{self.http}"
        self.password = password
        self.proc = None
        for sub in ("data", "tmp", "user_files", "format_schemas", "log"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        users = self.dir / "users.xml"
        users.write_text(f"""<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage>
  </default></profiles>
  <users><default>
    <password>{_xml_escape(password)}</password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota>
  </default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries>
  <errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows>
  <execution_time>0</execution_time></interval></default></quotas>
</yandex>
""")
        d = self.dir
        self.config = d / "config.xml"
        self.config.write_text(f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/log/server.log</log>
  <errorlog>{d}/log/server.err.log</errorlog><size>10M</size><count>2</count>
  </logger>
  <http_port>{self.http}</http_port>
  <tcp_port>{self.tcp}</tcp_port>
  <interserver_http_port>{self.inter}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>256</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>50</max_concurrent_queries>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mark_cache_size>67108864</mark_cache_size>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>{users}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <remote_servers>{cluster_xml}</remote_servers>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
</yandex>
""")

    def pid(self):
        try:
            return int((self.dir / "server.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def start(self, timeout=60):
        log = open(self.dir / "log" / "stdout.log", "ab")
        self.proc = subprocess.Popen(
            [SERVER, f"--config-file={self.config}",
             f"--pidfile={self.dir / 'server.pid'}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            cwd=self.dir, start_new_session=True)
        log.close()
        RUNNING.add(self)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None and self.pid() is None:
                raise RuntimeError(f"clickhouse-server {self.dir} exited "
                                   f"{self.proc.returncode}: see "
                                   f"{self.dir}/log")
            try:
                with urllib.request.urlopen(self.url + "/ping", timeout=2) as r:
                    if r.read().strip() == b"Ok.":
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"clickhouse-server {self.dir}: no /ping in "
                           f"{timeout} s")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stop the server (the pid in its pidfile) and its watchdog."""
        pids = [p for p in (self.pid(), self.proc.pid if self.proc else None)
                if p]
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + timeout
        for p in pids:
            while time.monotonic() < end:
                try:
                    os.kill(p, 0)
                except ProcessLookupError:
                    break
                if self.proc and p == self.proc.pid and \
                        self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            else:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.proc:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # The pid file would name a dead (or reused) pid next time.
        try:
            (self.dir / "server.pid").unlink()
        except FileNotFoundError:
            pass
        RUNNING.discard(self)

    def query(self, sql, data=None, timeout=120, settings=None):
        """Run sql; return the body text, or raise RuntimeError with the
        server's message."""
        q = {"query": sql, "wait_end_of_query": "1"}
        q.update(settings or {})
        url = self.url + "/?" + urllib.parse.urlencode(q)
        req = urllib.request.Request(url, data=data if data is not None
                                     else b"", method="POST")
        if self.password:
            tok = base64.b64encode(f"default:{self.password}".encode())
            req.add_header("Authorization", "Basic " + tok.decode())
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{self.url}: {e.code}: "
                               f"{e.read().decode(errors='replace')}") from None


import urllib.parse  # noqa: E402  (after the class for readability)


class Cluster:
    """n servers, each a shard of the cluster "apimon"."""

    def __init__(self, folder, shards=2, password=""):
        self.folder = Path(folder)
        ports = free_ports(3 * shards)
        xml = "<apimon>" + "".join(
            f"<shard><replica><host>127.0.0.1</host><port>{ports[3 * i + 1]}"
            f"</port><user>default</user><password>{_xml_escape(password)}"
            f"</password></replica></shard>" for i in range(shards)) + \
            "</apimon>"
        self.servers = [Server(self.folder, f"ch{i + 1}",
                               ports[3 * i:3 * i + 3], xml, password)
                        for i in range(shards)]
        self.urls = [s.url for s in self.servers]

    def __enter__(self):
        try:
            for s in self.servers:
                s.start()
        except Exception:
            self.stop_all()
            raise
        return self

    def __exit__(self, *exc):
        self.stop_all()

    def start(self, i):
        self.servers[i].start()

    def stop(self, i, sig=signal.SIGTERM):
        self.servers[i].stop(sig)

    def stop_all(self):
        for s in self.servers:
            if s in RUNNING:
                s.stop()

    def query(self, i, sql, **kw):
        return self.servers[i].query(sql, **kw)


def stop_all():
    for s in list(RUNNING):
        try:
            s.stop(signal.SIGKILL, timeout=5)
        except Exception:
            pass


atexit.register(stop_all)
