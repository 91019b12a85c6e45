"""A TLS client for the tests, verifying the server against a CA.

    tls_wrap.py [OPTIONS] seed SCRIPT ARG...
        runs a seed client (tests/seeds/clients) as it is, every socket it
        makes a TLS one: connect() does the handshake
    tls_wrap.py [OPTIONS] line HOST:PORT|PATH TEXT
        one connection: TEXT sent, the reply printed up to its first
        newline (or the close)

OPTIONS: --ca FILE (the CA that must have signed the server's
certificate), --name NAME (the name it must have, sent as SNI), --cert
FILE --key FILE (a client certificate), --unix PATH (every connection goes
to the socket file PATH, whatever address the client names), --proxy-v2
IP:PORT (line only: a PROXY v2 header naming IP:PORT as the client, sent
in plaintext before the handshake).  A failure is printed as "error: ..."
with exit status 1.
"""
import argparse
import ipaddress
import runpy
import socket
import ssl
import struct
import sys

PROXY_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def options():
    p = argparse.ArgumentParser()
    p.add_argument("--ca", required=True)
    p.add_argument("--name", default="a.example")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--unix")
    p.add_argument("--proxy-v2")
    p.add_argument("command", choices=("seed", "line"))
    p.add_argument("args", nargs=argparse.REMAINDER)
    return p.parse_args()


def context(opts):
    ctx = ssl.create_default_context(cafile=opts.ca)
    if opts.cert:
        ctx.load_cert_chain(opts.cert, opts.key)
    return ctx


def proxy_v2_header(client, server):
    """PROXY v2, PROXY command, TCP over IPv4, client -> server."""
    (cip, cport), (sip, sport) = client, server
    body = (ipaddress.IPv4Address(cip).packed +
            ipaddress.IPv4Address(sip).packed + struct.pack(">HH", cport,
                                                            sport))
    return PROXY_V2_SIGNATURE + bytes([0x21, 0x11]) + \
        struct.pack(">H", len(body)) + body


def seed(opts, ctx, args):
    plain = socket.socket

    class Dialed(ssl.SSLSocket):
        def connect(self, addr):
            return super().connect(opts.unix or addr)

        def connect_ex(self, addr):
            return super().connect_ex(opts.unix or addr)

    ctx.sslsocket_class = Dialed

    def tls_socket(family=socket.AF_INET, type=socket.SOCK_STREAM, proto=0,
                   fileno=None):
        if opts.unix:  # getaddrinfo's protocol is TCP's
            family, proto = socket.AF_UNIX, 0
        return ctx.wrap_socket(plain(family, type, proto, fileno),
                               server_hostname=opts.name)

    socket.socket = tls_socket
    sys.argv = args
    runpy.run_path(args[0], run_name="__main__")


def line(opts, ctx, target, text):
    if opts.unix or "/" in target:
        sock = plain_connect(socket.AF_UNIX, opts.unix or target)
    else:
        host, port = target.rsplit(":", 1)
        sock = plain_connect(socket.AF_INET, (host, int(port)))
    if opts.proxy_v2:
        ip, port = opts.proxy_v2.rsplit(":", 1)
        sock.sendall(proxy_v2_header((ip, int(port)), ("127.0.0.1", 443)))
    tls = ctx.wrap_socket(sock, server_hostname=opts.name)
    tls.sendall(text.encode())
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = tls.recv(4096)
        if not chunk:
            break
        reply += chunk
    tls.close()
    sys.stdout.write(reply.decode(errors="replace"))


def plain_connect(family, addr):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(addr)
    return sock


def main():
    opts = options()
    ctx = context(opts)
    try:
        if opts.command == "seed":
            seed(opts, ctx, opts.args)
        else:
            line(opts, ctx, opts.args[0], opts.args[1])
    except (OSError, ssl.SSLError) as e:
        sys.stdout.flush()
        print(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
