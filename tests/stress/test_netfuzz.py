"""Network fuzz: random and malformed bytes to every module under every
model, over every transport it serves; then a correct client of each still
gets correct answers, and no worker died.

    test_netfuzz.py MODSERV_BIN MODULE_DIR [SEED] [--tls]

With --tls every service is a TLS one (stream transports only): the
hostile bytes come instead of a ClientHello, after half of one, or after a
handshake; the correct clients verify the server's certificate.
"""
import json
import os
import random
import re
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
from operator_mode import private_modules, service_user  # noqa: E402

MODSERV, MODULES = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TLS = "--tls" in sys.argv[3:]
SEEDS = [a for a in sys.argv[3:] if a != "--tls"]
SEED = int(SEEDS[0]) if SEEDS else int(time.time())
MAKE_CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                          "tls", "make_certs.sh")
CTX = None  # with --tls: the correct clients' context, trusting the test CA
ROUNDS = 60          # hostile connections per service
DEADLINE = 60        # seconds at most per model

STREAM_ONLY = {"daytime", "greet", "filexfer", "cmd", "framed"}
SERVICES = ["echo", "upper", "ident", "daytime", "greet", "filexfer", "cmd",
            "framed"]


def conf(folder, model):
    lines = []
    for name in SERVICES:
        opts = {"filexfer": 'options = { root = "files"; };',
                "cmd": 'options = { allow = [ "echo" ]; timeout = 1; };'}
        opts = opts.get(name, "")
        transports = ["tcp", "unix"] + ([] if name in STREAM_ONLY or TLS
                                        else ["udp", "unix-dgram"])
        if TLS:
            opts += (f' tls = {{ certificate = "{folder}/certs/a.pem"; '
                     f'key = "{folder}/certs/a.key"; '
                     'handshake_timeout = 2; };')
        for t in transports:
            listen = (f"{folder}/{name}-{t}.sock" if t.startswith("unix")
                      else "127.0.0.1:0")
            lines.append(f'{{ name = "{name}-{t}"; transport = "{t}"; '
                         f'listen = "{listen}"; model = "{model}"; '
                         f'module = "{name}"; idle_timeout = 2; '
                         f'max_request = 65536; {opts} }}')
    path = os.path.join(folder, "fuzz.conf")
    with open(path, "w") as f:
        f.write(f'module_path = "{private_modules(folder, MODULES)}";\n'
                'shutdown_timeout = 3;\n'
                f'user = "{service_user()}";\n'
                "services = (\n" + ",\n".join(lines) + ");\n")
    return path, len(lines)


def start(folder, model):
    path, n = conf(folder, model)
    log = open(os.path.join(folder, "modserv.log"), "a+")  # O_APPEND: our
    # seek(0) moves the offset modserv writes at too (one open file)
    p = subprocess.Popen([MODSERV, "-c", path], stderr=log)
    # every service's check and worker start at once: under a sanitizer on
    # a loaded machine that takes more than 10 s
    addrs, deadline = {}, time.time() + 60
    while len(addrs) < n and time.time() < deadline:
        log.seek(0)
        addrs = {m[0]: (m[1], m[2]) for m in re.findall(
            r"([\w-]+): listening on (\S+) (\S+)", log.read())}
        time.sleep(0.05)
    if len(addrs) != n:
        p.kill()  # never left behind holding the test's output
        p.wait()
        log.seek(0)
        raise RuntimeError("modserv did not start:\n" + log.read()[-3000:])
    return p, log, addrs


def connect(transport, addr, timeout=3):
    """A client socket; with --tls, after its handshake."""
    s = plain_connect(transport, addr, timeout)
    return CTX.wrap_socket(s, server_hostname="a.example") if TLS else s


def plain_connect(transport, addr, timeout):
    if transport.startswith("unix"):
        kind = socket.SOCK_DGRAM if transport == "unix-dgram" else \
            socket.SOCK_STREAM
        s = socket.socket(socket.AF_UNIX, kind)
        if kind == socket.SOCK_DGRAM:
            s.bind("")  # autobind: an address to be answered at
        s.settimeout(timeout)
        s.connect(addr)
        return s
    host, port = addr.rsplit(":", 1)
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(timeout)
    s.connect((host, int(port)))
    return s


def hostile(rng):
    """Bytes a broken or hostile client might send."""
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 4096))
    if kind == 1:  # a framed header that lies
        h = json.dumps({"content-length": rng.choice([-1, 10**12, "x", 5]),
                        "byteorder": 1}).encode()
        return struct.pack(">H", rng.choice([len(h), 0, 65535])) + h
    if kind == 2:  # half a frame
        return struct.pack(">H", 200) + b'{"byteorder": "lit'
    if kind == 3:  # control bytes, NULs, overlong lines
        return b"\x00\xff\r\n" * rng.randrange(1, 200) + b"A" * 70000
    if kind == 4:  # paths and commands that try to get out
        return rng.choice([b"../../etc/passwd", b"/proc/self/environ",
                           b"echo $(id); rm -rf /", b"\x00ls", b"q"])
    return b""


