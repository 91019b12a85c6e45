# Seed 001's ThreadedTCPServer client, adapted only for Python 3 (bytes,
# print) and a port from argv: the server now is modserv's ident module.
import socket
import sys


def client(ip, port, message):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((ip, port))
    try:
        sock.sendall(message)
        response = sock.recv(1024)
        print("Received: {}".format(response.decode()))
    finally:
        sock.close()


if __name__ == "__main__":
    ip, port = "localhost", int(sys.argv[1])
    client(ip, port, b"Hello World 1")
    client(ip, port, b"Hello World 2")
    client(ip, port, b"Hello World 3")
