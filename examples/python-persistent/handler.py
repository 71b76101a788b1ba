#!/usr/bin/env python3
# handler.py: the design document's Python example (examples/python/handler.py) in persistent mode.
# MyHandler is the design's class, copied unchanged; instead of building one socket from
# FAAS_CLIENT_FD and exiting, the process hands the class to the SDK (runtime-init/sdk/python, on
# PYTHONPATH in faas-runtime:python), which takes one connection after another from the pool and
# constructs MyHandler(sock, client_address, None) on each. The interpreter starts and imports once.
from http.server import BaseHTTPRequestHandler

import faas_sdk

class MyHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        response = b"Hello from my function!\n"
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', len(response))
        self.end_headers()
        self.wfile.write(response)

if __name__ == '__main__':
    faas_sdk.serve_http(MyHandler)