def half_client_hello(rng):
    """The first bytes of a real ClientHello, cut short."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).wrap_bio(
        incoming, outgoing, server_hostname="a.example")
    try:
        c.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    return hello[:rng.randrange(1, len(hello))]


def tls_attack(rng, transport, addr):
    """A socket to attack a TLS service with: the hostile bytes come in
    place of a ClientHello, after half of one, or after a handshake."""
    s = plain_connect(transport, addr, 0.5)
    kind = rng.randrange(3)
    if kind == 1:
        s.sendall(half_client_hello(rng))
    elif kind == 2:
        s = CTX.wrap_socket(s, server_hostname="a.example")
        s.sendall(hostile(rng)[:65536])
        return s, b""
    return s, hostile(rng)


def attack(rng, transport, addr, held):
    """Sends hostile bytes; the socket is closed later, with the others."""
    try:
        if TLS:
            s, data = tls_attack(rng, transport, addr)
            held.append(s)
            s.setblocking(False)
            if data:
                try:
                    s.send(data)
                except BlockingIOError:
                    pass
            return
        s = plain_connect(transport, addr, 0.5)
        data = hostile(rng)
        if transport in ("udp", "unix-dgram"):
            s.send(data[:60000])
        else:
            s.setblocking(False)
            try:
                s.send(data)
            except BlockingIOError:
                pass
            if rng.random() < 0.3:  # reset, not close
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
            elif rng.random() < 0.5:
                s.shutdown(socket.SHUT_WR)
        held.append(s)
    except OSError:
        pass


def probe(name, transport, addr):
    """A correct client's exchange with the module; True if right."""
    s = connect(transport, addr)
    try:
        if transport in ("udp", "unix-dgram"):
            s.send(b"probe")
            got = s.recv(1024)
            return {"echo": got == b"probe", "upper": got == b"PROBE",
                    "ident": got.endswith(b": probe")}[name]
        if name == "greet":
            return s.recv(100) == "你好欢迎你".encode() and \
                s.send(b"hi") and s.recv(100) == "hi好".encode()
        if name == "framed":
            h = json.dumps({"byteorder": "little", "content-type":
                            "text/plain", "content-encoding": "utf-8",
                            "content-length": 2}).encode()
            s.sendall(struct.pack(">H", len(h)) + h + b"ok")
            data = b""
            while not data.endswith(b"OK"):
                chunk = s.recv(1024)
                if not chunk:
                    return False
                data += chunk
            return True
        request = {"echo": b"probe\n", "upper": b"probe\n",
                   "ident": b"probe", "daytime": b"probe\n",
                   "filexfer": b"f.txt", "cmd": b"echo probe"}[name]
        s.sendall(request)
        got = s.recv(65536)
        return {"echo": got == b"probe\n", "upper": got == b"PROBE\n",
                "ident": got.endswith(b": probe"),
                "daytime": got.endswith(b"] probe\n"),
                "filexfer": got == b"4",
                "cmd": got.endswith(b"probe\n")}[name]
    finally:
        s.close()


def main():
    global CTX
    print(f"seed {SEED}{', TLS' if TLS else ''}")
    rng = random.Random(SEED)
    passed = failed = 0
    for model in ("thread", "fork", "select"):
        with tempfile.TemporaryDirectory() as folder:
            os.mkdir(os.path.join(folder, "files"))
            with open(os.path.join(folder, "files", "f.txt"), "w") as f:
                f.write("data")
            if TLS:
                subprocess.run(["sh", MAKE_CERTS, f"{folder}/certs"],
                               check=True)
                CTX = ssl.create_default_context(
                    cafile=f"{folder}/certs/ca.pem")
            p, log, addrs = start(folder, model)
            try:  # never left behind holding the test's output
                end = time.time() + DEADLINE
                attacks = 0
                for _ in range(ROUNDS):
                    held = []
                    for svc, (transport, addr) in addrs.items():
                        if time.time() < end:
                            attack(rng, transport, addr, held)
                            attacks += 1
                    time.sleep(0.05)  # let the server read, then all go
                    for s in held:
                        s.close()
                for svc, (transport, addr) in sorted(addrs.items()):
                    name = svc.rsplit("-", 1)[0] if not svc.endswith("-dgram") \
                        else svc[:-len("-unix-dgram")]
                    try:
                        ok = probe(name, transport, addr)
                    except OSError as e:
                        ok = False
                        print(f"  {svc}: {e}")
                    print(f"{'ok' if ok else 'FAIL'}: {svc} answers correctly "
                          f"after hostile clients, model {model}")
                    passed += bool(ok)
                    failed += not ok
            except BaseException:
                p.kill()
                p.wait()
                raise
            log.seek(0)
            text = log.read()
            died = re.findall(r".*killed by signal.*", text)
            print(f"{'ok' if not died else 'FAIL'}: no worker died under "
                  f"{attacks} hostile connections, model {model}")
            for line in died[:5]:
                print("  " + line)
            passed += not died
            failed += bool(died)
            p.terminate()
            code = p.wait(10)
            print(f"{'ok' if code == 0 else 'FAIL'}: clean stop, model "
                  f"{model}")
            passed += code == 0
            failed += code != 0
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
