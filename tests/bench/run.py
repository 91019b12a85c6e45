"""The benchmark: modserv's models against hand-written baselines of the
same model and against Python's socketserver, interleaved (A B A B ...) so
drift cancels; requests/s, latency, server CPU per request (from /proc)
and peak RSS; writes docs/benchmarks.md with the table and a chart.  The
TLS rows are tls_rows.py's.

    python3 tests/bench/run.py [--quick] [--seconds S] [--repeat N]
"""
import argparse
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import tls_rows
from servers import (BUILD, INETD_ADDR, ROOT, TICK, Server, baseline,
                     children_of, inetd, inetd_usable, modserv, peer,
                     pinner, vm_rss)


def build():
    subprocess.run(["cmake", "-S", ROOT, "-B", BUILD,
                    "-DCMAKE_BUILD_TYPE=Release"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", BUILD, "-j", str(os.cpu_count()),
                    "--target", "modserv", "upper", "echo", "loadgen",
                    "baseline", "baseline_tls"],
                   check=True, stdout=subprocess.DEVNULL)


def cpu_split(pin):
    """(server's CPUs, load generator's CPUs): apart when pinned, so the
    two never compete for a core; None for either leaves it to the
    scheduler."""
    cpus = sorted(os.sched_getaffinity(0))
    if not pin or len(cpus) < 2:
        return None, None
    return set(cpus[1:]), {cpus[0]}


def measure(start, transport, conns, size, fresh, seconds, args=(),
            pin=False):
    """One run: start(folder, cpus) gives the server (its addr, cpu(),
    rss(), stop()); the load generator runs against it with args."""
    server_cpus, loadgen_cpus = cpu_split(pin)
    with tempfile.TemporaryDirectory() as folder:
        srv = start(folder, server_cpus)
        try:
            cpu0, peak = srv.cpu(), 0
            cmd = [f"{BUILD}/tests/loadgen", "-t", transport, "-a",
                   srv.addr, "-c", str(conns), "-s", str(size), "-d",
                   str(seconds)] + (["-n"] if fresh else []) + list(args)
            lg = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                                  preexec_fn=pinner(loadgen_cpus))
            while lg.poll() is None:
                peak = max(peak, srv.rss())
                time.sleep(0.5)  # a scan of /proc costs the machine too
            out = dict(kv.split("=") for kv in lg.stdout.read().split())
            cpu = srv.cpu() - cpu0
        finally:
            srv.stop()
    req = int(out["requests"])
    return {"rps": float(out["rps"]), "p99": int(out["p99_us"]),
            "p50": int(out["p50_us"]), "errors": int(out["errors"]),
            "timeouts": int(out["timeouts"]),
            "cpu_us": cpu * 1e6 / TICK / req if req else float("nan"),
            "rss": peak, "tls": out.get("tls", ""),
            "handshakes": int(out.get("handshakes", 0)),
            "resumed": int(out.get("resumed", 0))}


class Pair:
    """modserv's model (and module) against one comparison server."""

    def __init__(self, label, model, t, c, s, fresh, kind, name,
                 module="upper", instead=None):
        self.label, self.model, self.t, self.c, self.s = label, model, t, c, s
        self.fresh, self.kind, self.name, self.module = fresh, kind, name, \
            module
        self.instead = instead  # a C baseline in modserv's place

    def ours(self, folder):
        if self.instead:
            return baseline(self.instead, self.t, folder)
        if self.kind == "access_log":  # a line a request, to its file
            return modserv(self.model, self.t, folder, self.module,
                           f'access_log = "{folder}/access.log";')
        return modserv(self.model, self.t, folder, self.module,
                       "workers = 2;" if self.kind == "workers" else "")

    def theirs(self, folder):
        if self.kind in ("workers", "access_log"):  # one worker; no log
            return modserv(self.model, self.t, folder, self.module)
        if self.kind == "base":
            return baseline(self.name, self.t, folder)
        if self.kind == "peer":
            return peer(self.name, self.t, folder)
        return inetd(folder)

    def pinned(self):
        """The server on its own core(s) and the load generator on another,
        except where two workers are to use both."""
        return self.kind != "workers"

    def key(self):
        return f"{self.label} {self.t} c={self.c} s={self.s}"

    def starts(self):
        """How each side starts: (ours, theirs), for measure."""
        addr = INETD_ADDR if self.kind == "inetd" else None
        return (lambda folder, cpus: Server(self.ours(folder), folder, None,
                                            cpus),
                lambda folder, cpus: Server(self.theirs(folder), folder,
                                            addr, cpus))

    def loadgen_args(self):
        return ["-e"] if self.module == "echo" else []

    def info(self):
        """More of the row, for its targets: none here."""
        return {}


