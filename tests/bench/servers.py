"""The servers the benchmark starts and what they cost: a server process
(ready on its "listening on" line or once it accepts), a front in front
of a backend counted as one, CPU and RSS over a process tree from /proc;
the command lines of modserv on a generated config, the C baselines,
Python's socketserver and inetd."""
import os
import re
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build-release")
TICK = os.sysconf("SC_CLK_TCK")


def stat(pid):
    """The fields of /proc/PID/stat after the command name (state is the
    first, the parent the second), or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def vm_rss(pid):
    """KiB, 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read())[1])
    except (OSError, TypeError):
        return 0


def children_of():
    """pid -> parent pid, for every process."""
    parent = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit() and (v := stat(pid)) is not None:
            parent[int(pid)] = int(v[1])
    return parent


def tree(root):
    """pid and its descendants."""
    parent = children_of()
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(c for c, pp in parent.items() if pp == p)
    return out


def cpu_ticks(root):
    """CPU of the tree, reaped children included (cutime, cstime)."""
    return sum(sum(int(x) for x in v[11:15])
               for v in map(stat, tree(root)) if v is not None)


def rss_kb(root):
    return sum(vm_rss(pid) for pid in tree(root))


def pinner(cpus):
    """For Popen: runs the process (and what it starts) on those CPUs."""
    return None if cpus is None else lambda: os.sched_setaffinity(0, cpus)


def accepts(addr):
    host, port = addr.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return True
    except OSError:
        return False


def free_port():
    """A tcp port on 127.0.0.1 that was free a moment ago, for a server
    that cannot be told port 0 and say which it took."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process; its address from its "listening on" line, or
    fixed (inetd, a TLS front) and then ready once it accepts a
    connection.  Its stderr goes to folder/LOG.

    Each server starts in a session of its own, as a service manager starts
    it: with the kernel's autogroup scheduling a session is a group of its
    own, and a server in the load generator's session is scheduled with it.
    modserv's workers make sessions of their own as root anyway, so without
    this the baselines alone shared the load generator's group, which made
    the thread model seem 10-17 % dearer per request than its C baseline
    (about 5 % with every server apart)."""

    def __init__(self, argv, folder, addr=None, cpus=None, log="server.log"):
        self.log = open(os.path.join(folder, log), "a+")
        self.p = subprocess.Popen(argv, stderr=self.log,
                                  stdout=subprocess.DEVNULL, cwd=folder,
                                  preexec_fn=pinner(cpus),
                                  start_new_session=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            if addr:
                if accepts(addr):
                    self.addr = addr
                    return
            else:
                self.log.seek(0)
                m = re.search(r"listening on (?:\S+ )?(\S+)\n",
                              self.log.read())
                if m:
                    self.addr = m.group(1)
                    time.sleep(0.2)  # workers forked
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{argv} did not start")

    def cpu(self):
        return cpu_ticks(self.p.pid)

    def rss(self):
        return rss_kb(self.p.pid)

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


class Fronted:
    """A front (stunnel, nginx) in front of a backend, as one server: the
    front's address, the CPU and RSS of both."""

    def __init__(self, backend, front):
        self.backend, self.addr = backend, None
        try:
            self.front = front(backend.addr)
        except BaseException:
            backend.stop()
            raise
        self.addr = self.front.addr

    def cpu(self):
        return self.front.cpu() + self.backend.cpu()

    def rss(self):
        return self.front.rss() + self.backend.rss()

    def stop(self):
        self.front.stop()
        self.backend.stop()


def modserv(model, transport, folder, module="upper", extra="",
            max_clients=4096):
    listen = (f"{folder}/s.sock" if transport.startswith("unix")
              else "127.0.0.1:0")
    conf = os.path.join(folder, "bench.conf")
    if "access_log" not in extra:  # against servers that log nothing
        extra += ' access_log = "off";'
    with open(conf, "w") as f:
        f.write(f'module_path = "{BUILD}/modules";\nlog_level = "warn";\n'
                f'user = "{os.environ.get("USER", "root")}";\n'
                f'services = ( {{ name = "s"; transport = "{transport}"; '
                f'listen = "{listen}"; model = "{model}"; module = "{module}"; '
                f'max_clients = {max_clients}; {extra} }} );\n')
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


INETD_ADDR = "127.0.0.1:7"  # its built-in echo: the name "echo", port 7


def inetd(folder):
    conf = os.path.join(folder, "inetd.conf")
    with open(conf, "w") as f:
        f.write("127.0.0.1:echo stream tcp nowait nobody internal\n")
    # -i: in the foreground; -R: no invocation rate cap
    return ["inetd", "-i", "-R", "100000000", conf]


def inetd_usable():
    return (shutil.which("inetd") is not None and os.geteuid() == 0 and
            not accepts(INETD_ADDR))
