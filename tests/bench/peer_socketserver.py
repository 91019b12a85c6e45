# Python's socketserver doing what the seed's upper servers do, for the
# benchmark: the seed 000 handlers, without their prints.
#   peer_socketserver.py ThreadingTCPServer|ForkingTCPServer|
#                        ThreadingUDPServer|ThreadingUnixStreamServer ADDR
import os
import socketserver
import sys


class Stream(socketserver.BaseRequestHandler):
    def handle(self):
        while 1:
            try:
                data = self.request.recv(1024)
                if not data:
                    break
                self.request.send(data.upper())
            except ConnectionResetError:
                break
        self.request.close()


class Datagram(socketserver.BaseRequestHandler):
    def handle(self):
        data, server = self.request
        server.sendto(data.upper(), self.client_address)


kind, addr = sys.argv[1], sys.argv[2]
cls = getattr(socketserver, kind)
if kind.startswith("ThreadingUnix"):
    if os.path.exists(addr):
        os.unlink(addr)
    address = addr
else:
    host, port = addr.rsplit(":", 1)
    address = (host, int(port))
server = cls(address, Datagram if "UDP" in kind else Stream)
server.daemon_threads = True
bound = server.server_address
print("listening on " + (bound if isinstance(bound, str) else
                         f"{bound[0]}:{bound[1]}"), file=sys.stderr,
      flush=True)
server.serve_forever()
