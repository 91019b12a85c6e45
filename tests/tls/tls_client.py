#!/usr/bin/env python3
"""tls_client.py CA - a TLS client (Python's ssl, verifying against CA)
that a C test drives one line at a time over stdin, keeping sessions by
label between its commands; each answer is one line on stdout.

  connect ADDR VERSION USE SAVE
      one connection to ADDR (host:port, or a unix socket path) speaking
      TLS VERSION (1.2 or 1.3), offering the session labelled USE ("-":
      none) and keeping its session as SAVE ("-": not kept); sends a line
      and reads the line back.
      -> ok reused=0|1 ticket=0|1 cn=NAME serial=HEX reply=LINE
      -> fail REASON
  loop ADDR VERSION MAX
      new connections, one after another, until a "stop" line arrives
      (and 5 more after it) or MAX were made.
      -> done n=N failures=F cns=NAME:COUNT,... first_failure=REASON
"""
import os
import select
import socket
import ssl
import sys
import time

TIMEOUT = 10  # seconds a connection may take over each step
VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


class Lines:
    """Lines of fd 0, read without Python's buffering, so that whether one
    waits can be asked of the descriptor."""

    def __init__(self):
        self.buf = b""

    def _fill(self, timeout):
        ready, _, _ = select.select([0], [], [], timeout)
        if not ready:
            return False
        data = os.read(0, 4096)
        if not data:
            raise EOFError
        self.buf += data
        return True

    def get(self, timeout=None):
        """The next line, or None when none came within timeout."""
        while b"\n" not in self.buf:
            if not self._fill(timeout):
                return None
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


def context(ca, version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.check_hostname = False  # a.example and b.example alike
    ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
    return ctx


def raw_socket(addr):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(addr)
        return s
    host, port = addr.rsplit(":", 1)
    return socket.create_connection((host.strip("[]"), int(port)), TIMEOUT)


def common_name(cert):
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return "-"


def connect(ctxs, sessions, addr, version, use, save):
    ctx = ctxs[version]
    session = sessions.get(use) if use != "-" else None
    raw = raw_socket(addr)
    with ctx.wrap_socket(raw, session=session) as s:
        s.sendall(b"ping\n")
        reply = b""
        end = time.monotonic() + TIMEOUT
        while not reply.endswith(b"\n") and time.monotonic() < end:
            chunk = s.recv(256)
            if not chunk:
                break
            reply += chunk
        if not reply.endswith(b"\n"):
            raise OSError("no reply line: %r" % reply)
        cert = s.getpeercert()
        # read after the reply: a TLS 1.3 ticket comes after the handshake
        if save != "-":
            sessions[save] = s.session
        has_ticket = s.session is not None and s.session.has_ticket
        return "ok reused=%d ticket=%d cn=%s serial=%s reply=%s" % (
            s.session_reused, has_ticket, common_name(cert),
            cert.get("serialNumber", "-"), reply.decode().strip())


def loop(ctxs, lines, addr, version, most):
    n = failures = 0
    first_failure = "-"
    cns = {}
    after_stop = None  # connections still to make once "stop" came
    while n < most and after_stop != 0:
        if after_stop is None and lines.get(0) == "stop":
            after_stop = 5
        n += 1
        if after_stop:
            after_stop -= 1
        try:
            answer = connect(ctxs, {}, addr, version, "-", "-")
            cn = answer.split(" cn=", 1)[1].split(" ", 1)[0]
            cns[cn] = cns.get(cn, 0) + 1
        except (OSError, ssl.SSLError) as e:
            failures += 1
            if first_failure == "-":
                first_failure = str(e).replace(" ", "_") or type(e).__name__
    return "done n=%d failures=%d cns=%s first_failure=%s" % (
        n, failures, ",".join("%s:%d" % kv for kv in cns.items()) or "-",
        first_failure)


def main():
    ca = sys.argv[1]
    ctxs = {v: context(ca, v) for v in VERSIONS}
    sessions = {}
    lines = Lines()
    while True:
        try:
            line = lines.get()
        except EOFError:
            return 0
        words = line.split()
        try:
            if words[0] == "connect" and len(words) == 5:
                answer = connect(ctxs, sessions, *words[1:])
            elif words[0] == "loop" and len(words) == 4:
                answer = loop(ctxs, lines, words[1], words[2], int(words[3]))
            else:
                answer = "fail unknown command: " + line
        except (OSError, ssl.SSLError) as e:
            answer = "fail " + (str(e) or type(e).__name__)
        print(answer, flush=True)


if __name__ == "__main__":
    sys.exit(main())