def scenarios(quick):
    pairs = []
    models = [("select", "epoll"), ("thread", "thread"), ("fork", "fork")]
    conns = [50] if quick else [1, 50, 500]
    sizes = [64] if quick else [64, 16384]
    transports = ["tcp"] if quick else ["tcp", "unix"]
    for model, base in models:
        for t in transports:
            for c in conns:
                for s in sizes:
                    pairs.append(Pair(f"{model} vs C {base}", model, t, c, s,
                                      False, "base", base))
        pairs.append(Pair(f"{model} vs C {base}, new conn", model, "tcp", 50,
                          64, True, "base", base))
    pairs.append(Pair("select vs C udp loop", "select", "udp", 50, 64, False,
                      "base", "udp"))
    for model, c in (("select", 50), ("select", 500), ("thread", 50)):
        pairs.append(Pair(f"{model} 2 workers vs 1", model, "tcp", c, 64,
                          False, "workers", None))
    pairs.append(Pair("thread vs C thread per datagram", "thread", "udp", 50,
                      64, False, "base", "udp-thread"))
    # what the access log costs: the same model with it on and off
    pairs.append(Pair("thread access log on vs off", "thread", "tcp", 50, 64,
                      False, "access_log", None))
    pairs.append(Pair("fork access log on vs off, new conn", "fork", "tcp",
                      50, 64, True, "access_log", None))
    pairs.append(Pair("select access log on vs off", "select", "udp",
                      50, 64, False, "access_log", None))
    if quick:
        return pairs + tls_rows.scenarios(quick)
    for model, kind in (("thread", "ThreadingTCPServer"),
                        ("fork", "ForkingTCPServer"),
                        ("select", "ThreadingTCPServer")):
        for c in (50, 500):
            pairs.append(Pair(f"{model} vs Python {kind}", model, "tcp", c,
                              64, False, "peer", kind))
    pairs.append(Pair("thread vs Python ThreadingTCPServer, new conn",
                      "thread", "tcp", 50, 64, True, "peer",
                      "ThreadingTCPServer"))
    # what the hand-written servers reach against the same peers: the
    # ceiling of the ratio targets on this machine
    pairs.append(Pair("C epoll (no modserv) vs Python ThreadingTCPServer",
                      None, "tcp", 50, 64, False, "peer",
                      "ThreadingTCPServer", instead="epoll"))
    pairs.append(Pair("C thread (no modserv) vs Python ThreadingTCPServer, "
                      "new conn", None, "tcp", 50, 64, True, "peer",
                      "ThreadingTCPServer", instead="thread"))
    pairs.append(Pair("select vs Python ThreadingUDPServer", "select", "udp",
                      50, 64, False, "peer", "ThreadingUDPServer"))
    pairs.append(Pair("thread vs Python ThreadingUnixStreamServer",
                      "thread", "unix", 50, 64, False, "peer",
                      "ThreadingUnixStreamServer"))
    if inetd_usable():
        pairs.append(Pair("fork vs inetd built-in echo, new conn", "fork",
                          "tcp", 50, 64, True, "inetd", None, "echo"))
    else:
        print("inetd (openbsd-inetd) missing, not root, or port 7 taken: "
              "its row is left out", file=sys.stderr)
    return pairs + tls_rows.scenarios(quick)


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def run_pair(p, seconds, repeat, pin):
    """repeat pairs of runs, the order alternating (A B, B A, ...) so a
    drift of the machine favours neither side.  Each ratio is the median of
    the pairs' ratios: the two runs of a pair saw the same machine."""
    ours, theirs = [], []
    pin = pin and p.pinned()
    sides = list(zip(p.starts(), (ours, theirs)))
    for i in range(repeat):
        for start, runs in (sides if i % 2 == 0 else sides[::-1]):
            runs.append(measure(start, p.t, p.c, p.s, p.fresh, seconds,
                                p.loadgen_args(), pin))
    row = {"label": p.label, "transport": p.t, "conns": p.c, "size": p.s,
           "fresh": p.fresh, "kind": p.kind, **p.info()}
    for side, runs in (("m", ours), ("b", theirs)):
        for key in ("rps", "p99", "cpu_us", "rss", "errors", "timeouts",
                    "handshakes", "resumed"):
            row[side + key] = median_of(runs, key)
        row[side + "tls"] = runs[0]["tls"]  # what the first run agreed
    for key in ("rps", "p99", "cpu_us"):
        pairs = [a[key] / max(b[key], 1e-9) for a, b in zip(ours, theirs)]
        row["r" + key] = statistics.median(pairs)
        row["s" + key] = (min(pairs), max(pairs))  # how much pairs differ
    print(f"{p.label:46} {p.t:5} c={p.c:<4} s={p.s:<6} "
          f"rps {row['mrps']:>9.0f} / {row['brps']:>9.0f} = "
          f"{row['rrps']:5.2f}  "
          f"cpu/req {row['mcpu_us']:6.1f} / {row['bcpu_us']:6.1f} = "
          f"{row['rcpu_us']:4.2f} ({row['scpu_us'][0]:.2f}-"
          f"{row['scpu_us'][1]:.2f})  "
          f"p99 {row['mp99']:.0f} / {row['bp99']:.0f} us  "
          f"err {row['merrors']:.0f}+{row['mtimeouts']:.0f} / "
          f"{row['berrors']:.0f}+{row['btimeouts']:.0f}" +
          (f"  resumed {row['mresumed']:.0f}/{row['mhandshakes']:.0f} / "
           f"{row['bresumed']:.0f}/{row['bhandshakes']:.0f}  {row['mtls']}"
           if row["mtls"] else ""), flush=True)
    return row


