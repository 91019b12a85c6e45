# Seed 001's TCP client for the StreamRequestHandler (daytime) server,
# adapted only for Python 3 (input, bytes) and a port from argv.
from socket import *
import sys

BUFSIZE = 1024
# 每次都要创建新的连接
while True:
    tcpClient = socket(AF_INET, SOCK_STREAM)
    tcpClient.connect(("localhost", int(sys.argv[1])))
    data = input(">")
    if not data:
        break
    tcpClient.send(("%s\r\n" % data).encode())
    data1 = tcpClient.recv(BUFSIZE)
    if not data1:
        break
    print(data1.strip().decode())
    tcpClient.close()
