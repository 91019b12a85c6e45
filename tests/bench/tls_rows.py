"""The benchmark's TLS rows (issue 17): modserv's TLS service under each
model against the same upper hand-written over OpenSSL on one epoll loop
(baseline_tls.c, the limit), and against what users deploy instead —
stunnel4 and nginx's stream module terminating TLS in front of the
plaintext C epoll baseline, CPU counted over front and backend; persistent
connections, and a new connection per request with a full or a resumed
handshake.  Their targets, and their section of docs/benchmarks.md."""
import atexit
import glob
import os
import shutil
import subprocess
import sys
import tempfile

from servers import BUILD, ROOT, Fronted, Server, baseline, free_port, \
    modserv

# the certificates make_certs.sh makes, by key type: one CA for all
CERT = {"ECDSA": "a", "RSA": "b"}  # a: ECDSA P-256, b: RSA-2048
OTHER = {"openssl": "C OpenSSL epoll",
         "nginx": "nginx-stream + C epoll",
         "stunnel": "stunnel4 + C epoll"}
NGINX_STREAM = "/usr/lib/nginx/modules/ngx_stream_module.so"


class Certs:
    """The folder of make_certs.sh's certificates, made once a run when a
    row first needs it, removed at exit."""

    def __init__(self):
        self.dir = None

    def path(self, name):
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="modserv-bench-tls.")
            atexit.register(shutil.rmtree, self.dir, True)
            subprocess.run(["sh", os.path.join(ROOT, "tests/tls/"
                                               "make_certs.sh"), self.dir],
                           check=True)
            os.chmod(self.dir, 0o755)  # a front's workers read them too
            for f in os.listdir(self.dir):
                os.chmod(os.path.join(self.dir, f), 0o644)
        return os.path.join(self.dir, name)


certs = Certs()


def pem(key):
    """(certificate, key) files of that key type."""
    base = certs.path(CERT[key])
    return base + ".pem", base + ".key"


def modserv_tls(model, folder, key):
    cert, k = pem(key)
    return modserv(model, "tcp", folder, "upper",
                   f'tls = {{ certificate = "{cert}"; key = "{k}"; }};')


def openssl_epoll(folder, key):
    return [f"{BUILD}/tests/baseline_tls", *pem(key), "127.0.0.1:0"]


def written(folder, name, text):
    """folder/name, holding text."""
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def stunnel(folder, key, backend, port):
    cert, k = pem(key)
    # errors only: every other server here logs nothing a connection
    conf = written(folder, "stunnel.conf", f"""foreground = yes
pid =
syslog = no
debug = 3
[upper]
accept = 127.0.0.1:{port}
connect = {backend}
cert = {cert}
key = {k}
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
""")
    return [shutil.which("stunnel4") or "stunnel", conf]


def nginx(folder, key, backend, port):
    cert, k = pem(key)
    # one worker, as modserv's one worker; tickets on, no session cache:
    # nginx's defaults
    conf = written(folder, "nginx.conf", f"""load_module {NGINX_STREAM};
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log stderr error;
events {{ worker_connections 4096; }}
stream {{
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {k};
    proxy_pass {backend};
  }}
}}
""")
    return ["nginx", "-e", "stderr", "-p", folder, "-c", conf]


FRONTS = {"stunnel": stunnel, "nginx": nginx}


def fronts():
    """The fronts this machine has (scripts/bench.sh installs both)."""
    have = []
    if shutil.which("stunnel4") or shutil.which("stunnel"):
        have.append("stunnel")
    if shutil.which("nginx") and glob.glob(NGINX_STREAM):
        have.append("nginx")
    return have


def fronted(folder, cpus, other, key):
    """other (stunnel, nginx) in front of the plaintext C epoll server."""
    port = free_port()
    back = Server(baseline("epoll", "tcp", folder), folder, None, cpus,
                  log="backend.log")
    return Fronted(back, lambda addr: Server(
        FRONTS[other](folder, key, addr, port), folder,
        f"127.0.0.1:{port}", cpus, log="front.log"))


def label(model, other, handshake, version, key):
    who = f"{model} TLS" if model else "C OpenSSL epoll (no modserv)"
    if handshake == "persistent":
        return f"{who} vs {OTHER[other]}"
    return f"{who} vs {OTHER[other]}, {handshake} handshakes, TLS " \
        f"{version} {key}"