def worker_rss_kb(master):
    """RSS of modserv's long-lived processes: master and worker(s), not
    the fork model's request processes."""
    parent = children_of()
    return vm_rss(master) + sum(vm_rss(c) for c, pp in parent.items()
                                if pp == master)


def idle_cost(model, n, extra):
    """KiB of modserv RSS per idle connection, n of them."""
    with tempfile.TemporaryDirectory() as folder:
        srv = Server(modserv(model, "tcp", folder, "upper", extra,
                             n + 64), folder)
        socks = []
        try:
            host, port = srv.addr.rsplit(":", 1)
            before = worker_rss_kb(srv.p.pid)
            for _ in range(n):
                socks.append(socket.create_connection((host, int(port))))
            # served: a last client is answered once all are accepted
            probe = socket.create_connection((host, int(port)), timeout=30)
            probe.sendall(b"ping\n")
            ok = probe.recv(16) == b"PING\n"
            time.sleep(0.5)
            after = worker_rss_kb(srv.p.pid)
            probe.close()
        finally:
            for c in socks:
                c.close()
            srv.stop()
    return {"model": model, "n": n, "extra": extra, "served": ok,
            "before": before, "after": after,
            "per_conn": (after - before) / n}


def rss_growth(model, seconds):
    """RSS of master and worker after a second load run and after a third
    (the first warms up: malloc's per-thread arenas, the page cache)."""
    with tempfile.TemporaryDirectory() as folder:
        srv = Server(modserv(model, "tcp", folder), folder)
        try:
            seen, total = [], 0
            for _ in range(3):
                out = subprocess.run(
                    [f"{BUILD}/tests/loadgen", "-t", "tcp", "-a", srv.addr,
                     "-c", "50", "-s", "64", "-d", str(seconds)],
                    capture_output=True, text=True, check=True).stdout
                total += int(re.search(r"requests=(\d+)", out)[1])
                time.sleep(0.3)
                seen.append((total, worker_rss_kb(srv.p.pid)))
        finally:
            srv.stop()
    return {"model": model, "first": seen[1], "second": seen[2]}


