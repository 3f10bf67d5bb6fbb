#!/usr/bin/python3
"""A real SMTP server on 127.0.0.1 for the tests: Debian's aiosmtpd.

Run with /usr/bin/python3 (it needs python3-aiosmtpd).  Every message it
takes is saved as DIR/N.eml, exactly as it came, with DIR/N.json holding
the envelope (mail_from, rcpt_tos, the user that logged in).  It prints
"ready" once it listens and runs until it is killed.

  --auth USER:PASS   require AUTH PLAIN/LOGIN with these (no TLS needed)
  --tls CERT KEY     offer STARTTLS with this certificate
  --implicit         TLS from the first byte (smtps://) instead
  --refuse FILE      while FILE exists, answer DATA with 451 (try later)
"""
import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--auth")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--implicit", action="store_true")
    ap.add_argument("--refuse")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    os.makedirs(a.dir, exist_ok=True)
    lock = threading.Lock()
    count = [len([f for f in os.listdir(a.dir) if f.endswith(".eml")])]

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            if a.refuse and os.path.exists(a.refuse):
                return "451 4.3.0 try again later"
            with lock:
                count[0] += 1
                n = count[0]
            base = os.path.join(a.dir, str(n))
            with open(base + ".eml.tmp", "wb") as f:
                f.write(envelope.original_content or envelope.content)
            with open(base + ".json", "w") as f:
                json.dump({"mail_from": envelope.mail_from,
                           "rcpt_tos": envelope.rcpt_tos,
                           "login": session.auth_data
                           if session.authenticated else None,
                           # An smtps server speaks nothing but TLS.
                           "tls": session.ssl is not None or a.implicit},
                          f)
            os.rename(base + ".eml.tmp", base + ".eml")
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, data):
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, pw = a.auth.split(":", 1)
        ok = data.login.decode() == user and data.password.decode() == pw
        # handled=False: aiosmtpd answers 235 or 535 itself.
        return AuthResult(success=ok, handled=False,
                          auth_data=user if ok else None)

    kw = {}
    ctx = None
    if a.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
    if ctx is not None and a.implicit:
        kw["ssl_context"] = ctx
    elif ctx is not None:
        kw["tls_context"] = ctx
    if a.auth:
        kw.update(authenticator=authenticator, auth_required=True,
                  auth_require_tls=False)
    c = Controller(Handler(), hostname="127.0.0.1", port=a.port,
                   ready_timeout=10, **kw)
    c.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *x: stop.set())
    signal.signal(signal.SIGINT, lambda *x: stop.set())
    stop.wait()
    c.stop()


if __name__ == "__main__":
    sys.exit(main())
