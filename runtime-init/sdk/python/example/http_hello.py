#!/usr/bin/env python3
"""An HTTP handler on faas_sdk.serve_http (runtime-init/sdk/python): the design document's Python
handler, persistent. GET answers 200 with a greeting; GET /raise makes the handler raise (DONE 1)."""
from http.server import BaseHTTPRequestHandler

import faas_sdk


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/raise":
            raise RuntimeError("asked to fail")
        body = b"Hello from a persistent Python function!\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


faas_sdk.serve_http(Hello)
