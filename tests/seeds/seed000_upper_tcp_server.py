# The TCP server of seed article 000 (socketserver.ThreadingTCPServer whose
# handler sends data.upper() back), adapted only for a port from argv.
import socketserver
import sys


class Server(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        print("%s connect server" % self.client_address[0])
        while 1:
            try:
                data = self.request.recv(1024)
                if not data:
                    break
                print("receive client data : %s" % data.decode("u8"))
                self.request.send(data.upper())
            except ConnectionResetError as e:
                break
        print("%s close connect" % self.client_address[0])
        self.request.close()


if __name__ == "__main__":
    server = socketserver.ThreadingTCPServer(
        server_address=("localhost", int(sys.argv[1])),
        RequestHandlerClass=Server
    )
    print("ready", flush=True)
    server.serve_forever()
