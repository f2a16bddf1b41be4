#!/usr/bin/env python3
"""A hostile S3 endpoint for omnistore's tests: a proxy in front of moto.

moto serves S3 correctly, so it cannot play a server that misbehaves. This
proxy forwards every request to moto unchanged, except a GET whose path
matches --endless: that one is answered 200 with a body that never ends
(chunked, no Content-Length), the way a broken or malicious server would
fill a disk or a process's memory.

Usage: hostile_s3.py --upstream http://127.0.0.1:PORT --port-file FILE --endless REGEX
"""
import argparse
import http.client
import http.server
import re
import sys
import urllib.parse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--endless", required=True, help="regex on the request path")
    args = p.parse_args()
    upstream = urllib.parse.urlsplit(args.upstream)
    endless = re.compile(args.endless)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def _endless(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"\0" * (1 << 16)
            frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
            try:
                while True:
                    self.wfile.write(frame)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
            conn.request(self.command, self.path, body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
            self.send_response(reply.status)
            for k, v in reply.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            conn.close()

        def _handle(self):
            if self.command == "GET" and endless.search(urllib.parse.urlsplit(self.path).path):
                return self._endless()
            return self._forward()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(f"{server.server_address[1]}\n")
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
