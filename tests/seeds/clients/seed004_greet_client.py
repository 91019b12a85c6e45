# A client for seed 004's concurrent server, written the way the article's
# server talks (the article prints no client): read the greeting, then send
# what the user types, print the answer, until "q".
import socket
import sys

b = socket.socket()
b.connect(("127.0.0.1", int(sys.argv[1])))
print(str(b.recv(1024), encoding="utf-8"))
while True:
    j = input(">")
    b.sendall(bytes(j, encoding="utf-8"))
    if j == "q":
        break
    print(str(b.recv(1024), encoding="utf-8"))
print("closed" if b.recv(1024) == b"" else "still open")
b.close()