def memory(seconds):
    old = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (old[1], old[1]))
    n = min(10000, old[1] - 256)  # client and server each hold n
    idle = [idle_cost("select", n, ""),
            idle_cost("thread", n, "thread_stack = 65536;")]
    growth = [rss_growth(m, seconds) for m in ("select", "thread", "fork")]
    for r in idle:
        print(f"idle {r['model']:6} {r['n']} conns {r['extra']:24} "
              f"{r['before']} -> {r['after']} KiB = {r['per_conn']:.2f} "
              f"KiB each, served after: {r['served']}", flush=True)
    for g in growth:
        print(f"flat {g['model']:6} {g['first'][0]} requests: "
              f"{g['first'][1]} KiB, {g['second'][0]}: {g['second'][1]} "
              f"KiB", flush=True)
    return idle, growth


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=float, default=3)
    # 5 pairs: on this shared machine one run moves by up to ±20 %
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pin", action="store_true",
                    help="the server on its own core(s), the load generator "
                    "on another")
    ap.add_argument("--only", help="run the rows whose label matches "
                    "this regular expression (no report written)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs",
                                                  "benchmarks.md"))
    args = ap.parse_args()
    build()
    rows = [run_pair(p, args.seconds, args.repeat, args.pin)
            for p in scenarios(args.quick)
            if not args.only or re.search(args.only, p.key())]
    if args.only:
        return
    write_report(rows, memory(args.seconds), args)


def find(rows, label, t="tcp", c=50, s=64):
    for r in rows:
        if r["label"] == label and r["transport"] == t and \
                r["conns"] == c and r["size"] == s:
            return r
    return None


