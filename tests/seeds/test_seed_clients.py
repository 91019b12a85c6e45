"""The seed articles' clients, run as they are (Python 3, a port from argv)
with what a user would type on their standard input, against modserv's
modules under every model.

    test_seed_clients.py MODSERV_BIN MODULE_DIR
"""
import ast
import os
import re
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
from operator_mode import private_modules, service_user  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODSERV, MODULES = sys.argv[1], sys.argv[2]
CTIME = r"\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\]"
SERVICES = """
 {{ name = "daytime"; module = "daytime"; }},
 {{ name = "ident"; module = "ident"; }},
 {{ name = "filexfer"; module = "filexfer"; options = {{ root = "files"; }}; }},
 {{ name = "echo"; module = "echo"; }},
 {{ name = "cmd"; module = "cmd";
   options = {{ allow = [ "echo", "ls" ]; }}; }},
 {{ name = "greet"; module = "greet"; }},
 {{ name = "framed"; module = "framed"; }}
"""


def start(folder, model):
    services = re.sub(r"\{ name", "{ transport = \"tcp\"; listen = "
                      f"\"127.0.0.1:0\"; model = \"{model}\"; name",
                      SERVICES.format())
    conf = os.path.join(folder, "seeds.conf")
    with open(conf, "w") as f:
        f.write(f'module_path = "{private_modules(folder, MODULES)}";\n'
                f'services = ({services});\n'
                f'user = "{service_user()}";\n')
    log = open(os.path.join(folder, "modserv.log"), "a+")  # O_APPEND: our
    # seek(0) moves the offset modserv writes at too (one open file)
    p = subprocess.Popen([MODSERV, "-c", conf], stderr=log)
    ports, deadline = {}, time.time() + 30  # slow under a sanitizer
    while len(ports) < 7 and time.time() < deadline:
        log.seek(0)
        ports = dict(re.findall(r"(\w+): listening on tcp 127\.0\.0\.1:(\d+)",
                                log.read()))
        time.sleep(0.05)
    if len(ports) < 7:
        p.kill()
        p.wait()
        raise RuntimeError("modserv did not start")
    return p, ports


def client(name, port, stdin, cwd, timeout=10):
    try:
        r = subprocess.run([sys.executable,
                            os.path.join(HERE, "clients", name), port],
                           input=stdin, capture_output=True, text=True,
                           cwd=cwd, timeout=timeout)
        return r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:  # the selectors client never ends
        return (e.stdout or b"").decode()


def selectors_ok(out):
    got = {}
    for data, conn in re.findall(r"收到 (b'[^']*') 来自连接 (\d+)", out):
        got[conn] = got.get(conn, 0) + len(ast.literal_eval(data))
    return (out.count("关闭连接:") == 5 and len(got) == 5 and
            all(n == 42 for n in got.values()))


def checks(ports, folder):
    return [
        ("seed 001 daytime client",
         lambda: client("seed001_daytime_client.py", ports["daytime"],
                        "hello\nworld 世界\n\n", folder),
         lambda out: re.search(CTIME + r" hello\n", out) and
         re.search(CTIME + r" world 世界\n", out)),
        ("seed 001 ThreadedTCPServer client",
         lambda: client("seed001_threaded_client.py", ports["ident"], "",
                        folder),
         lambda out: all(re.search(r"Received: (Thread|Process|Loop)-\d+: "
                                   f"Hello World {i}\n", out)
                         for i in (1, 2, 3))),
        ("seed 002 blocking file client",
         lambda: client("seed002_file_client.py", ports["filexfer"],
                        "a.txt\n../seeds.conf\n/etc/passwd\n\n", folder),
         lambda out: "receive done 1000000" in out and
         open(os.path.join(folder, "newa.txt"), "rb").read() ==
         open(os.path.join(folder, "files", "a.txt"), "rb").read() and
         "../seeds.conf: outside the served folder" in out and
         "/etc/passwd: outside the served folder" in out),
        ("seed 002 selectors client (5 connections)",
         lambda: client("seed002_selectors_client.py", ports["echo"], "",
                        folder, timeout=3),
         selectors_ok),
        ("seed 000 framed command client",
         lambda: client("seed000_cmd_client.py", ports["cmd"],
                        "echo hello 粘包\nls /nonexistent-seed\nrm -rf /\n"
                        "exit\n", folder),
         lambda out: "hello 粘包\n" in out and
         "No such file or directory" in out and
         "error: rm: not allowed" in out and "client close" in out),
        ("seed 004 greet client",
         lambda: client("seed004_greet_client.py", ports["greet"],
                        "hello\n世界\nq\n", folder),
         lambda out: "你好欢迎你" in out and "hello好" in out and
         "世界好" in out and "closed" in out),
        ("seed 002 message protocol client",
         lambda: client("seed002_framed_client.py", ports["framed"],
                        "morpheus\n", folder),
         lambda out: "text/json {'ACTION': 'SEARCH', 'VALUE': 'MORPHEUS'}"
         in out and "binary/custom-client-binary-type "
         "b'\\x00\\x01\\xfe\\xffbinary'" in out),
    ]


def main():
    passed = failed = 0
    for model in ("thread", "fork", "select"):
        with tempfile.TemporaryDirectory() as folder:
            os.mkdir(os.path.join(folder, "files"))
            with open(os.path.join(folder, "files", "a.txt"), "wb") as f:
                f.write(bytes(range(256)) * 3906 + bytes(64))  # 1,000,000
            p, ports = start(folder, model)
            try:
                for name, run, ok in checks(ports, folder):
                    out = run()
                    good = bool(ok(out))
                    print(f"{'ok' if good else 'FAIL'}: {name}, model "
                          f"{model}")
                    if not good:
                        print("  its output:\n" + out[-2000:])
                    passed += good
                    failed += not good
            finally:
                p.terminate()
                if p.wait(10) != 0:
                    print(f"FAIL: modserv exit status {p.returncode}")
                    failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