class TlsPair:
    """modserv's TLS service (or, model None, the hand-written OpenSSL
    server in its place) against other: "openssl" (the hand-written
    server), "nginx" or "stunnel" (in front of the C epoll server).
    handshake: "persistent" connections, or a new one per request with a
    "full" or a "resumed" handshake; version "1.2" or "1.3" (None: what
    both agree), key "ECDSA" or "RSA"."""

    t, kind = "tcp", "tls"

    def __init__(self, model, other, s, handshake="persistent", version=None,
                 key="ECDSA", c=50):
        self.model, self.other, self.s, self.c = model, other, s, c
        self.handshake, self.version, self.key_type = handshake, version, key
        self.fresh = handshake != "persistent"
        self.label = label(model, other, handshake, version, key)

    def key(self):
        return f"{self.label} {self.t} tls c={self.c} s={self.s}"

    def pinned(self):
        return True

    def starts(self):
        def ours(folder, cpus):
            if self.model is None:
                return Server(openssl_epoll(folder, self.key_type), folder,
                              None, cpus)
            return Server(modserv_tls(self.model, folder, self.key_type),
                          folder, None, cpus)

        def theirs(folder, cpus):
            if self.other == "openssl":
                return Server(openssl_epoll(folder, self.key_type), folder,
                              None, cpus)
            return fronted(folder, cpus, self.other, self.key_type)
        return ours, theirs

    def loadgen_args(self):
        return (["-T", certs.path("ca.pem")] +
                (["-V", self.version] if self.version else []) +
                (["-r"] if self.handshake == "resumed" else []))

    def info(self):
        return {"model": self.model, "other": self.other,
                "handshake": self.handshake, "version": self.version,
                "key_type": self.key_type}


def scenarios(quick):
    pairs = []
    for model in ("select", "thread", "fork"):
        for s in (64, 16384) if model == "select" or not quick else (64,):
            pairs.append(TlsPair(model, "openssl", s))
    for version in ("1.2", "1.3"):
        for handshake in ("full", "resumed"):
            pairs.append(TlsPair("select", "openssl", 64, handshake,
                                 version))
        if version == "1.3" or not quick:
            pairs.append(TlsPair("select", "openssl", 64, "full", version,
                                 "RSA"))
    if not quick:  # resumption across a fork model's processes too
        for model in ("thread", "fork"):
            for handshake in ("full", "resumed"):
                pairs.append(TlsPair(model, "openssl", 64, handshake, "1.3"))
    have = fronts()
    for other in have:
        for s in (64,) if quick else (64, 16384):
            pairs.append(TlsPair("select", other, s))
            # the hand-written server against the same front: the ceiling
            pairs.append(TlsPair(None, other, s))
        if not quick:
            pairs.append(TlsPair("select", other, 64, "full", "1.3"))
    if len(have) < len(FRONTS):
        print("stunnel4 or nginx with libnginx-mod-stream missing "
              "(scripts/bench.sh installs them): their TLS rows are left "
              "out", file=sys.stderr)
    return pairs


def is_tls(row):
    return row["kind"] == "tls"


def pick(rows, **want):
    """The TLS rows whose fields are want's."""
    return [r for r in rows if is_tls(r) and
            all(r.get(k) == v for k, v in want.items())]


def resumed_share(r, side):
    return r[side + "resumed"] / max(r[side + "handshakes"], 1)


def speedup_target(rows, version):
    """Resumed handshakes against full ones, modserv's and the hand-written
    server's, from the same run's select rows."""
    full = pick(rows, model="select", other="openssl", handshake="full",
                version=version, key_type="ECDSA")
    res = pick(rows, model="select", other="openssl", handshake="resumed",
               version=version, key_type="ECDSA")
    if not full or not res:
        return []
    f, r = full[0], res[0]
    ours, theirs = r["mrps"] / f["mrps"], r["brps"] / f["brps"]
    shares = resumed_share(r, "m"), resumed_share(r, "b")
    return [(f"select, TLS {version} ECDSA, new conn: resumed handshakes as "
             f"much faster than full ones (req/s) as the hand-written "
             f"server's", f"{ours:.2f}× against {theirs:.2f}× (CPU/req "
             f"{f['mcpu_us'] / r['mcpu_us']:.2f}× against "
             f"{f['bcpu_us'] / r['bcpu_us']:.2f}×; resumed "
             f"{shares[0]:.0%} / {shares[1]:.0%} of handshakes)",
             ours >= theirs and shares[0] >= 0.9)]