def targets(rows, mem):
    """(target, measured, met) for each of issue 5's targets."""
    out = []

    def ratio(r, k):
        return r["r" + k]
    for r in rows:
        if r["kind"] != "base" or (r["conns"] == 1 and not r["fresh"]):
            continue
        udp = r["transport"] == "udp"
        name = (f"{r['label']}, {r['transport']}, {r['conns']} conns, "
                f"{r['size']} B")
        rps, cpu, p99 = ratio(r, "rps"), ratio(r, "cpu_us"), ratio(r, "p99")
        out.append((f"{name}: req/s ≥ {0.90 if udp else 0.95:.2f}×, CPU/req "
                    f"≤ {1.10:.2f}×, p99 ≤ 1.2×",
                    f"{rps:.2f}×, {cpu:.2f}×, {p99:.2f}×",
                    rps >= (0.90 if udp else 0.95) and cpu <= 1.10 and
                    p99 <= 1.2))
    for label, c, want_rps, want_cpu in (
            ("select vs Python ThreadingTCPServer", 50, 2.5, 0.4),
            ("select vs Python ThreadingTCPServer", 500, 2.5, 0.4)):
        r = find(rows, label, c=c)
        if r:
            out.append((f"{label}, {c} conns: req/s ≥ {want_rps}×, CPU/req "
                        f"≤ {want_cpu}×",
                        f"{ratio(r, 'rps'):.2f}×, {ratio(r, 'cpu_us'):.2f}×",
                        ratio(r, "rps") >= want_rps and
                        ratio(r, "cpu_us") <= want_cpu))
    for r in rows:
        if r["kind"] == "peer" and r["conns"] == 500:
            out.append((f"{r['label']}, 500 conns: every client served",
                        f"modserv {r['merrors'] + r['mtimeouts']:.0f} "
                        f"errors+timeouts, Python "
                        f"{r['berrors'] + r['btimeouts']:.0f}",
                        r["merrors"] + r["mtimeouts"] == 0))
    for r in rows:
        if r["kind"] == "access_log":
            out.append((f"{r['label']}, {r['transport']}: req/s ≥ 0.90×",
                        f"{ratio(r, 'rps'):.2f}× (CPU/req "
                        f"{ratio(r, 'cpu_us'):.2f}×)",
                        ratio(r, "rps") >= 0.90))
    for label, t, want in (
            ("thread vs Python ThreadingTCPServer, new conn", "tcp", 4),
            ("select vs Python ThreadingUDPServer", "udp", 30),
            ("fork vs inetd built-in echo, new conn", "tcp", 2.5)):
        r = find(rows, label, t=t)
        if r:
            out.append((f"{label}: req/s ≥ {want}×", f"{ratio(r, 'rps'):.2f}×",
                        ratio(r, "rps") >= want))
    idle, growth = mem
    for r, most in zip(idle, (4, 64)):
        out.append((f"{r['n']} idle connections on {r['model']}: ≤ {most} "
                    f"KiB RSS each", f"{r['per_conn']:.2f} KiB"
                    f"{'' if r['served'] else ', then a client NOT served'}",
                    r["per_conn"] <= most and r["served"]))
    for g in growth:
        grew = g["second"][1] - g["first"][1]
        out.append((f"{g['model']}: RSS flat under load (grows ≤ 256 KiB "
                    f"from {g['first'][0]} to {g['second'][0]} requests)",
                    f"{g['first'][1]} → {g['second'][1]} KiB", grew <= 256))
    return out + tls_rows.targets(rows)


