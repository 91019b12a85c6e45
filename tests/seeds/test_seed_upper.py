"""The seed's upper servers replaced by modserv: the same client session
against the seed's own Python server and against modserv's `upper` module
under every model gets the same answers, byte for byte.

    test_seed_upper.py MODSERV_BIN MODULE_DIR
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
from operator_mode import private_modules, service_user  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODSERV, MODULES = sys.argv[1], sys.argv[2]
# What a user types at the seed client's prompt, UTF-8 included.
SESSION = ["hello", "Hello, World!", "你好 socketserver", "mixed ÄÖÜ äöü abc",
           "x" * 1000, "1234 !@#$ tab\there"]


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tcp_client(port):
    """The seed's client loop: connect once, send each line, recv(1024)."""
    answers = []
    client = socket.socket()
    client.settimeout(10)
    client.connect(("localhost", port))
    for line in SESSION:
        data = line.encode("u8")
        client.send(data)
        got = b""
        while len(got) < len(data):  # recv(1024) may return less
            got += client.recv(1024)
        answers.append(got)
    client.close()
    return answers


def udp_client(port):
    answers = []
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(10)
    for line in SESSION:
        client.sendto(line.encode("u8"), ("localhost", port))
        answers.append(client.recvfrom(65535)[0])
    client.close()
    return answers


def with_seed_server(script, client, kind):
    port = free_port(kind)
    p = subprocess.Popen([sys.executable, os.path.join(HERE, script),
                          str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        return client(port)
    finally:
        p.terminate()
        p.wait(10)


def with_modserv(transport, model, client):
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "upper.conf")
        with open(conf, "w") as f:
            f.write(f'module_path = [ "{private_modules(d, MODULES)}" ];\n'
                    'services = ( { name = "upper"; '
                    f'transport = "{transport}"; listen = "localhost:0"; '
                    f'model = "{model}"; module = "upper"; }} );\n'
                    f'user = "{service_user()}";\n')
        p = subprocess.Popen([MODSERV, "-c", conf], stderr=subprocess.PIPE,
                             text=True)
        try:
            deadline = time.time() + 5
            while time.time() < deadline:
                m = re.search(r"listening on \S+ \S+:(\d+)",
                              p.stderr.readline())
                if m:
                    return client(int(m.group(1)))
            raise RuntimeError("modserv did not start")
        finally:
            p.terminate()
            assert p.wait(10) == 0


def main():
    passed = failed = 0
    want_tcp = with_seed_server("seed000_upper_tcp_server.py", tcp_client,
                                socket.SOCK_STREAM)
    want_udp = with_seed_server("seed000_upper_udp_server.py", udp_client,
                                socket.SOCK_DGRAM)
    assert want_tcp == [s.upper().encode() if s.isascii() else
                        s.encode("u8").upper() for s in SESSION]
    for transport, client, want in (("tcp", tcp_client, want_tcp),
                                    ("udp", udp_client, want_udp)):
        for model in ("thread", "fork", "select"):
            got = with_modserv(transport, model, client)
            ok = got == want
            print(f"{'ok' if ok else 'FAIL'}: seed 000 {transport} client "
                  f"against modserv upper, model {model}")
            if not ok:
                print(f"  seed server said {want}\n  modserv said     {got}")
            passed += ok
            failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
