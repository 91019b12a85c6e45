# A client of the message protocol seed 002 defines against 粘包 (the
# article describes it and prints no client): a 2-byte big-endian header
# length, a UTF-8 JSON header with byteorder, content-type,
# content-encoding and content-length, then the content.  Sends each line
# of standard input as a text/json message and one binary message, prints
# the answers.
import json
import socket
import struct
import sys


def message(content, content_type, encoding):
    header = json.dumps({"byteorder": sys.byteorder,
                         "content-type": content_type,
                         "content-encoding": encoding,
                         "content-length": len(content)},
                        ensure_ascii=False).encode("utf-8")
    return struct.pack(">H", len(header)) + header + content


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def answer(sock):
    hlen = struct.unpack(">H", recv_exact(sock, 2))[0]
    header = json.loads(recv_exact(sock, hlen).decode("utf-8"))
    for key in ("byteorder", "content-length", "content-type",
                "content-encoding"):
        assert key in header, key
    return header, recv_exact(sock, header["content-length"])


sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for line in sys.stdin.read().splitlines():
    request = json.dumps({"action": "search", "value": line},
                         ensure_ascii=False).encode("utf-8")
    sock.sendall(message(request, "text/json", "utf-8"))
    header, content = answer(sock)
    print(header["content-type"], json.loads(content.decode("utf-8")))
sock.sendall(message(b"\x00\x01\xfe\xffbinary", "binary/custom-client-binary-type",
                     "binary"))
header, content = answer(sock)
print(header["content-type"], content)
sock.close()