def write_report(rows, mem, args):
    lines = [
        "# Benchmarks", "",
        "modserv's models against the same logic hand-written in C for "
        "that model (`tests/bench/baseline.c`), against Python's "
        "socketserver (`tests/bench/peer_socketserver.py`) and inetd's "
        "built-in echo (openbsd-inetd), by the load generator "
        "`tests/bench/loadgen.c` (epoll, every reply checked byte for "
        "byte).  Each figure is the median of "
        f"{args.repeat} runs of {args.seconds:g} s, modserv and its "
        "comparison interleaved in pairs whose order alternates (A B, B A, "
        "…).  *ratio* is modserv / comparison, the median of the pairs' "
        "ratios (the two runs of a pair saw the same machine), so it can "
        "differ a little from the ratio of the medians: above 1 "
        "is better for requests/s, below 1 is better for CPU and p99.  "
        "Against inetd both sides echo (modserv's `echo` module).  "
        "Rows named \"C … (no modserv)\" put the hand-written baseline in "
        "modserv's column against the same peer: what a server without "
        "modserv's abstraction reaches, the ceiling of the ratio targets "
        "against Python on this machine.  The TLS rows have a section "
        "of their own, below.",
        "", f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}; "
        + ("the server runs on its own core and the load generator on "
           "another (`--pin`; not the 2-workers rows).  " if args.pin else
           "the load generator runs on the same cores, so server CPU per "
           "request is the steadier figure.  ") +
        "Every server starts in a session of its own, as a service "
        "manager starts it: with the kernel's autogroup scheduling a "
        "session is scheduled as a group, and one shared with the load "
        "generator made the C thread server's CPU per request 8–20 % "
        "lower on this machine.  "
        "The machine is shared and noisy: one C epoll server measured six "
        "times in a row gave 100k–151k req/s and 5.8–8.7 µs CPU per "
        "request, so each row is the median of several pairs, and the "
        "column *pairs' CPU ratios* shows how far that row's pairs "
        "spread.", "",
        "Rerun: `bash scripts/bench.sh` (full) or `bash scripts/bench.sh "
        "--quick`.", "", "## Targets", "",
        "| target | measured | met |", "|---|---|---|"]
    for what, got, met in targets(rows, mem):
        lines.append(f"| {what} | {got} | {'yes' if met else '**no**'} |")
    lines += [
        "", "## Throughput, CPU, latency", "",
        "| comparison | transport | conns | bytes | req/s modserv | req/s "
        "other | ratio | CPU µs/req modserv | other | ratio | pairs' CPU "
        "ratios | p99 µs "
        "modserv | other | peak RSS KiB modserv | other | errors+timeouts "
        "modserv / other |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if tls_rows.is_tls(r):
            continue
        lines.append(
            f"| {r['label']} | {r['transport']} | {r['conns']} | "
            f"{r['size']} | {r['mrps']:.0f} | {r['brps']:.0f} | "
            f"{r['rrps']:.2f} | {r['mcpu_us']:.1f} | "
            f"{r['bcpu_us']:.1f} | "
            f"{r['rcpu_us']:.2f} | {r['scpu_us'][0]:.2f}–"
            f"{r['scpu_us'][1]:.2f} | "
            f"{r['mp99']:.0f} | {r['bp99']:.0f} | {r['mrss']:.0f} | "
            f"{r['brss']:.0f} | {r['merrors'] + r['mtimeouts']:.0f} / "
            f"{r['berrors'] + r['btimeouts']:.0f} |")
    if any(r["kind"] == "access_log" for r in rows):
        lines += ["", "## The access log", "",
                  "The rows \"access log on vs off\" run the same model "
                  "twice: with `access_log = \"FILE\"` (the default line, "
                  "to a file of its own) against `access_log = \"off\"`; "
                  "every other row runs with the access log off, as the "
                  "servers it is compared with log nothing."]
    lines += tls_rows.report(rows)
    idle, growth = mem
    lines += ["", "## Memory", "",
              "| what | before | after | per connection |", "|---|---|---|---|"]
    for r in idle:
        lines.append(f"| {r['n']} idle tcp connections, {r['model']} "
                     f"{r['extra']} | {r['before']} KiB | {r['after']} KiB | "
                     f"{r['per_conn']:.2f} KiB |")
    for g in growth:
        lines.append(f"| {g['model']}, master and worker after "
                     f"{g['first'][0]} and {g['second'][0]} requests | "
                     f"{g['first'][1]} KiB | {g['second'][1]} KiB | |")
    chart = chart_png(rows, os.path.dirname(args.out))
    if chart:
        lines += ["", f"![requests/s and p99 per model]({chart})"]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


def chart_png(rows, folder):
    if shutil.which("gnuplot") is None:
        return None
    picked = [r for r in rows if r["conns"] == 50 and r["size"] == 64 and
              r["transport"] == "tcp" and not r["fresh"] and
              " vs C " in r["label"] and not tls_rows.is_tls(r)]
    if not picked:
        return None
    data = os.path.join(tempfile.mkdtemp(), "bench.dat")
    with open(data, "w") as f:
        for r in picked:
            name = r["label"].split(" vs ")[0]
            f.write(f'"{name}" {r["mrps"]:.0f} {r["brps"]:.0f} '
                    f'{r["mp99"]:.0f} {r["bp99"]:.0f}\n')
    png = os.path.join(folder, "benchmarks.png")
    script = f"""set terminal png size 900,400
set output '{png}'
set multiplot layout 1,2
set style data histograms
set style fill solid 0.8
set title 'requests/s (tcp, 50 conns, 64 B)'
plot '{data}' using 2:xtic(1) title 'modserv', '' using 3 title 'C baseline'
set title 'p99 latency, us'
plot '{data}' using 4:xtic(1) title 'modserv', '' using 5 title 'C baseline'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return "benchmarks.png"


if __name__ == "__main__":
    main()
