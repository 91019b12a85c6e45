"""Soak: mixed clients on every transport, against upper under every model,
for SOAK_SECONDS (default 120); every reply is checked.  Reports requests,
errors and each worker's RSS at the start and the end, and fails on any
lost or wrong reply or on RSS that grew.

    soak.py MODSERV_BIN MODULE_DIR
"""
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
from operator_mode import private_modules, service_user  # noqa: E402

MODSERV, MODULES = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SECONDS = float(os.environ.get("SOAK_SECONDS", "120"))
CHECK_RSS = os.environ.get("SOAK_CHECK_RSS", "1") != "0"
TRANSPORTS = ("tcp", "udp", "unix", "unix-dgram")
MODELS = ("thread", "fork", "select")


def start(folder):
    services = []
    for t in TRANSPORTS:
        for m in MODELS:
            listen = (f"{folder}/{t}-{m}.sock" if t.startswith("unix")
                      else "127.0.0.1:0")
            services.append(f'{{ name = "{t}-{m}"; transport = "{t}"; '
                            f'listen = "{listen}"; model = "{m}"; '
                            f'module = "upper"; }}')
    conf = os.path.join(folder, "soak.conf")
    with open(conf, "w") as f:
        f.write(f'module_path = "{private_modules(folder, MODULES)}";\n'
                f'user = "{service_user()}";\n'
                "services = (\n" + ",\n".join(services) + ");\n")
    log = open(os.path.join(folder, "modserv.log"), "a+")  # O_APPEND: our
    # seek(0) moves the offset modserv writes at too (one open file)
    p = subprocess.Popen([MODSERV, "-c", conf], stderr=log)
    addrs, deadline = {}, time.time() + 60  # slow under a sanitizer
    while len(addrs) < len(services) and time.time() < deadline:
        log.seek(0)
        addrs = {a: (t, b) for a, t, b in re.findall(
            r"([\w-]+): listening on (\S+) (\S+)", log.read())}
        time.sleep(0.05)
    if len(addrs) != len(services):
        p.kill()  # never left behind holding the test's output
        p.wait()
        raise RuntimeError("modserv did not start")
    return p, log, addrs


def connect(transport, addr):
    dgram = transport in ("udp", "unix-dgram")
    kind = socket.SOCK_DGRAM if dgram else socket.SOCK_STREAM
    if transport.startswith("unix"):
        s = socket.socket(socket.AF_UNIX, kind)
        if dgram:
            s.bind("")
        target = addr
    else:
        s = socket.socket(socket.AF_INET, kind)
        host, port = addr.rsplit(":", 1)
        target = (host, int(port))
    s.settimeout(5)
    s.connect(target)
    return s


def exchange(s, dgram, msg):
    if dgram:
        s.send(msg)
        return s.recv(len(msg) + 1)
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        chunk = s.recv(len(msg) - len(got))
        if not chunk:
            break
        got += chunk
    return got


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = self.errors = 0
        self.first_error = None


def client(name, transport, addr, stats, stop, seed):
    rng = random.Random(seed)
    dgram = transport in ("udp", "unix-dgram")
    while not stop.is_set():
        try:
            s = connect(transport, addr)
            for _ in range(rng.randrange(1, 20)):  # persistent, or not
                size = rng.choice([1, 16, 64, 512, 4096,
                                   1500 if dgram else 65536])
                msg = bytes(rng.randrange(256) for _ in range(min(size, 64)))
                msg = (msg * (size // len(msg) + 1))[:size]
                ok = exchange(s, dgram, msg) == msg.upper()
                with stats.lock:
                    stats.requests += 1
                    if not ok:
                        stats.errors += 1
                        stats.first_error = stats.first_error or \
                            f"{name}: wrong reply"
            s.close()
        except OSError as e:
            with stats.lock:
                stats.errors += 1
                stats.first_error = stats.first_error or f"{name}: {e}"


def worker_rss(master):
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != master:
                continue
            with open(f"/proc/{pid}/status") as f:
                total += int(re.search(r"VmRSS:\s+(\d+)", f.read())[1])
        except (OSError, ValueError, TypeError):
            pass
    return total


def main():
    with tempfile.TemporaryDirectory() as folder:
        p, log, addrs = start(folder)
        stats, stop = Stats(), threading.Event()
        threads = [threading.Thread(target=client, args=(n, t, a, stats,
                                                         stop, i * 7 + k))
                   for i, (n, (t, a)) in enumerate(sorted(addrs.items()))
                   for k in range(2)]
        for t in threads:
            t.start()
        # warm: buffers, threads, their malloc arenas and the code pages of
        # rare paths grown (on a loaded machine that takes more than 10 s)
        time.sleep(min(30, SECONDS / 4))
        rss_start = worker_rss(p.pid)
        requests_start = stats.requests
        time.sleep(max(0, SECONDS - min(30, SECONDS / 4)))
        rss_end = worker_rss(p.pid)
        stop.set()
        for t in threads:
            t.join()
        p.terminate()
        code = p.wait(20)
        log.seek(0)
        died = re.findall(r".*killed by signal.*", log.read())
    grew = rss_end - rss_start
    print(f"soak: {SECONDS:.0f} s, {len(addrs)} services, {len(threads)} "
          f"clients: {stats.requests} requests ({stats.requests - requests_start}"
          f" after warm-up), {stats.errors} errors; workers' RSS "
          f"{rss_start} KiB after warm-up, {rss_end} KiB at the end")
    checks = [("every reply right, none lost", stats.errors == 0),
              ("no worker died", not died),
              ("RSS flat (grew at most 10% + 2 MiB)" if CHECK_RSS else
               "RSS reported, not judged (sanitizer build)",
               not CHECK_RSS or grew <= rss_start // 10 + 2048),
              ("clean stop", code == 0)]
    for what, ok in checks:
        print(f"{'ok' if ok else 'FAIL'}: {what}")
    if stats.first_error:
        print(f"  first error: {stats.first_error}")
    failed = sum(not ok for _, ok in checks)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