def front_target(rows, size):
    """Against the better of stunnel and nginx (each figure against the
    better one in it), with what the hand-written server reaches."""
    ours = pick(rows, model="select", handshake="persistent", size=size)
    ours = [r for r in ours if r["other"] in FRONTS]
    if not ours:
        return []
    rps = min(r["rrps"] for r in ours)
    cpu = max(r["rcpu_us"] for r in ours)
    names = " and ".join(OTHER[r["other"]] for r in ours)
    ceiling = pick(rows, model=None, handshake="persistent", size=size)
    reach = ""
    if ceiling:
        best_rps = min(r["rrps"] for r in ceiling)
        best_cpu = max(r["rcpu_us"] for r in ceiling)
        reach = f"; the hand-written server {best_rps:.2f}×, {best_cpu:.2f}×"
    return [(f"select TLS vs the better of {names}, 50 conns, {size} B: "
             f"req/s ≥ 2×, CPU/req ≤ 0.4×", f"{rps:.2f}×, {cpu:.2f}×{reach}",
             rps >= 2 and cpu <= 0.4)]


def targets(rows):
    """(target, measured, met) for each of issue 17's targets."""
    out = []
    for r in pick(rows, model="select", other="openssl"):
        if r["handshake"] == "resumed":
            continue
        rps, cpu = r["rrps"], r["rcpu_us"]
        out.append((f"{r['label']}, 50 conns, {r['size']} B: req/s ≥ 0.95×, "
                    f"CPU/req ≤ 1.10×", f"{rps:.2f}×, {cpu:.2f}×",
                    rps >= 0.95 and cpu <= 1.10))
    for version in ("1.2", "1.3"):
        out += speedup_target(rows, version)
    for size in (64, 16384):
        out += front_target(rows, size)
    return out


def agreed(r):
    m, b = r["mtls"].replace("/", " "), r["btls"].replace("/", " ")
    return m if m == b else f"{m} / {b}"


def report(rows):
    """The TLS section of docs/benchmarks.md: its lines."""
    tls = [r for r in rows if is_tls(r)]
    if not tls:
        return []
    lines = [
        "", "## TLS", "",
        "modserv's `upper` as a TLS service (`tls = { certificate; key; }`, "
        "every other key at its default) against the same upper "
        "hand-written over OpenSSL on one epoll loop "
        "(`tests/bench/baseline_tls.c`: non-blocking handshakes, reads and "
        "writes, session tickets on with OpenSSL's own keys, no session "
        "cache, as modserv), and against what a user deploys instead: "
        "stunnel4 (`debug = 3`, TCP_NODELAY both ways) and nginx's stream "
        "module (`listen … ssl; proxy_pass`, one worker, nginx's defaults "
        "otherwise) terminating TLS in front of the plaintext C epoll "
        "server, the CPU of front and backend counted together.  The load "
        "generator speaks TLS through OpenSSL and verifies the chain: "
        "certificates by `tests/tls/make_certs.sh` (ECDSA P-256 `a.pem`, "
        "RSA-2048 `b.pem`, one CA).  *new conn* rows make a connection a "
        "request: a full handshake each, or a resumed one offering the "
        "session saved from a first connection (TLS 1.2 and TLS 1.3 "
        "tickets alike); *resumed* is the share of handshakes that "
        "resumed.  The load generator's TLS costs about as much as the "
        "server's on these cores, so CPU per request is the figure to "
        "trust.  Rows \"C OpenSSL epoll (no modserv)\" put the "
        "hand-written server in modserv's column: the ceiling of the "
        "targets against the fronts.", "",
        "| comparison | conns | bytes | agreed | req/s modserv | other | "
        "ratio | CPU µs/req modserv | other | ratio | pairs' CPU ratios | "
        "p99 µs modserv | other | resumed modserv / other | "
        "errors+timeouts modserv / other |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in tls:
        resumed = (f"{resumed_share(r, 'm'):.0%} / "
                   f"{resumed_share(r, 'b'):.0%}"
                   if r["handshake"] == "resumed" else "")
        lines.append(
            f"| {r['label']} | {r['conns']} | {r['size']} | {agreed(r)} | "
            f"{r['mrps']:.0f} | {r['brps']:.0f} | {r['rrps']:.2f} | "
            f"{r['mcpu_us']:.1f} | {r['bcpu_us']:.1f} | "
            f"{r['rcpu_us']:.2f} | {r['scpu_us'][0]:.2f}–"
            f"{r['scpu_us'][1]:.2f} | {r['mp99']:.0f} | {r['bp99']:.0f} | "
            f"{resumed} | {r['merrors'] + r['mtimeouts']:.0f} / "
            f"{r['berrors'] + r['btimeouts']:.0f} |")
    return lines
