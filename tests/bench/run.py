"""The benchmark: modserv's models against hand-written baselines of the
same model and against Python's socketserver, interleaved (A B A B ...) so
drift cancels; requests/s, latency, server CPU per request (from /proc)
and peak RSS; writes docs/benchmarks.md with the table and a chart.

    python3 tests/bench/run.py [--quick] [--seconds S] [--repeat N]
"""
import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build-release")
TICK = os.sysconf("SC_CLK_TCK")


def build():
    subprocess.run(["cmake", "-S", ROOT, "-B", BUILD,
                    "-DCMAKE_BUILD_TYPE=Release"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", BUILD, "-j", str(os.cpu_count()),
                    "--target", "modserv", "upper", "loadgen", "baseline"],
                   check=True, stdout=subprocess.DEVNULL)


def tree(root):
    """pid and its descendants."""
    parent = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    parent[int(pid)] = int(f.read().rsplit(")", 1)[1]
                                           .split()[1])
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(c for c, pp in parent.items() if pp == p)
    return out


def cpu_ticks(root):
    """CPU of the tree, reaped children included (cutime, cstime)."""
    total = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                v = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in v[11:15])
        except (OSError, IndexError, ValueError):
            pass
    return total


def rss_kb(root):
    total = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                total += int(re.search(r"VmRSS:\s+(\d+)", f.read())[1])
        except (OSError, TypeError):
            pass
    return total


class Server:
    def __init__(self, argv, folder):
        self.log = open(os.path.join(folder, "server.log"), "w+")
        self.p = subprocess.Popen(argv, stderr=self.log,
                                  stdout=subprocess.DEVNULL, cwd=folder)
        deadline = time.time() + 10
        while time.time() < deadline:
            self.log.seek(0)
            m = re.search(r"listening on (?:\S+ )?(\S+)\n", self.log.read())
            if m:
                self.addr = m.group(1)
                time.sleep(0.2)  # workers forked
                return
            time.sleep(0.05)
        raise RuntimeError(f"{argv} did not start")

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        for pid in tree(self.p.pid)[1:]:  # a fork server's children
            try:
                os.kill(pid, 9)
            except OSError:
                pass


def modserv(model, transport, folder):
    listen = (f"{folder}/s.sock" if transport.startswith("unix")
              else "127.0.0.1:0")
    conf = os.path.join(folder, "bench.conf")
    with open(conf, "w") as f:
        f.write(f'module_path = "{BUILD}/modules";\nlog_level = "warn";\n'
                f'user = "{os.environ.get("USER", "root")}";\n'
                f'services = ( {{ name = "s"; transport = "{transport}"; '
                f'listen = "{listen}"; model = "{model}"; module = "upper"; '
                f'max_clients = 4096; }} );\n')
    return [f"{BUILD}/modserv", "-c", conf, "-l", "info"]


def baseline(kind, transport, folder):
    addr = f"{folder}/b.sock" if transport.startswith("unix") else \
        "127.0.0.1:0"
    return [f"{BUILD}/tests/baseline", kind, addr]


def peer(kind, transport, folder):
    addr = f"{folder}/p.sock" if transport.startswith("unix") else \
        "127.0.0.1:0"
    return [sys.executable, os.path.join(ROOT, "tests/bench/"
                                         "peer_socketserver.py"), kind, addr]


def measure(argv, transport, conns, size, fresh, seconds):
    with tempfile.TemporaryDirectory() as folder:
        srv = Server(argv(folder), folder)
        try:
            cpu0, peak = cpu_ticks(srv.p.pid), 0
            cmd = [f"{BUILD}/tests/loadgen", "-t", transport, "-a",
                   srv.addr, "-c", str(conns), "-s", str(size), "-d",
                   str(seconds)] + (["-n"] if fresh else [])
            lg = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            while lg.poll() is None:
                peak = max(peak, rss_kb(srv.p.pid))
                time.sleep(0.25)
            out = dict(kv.split("=") for kv in lg.stdout.read().split())
            cpu = cpu_ticks(srv.p.pid) - cpu0
        finally:
            srv.stop()
    req = int(out["requests"])
    return {"rps": float(out["rps"]), "p99": int(out["p99_us"]),
            "p50": int(out["p50_us"]), "errors": int(out["errors"]),
            "timeouts": int(out["timeouts"]),
            "cpu_us": cpu * 1e6 / TICK / req if req else float("nan"),
            "rss": peak}


