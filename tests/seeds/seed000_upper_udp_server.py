# The UDP server of seed article 000 (socketserver.ThreadingUDPServer whose
# handler sends data.upper() back), adapted only for a port from argv.
import socketserver
import sys


class Server(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data = self.request[0]
        server = self.request[1]
        print("receive client data : %s" % data.decode("u8"))
        server.sendto(data.upper(), self.client_address)


if __name__ == "__main__":
    server = socketserver.ThreadingUDPServer(
        server_address=("localhost", int(sys.argv[1])),
        RequestHandlerClass=Server
    )
    print("ready", flush=True)
    server.serve_forever()
