#!/usr/bin/env python3
"""Serves a release directory over HTTP on loopback for `camgate ota apply URL`
tests: GET with Range (206), every request logged to LOG as "PATH RANGE", and
`--cut NAME:BYTES` closes the connection after BYTES of NAME's body once (a
download cut off, to be resumed); `--pause NAME:BYTES:GOFILE` sends BYTES of
NAME's body, then waits (at most 60 s) for GOFILE to exist before the rest
(the test does something mid-download, e.g. fills the disk).

    release_server.py DIR PORT LOG [--cut NAME:BYTES] [--pause NAME:BYTES:GOFILE]
"""
import http.server
import os
import sys

root, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import time

flags = dict(zip(sys.argv[4::2], sys.argv[5::2]))
cut = dict([flags["--cut"].split(":")]) if "--cut" in flags else {}
pause = {}
if "--pause" in flags:
    p_name, p_bytes, p_go = flags["--pause"].split(":", 2)
    pause[p_name] = (int(p_bytes), p_go)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        name = self.path.lstrip("/")
        rng = self.headers.get("Range", "")
        with open(log, "a") as f:
            f.write(f"{name} {rng or '-'}\n")
        path = os.path.join(root, name)
        if "/" in name or not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        start = int(rng[6:].split("-")[0]) if rng.startswith("bytes=") else 0
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        limit = int(cut.pop(name, len(body)))
        if name in pause:
            first, go = pause.pop(name)
            self.wfile.write(body[:first])
            self.wfile.flush()
            deadline = time.time() + 60
            while not os.path.exists(go) and time.time() < deadline:
                time.sleep(0.05)
            body, limit = body[first:], limit - first
        try:
            self.wfile.write(body[:limit])
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