def scenarios(quick):
    pairs = []  # (label, modserv argv, comparison argv, transport, ...)
    models = [("select", "epoll"), ("thread", "thread"), ("fork", "fork")]
    conns = [50] if quick else [1, 50, 500]
    sizes = [64] if quick else [64, 16384]
    transports = ["tcp"] if quick else ["tcp", "unix"]
    for model, base in models:
        for t in transports:
            for c in conns:
                for s in sizes:
                    pairs.append((f"{model} vs C {base}", model, t, c, s,
                                  False, ("base", base)))
        pairs.append((f"{model} vs C {base}, new conn", model, "tcp", 50,
                      64, True, ("base", base)))
    pairs.append(("select vs C udp loop", "select", "udp", 50, 64, False,
                  ("base", "udp")))
    pairs.append(("thread vs C udp loop", "thread", "udp", 50, 64, False,
                  ("base", "udp")))
    if not quick:
        for model, kind in (("thread", "ThreadingTCPServer"),
                            ("fork", "ForkingTCPServer"),
                            ("select", "ThreadingTCPServer")):
            pairs.append((f"{model} vs Python {kind}", model, "tcp", 50, 64,
                          False, ("peer", kind)))
            pairs.append((f"{model} vs Python {kind}", model, "tcp", 500,
                          64, False, ("peer", kind)))
        pairs.append(("select vs Python ThreadingUDPServer", "select", "udp",
                      50, 64, False, ("peer", "ThreadingUDPServer")))
        pairs.append(("thread vs Python ThreadingUnixStreamServer",
                      "thread", "unix", 50, 64, False,
                      ("peer", "ThreadingUnixStreamServer")))
    return pairs


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", help="run the rows whose label matches "
                    "this regular expression (no report written)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs",
                                                  "benchmarks.md"))
    args = ap.parse_args()
    build()
    rows = []
    for label, model, t, c, s, fresh, (kind, name) in scenarios(args.quick):
        if args.only and not re.search(args.only, f"{label} {t} c={c} "
                                       f"s={s}"):
            continue
        ours, theirs = [], []
        other = (lambda f: baseline(name, t, f)) if kind == "base" else \
            (lambda f: peer(name, t, f))
        for _ in range(args.repeat):  # A B A B ...
            ours.append(measure(lambda f: modserv(model, t, f), t, c, s,
                                fresh, args.seconds))
            theirs.append(measure(other, t, c, s, fresh, args.seconds))
        row = {"label": label, "transport": t, "conns": c, "size": s,
               "fresh": fresh}
        for side, runs in (("m", ours), ("b", theirs)):
            for key in ("rps", "p99", "cpu_us", "rss", "errors",
                        "timeouts"):
                row[side + key] = median_of(runs, key)
        rows.append(row)
        print(f"{label:44} {t:5} c={c:<4} s={s:<6} "
              f"rps {row['mrps']:>9.0f} / {row['brps']:>9.0f} = "
              f"{row['mrps'] / max(row['brps'], 1):5.2f}  "
              f"cpu/req {row['mcpu_us']:6.1f} / {row['bcpu_us']:6.1f} us  "
              f"p99 {row['mp99']} / {row['bp99']} us  "
              f"err {row['merrors']:.0f}+{row['mtimeouts']:.0f} / "
              f"{row['berrors']:.0f}+{row['btimeouts']:.0f}", flush=True)
    if not args.only:
        write_report(rows, args)


def write_report(rows, args):
    lines = [
        "# Benchmarks", "",
        "modserv's models against the same logic hand-written in C for "
        "that model (`tests/bench/baseline.c`) and against Python's "
        "socketserver (`tests/bench/peer_socketserver.py`), by the load "
        "generator `tests/bench/loadgen.c` (epoll, every reply checked "
        "byte for byte).  Each figure is the median of "
        f"{args.repeat} runs of {args.seconds:g} s, modserv and its "
        "comparison interleaved.  *ratio* is modserv / comparison: above 1 "
        "is better for requests/s, below 1 is better for CPU and p99.",
        "", f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}; the load generator "
        "runs on the same cores, so server CPU per request is the steadier "
        "figure.", "",
        "Rerun: `python3 tests/bench/run.py` (full) or `--quick`.", "",
        "| comparison | transport | conns | bytes | req/s modserv | req/s "
        "other | ratio | CPU µs/req modserv | other | ratio | p99 µs "
        "modserv | other | peak RSS KiB modserv | other | errors+timeouts "
        "modserv / other |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['label']} | {r['transport']} | {r['conns']} | "
            f"{r['size']} | {r['mrps']:.0f} | {r['brps']:.0f} | "
            f"{r['mrps'] / max(r['brps'], 1):.2f} | {r['mcpu_us']:.1f} | "
            f"{r['bcpu_us']:.1f} | "
            f"{r['mcpu_us'] / max(r['bcpu_us'], 1e-9):.2f} | "
            f"{r['mp99']:.0f} | {r['bp99']:.0f} | {r['mrss']:.0f} | "
            f"{r['brss']:.0f} | {r['merrors'] + r['mtimeouts']:.0f} / "
            f"{r['berrors'] + r['btimeouts']:.0f} |")
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
              " vs C " in r["label"]]
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
