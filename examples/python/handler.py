#!/usr/bin/env python3
# handler.py
import socket
import os
from http.server import BaseHTTPRequestHandler

class MyHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        response = b"Hello from my function!\n"
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', len(response))
        self.end_headers()
        self.wfile.write(response)

def main():
    # FaaS runtime provides socket FD via environment variable
    fd = int(os.environ['FAAS_CLIENT_FD'])
    sock = socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM)

    client_addr = sock.getpeername()
    MyHandler(sock, client_addr, None)
    sock.close()

if __name__ == '__main__':
    main()
