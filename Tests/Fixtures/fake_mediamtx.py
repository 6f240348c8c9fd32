#!/usr/bin/python3
"""A stand-in for MediaMTX's Control API v3 (MediaMTX has no package here),
following Tests/Fixtures/mediamtx/openapi.yaml: path configurations
(list/get/add/patch/replace/delete) and runtime paths, with MediaMTX's error
shape {"status": "error", "error": "..."} and its habits (unknown fields are
400; durations come back in Go's format, "300s" -> "5m0s"; a path that exists
cannot be added; changing a path's command counts as recreating it).

usage: fake_mediamtx.py CONFIG.yml        (as MediaMTX: reads apiAddress from it)
       fake_mediamtx.py --port N

Test hooks (not MediaMTX's): POST /fake/fault {"status": 500|null, "delay_s": n,
"methods": ["POST", ...] (the status only for these; default all)},
POST /fake/readers {"path": name, "readers": n, "ready": bool},
GET /fake/calls -> [[method, path], ...], POST /fake/exit.
"""
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
API = yaml.safe_load(open(os.path.join(HERE, "mediamtx", "openapi.yaml")))
SCHEMAS = API["components"]["schemas"]
PATHCONF = SCHEMAS["PathConf"]["properties"]
TYPES = {"boolean": bool, "string": str, "integer": int, "number": (int, float), "array": list, "object": dict}
DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h|d)$")

lock = threading.Lock()
confs = {}          # name -> dict
runtime = {}        # name -> {"readers": n, "ready": bool}
calls = []
fault = {"status": None, "delay_s": 0, "methods": None}


def go_duration(text):
    m = DURATION.match(text or "")
    if not m:
        return text
    seconds = float(m.group(1)) * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    if seconds < 1:
        return f"{int(round(seconds * 1000))}ms"
    h, rest = divmod(int(seconds), 3600)
    mnt, s = divmod(rest, 60)
    if h:
        return f"{h}h{mnt}m{s}s"
    if mnt:
        return f"{mnt}m{s}s"
    return f"{s}s"


def validate(body):
    if not isinstance(body, dict):
        return "json: cannot unmarshal into PathConf"
    for key, value in body.items():
        schema = PATHCONF.get(key)
        if schema is None:
            return f'json: unknown field "{key}"'
        if "$ref" in schema:
            schema = SCHEMAS[schema["$ref"].split("/")[-1]]
        t = schema.get("type")
        if value is not None and t in TYPES and not (isinstance(value, TYPES[t]) and not (t in ("integer", "number") and isinstance(value, bool))):
            return f"json: cannot unmarshal {type(value).__name__} into field {key} of type {t}"
    return None


def normalized(body):
    return {k: (go_duration(v) if isinstance(v, str) and DURATION.match(v) else v) for k, v in body.items()}


def default_paths():
    """pathDefaults of the reference mediamtx.yml, as MediaMTX answers them:
    a path added or replaced through the API starts from these, and "get" /
    "list" return every key (an empty command is "")."""
    reference = yaml.safe_load(open(os.path.join(HERE, "mediamtx", "mediamtx.yml")))["pathDefaults"]
    out = {}
    for key, value in reference.items():
        if key not in PATHCONF:
            continue
        if value is None and PATHCONF[key].get("type") == "string":
            value = ""
        out[key] = value
    return normalized(out)


DEFAULTS = default_paths()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def error(self, status, message):
        self.reply(status, {"status": "error", "error": message})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def handle_any(self, method):
        url = urlparse(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        body = self.body() if method in ("POST", "PATCH") else None
        if parts[:1] == ["fake"]:
            return self.fake(parts, body)
        with lock:
            calls.append([method, url.path])
        if fault["delay_s"]:
            time.sleep(fault["delay_s"])
        if fault["status"] and (not fault["methods"] or method in fault["methods"]):
            return self.error(fault["status"], "fault injected")
        if body is None and method in ("POST", "PATCH"):
            return self.error(400, "invalid JSON")
        with lock:
            if method == "GET" and parts == ["v3", "config", "global", "get"]:
                return self.reply(200, {"api": True, "apiAddress": ":9997"})
            if method == "GET" and parts == ["v3", "config", "paths", "list"]:
                return self.reply(200, page([dict(v, name=k) for k, v in sorted(confs.items())], query))
            if len(parts) == 5 and parts[:3] == ["v3", "config", "paths"]:
                action, name = parts[3], parts[4]
                if action == "get" and method == "GET":
                    return self.reply(200, dict(confs[name], name=name)) if name in confs else self.error(404, "path configuration not found")
                if action == "add" and method == "POST":
                    if name in confs:
                        return self.error(400, "path already exists")
                    problem = validate(body)
                    if problem:
                        return self.error(400, problem)
                    confs[name] = dict(DEFAULTS, **normalized(body))
                    return self.reply(200, {})
                if action in ("patch", "replace") and method in ("PATCH", "POST"):
                    if name not in confs:
                        return self.error(404, "path configuration not found")
                    problem = validate(body)
                    if problem:
                        return self.error(400, problem)
                    confs[name] = dict(DEFAULTS if action == "replace" else confs[name], **normalized(body))
                    return self.reply(200, {})
                if action == "delete" and method == "DELETE":
                    if name not in confs:
                        return self.error(404, "path configuration not found")
                    del confs[name]
                    return self.reply(200, {})
            if method == "GET" and parts == ["v3", "paths", "list"]:
                items = []
                for name in sorted(set(confs) | set(runtime)):
                    r = runtime.get(name, {})
                    readers = [{"type": "rtspSession", "id": f"r{i}"} for i in range(r.get("readers", 0))]
                    items.append({"name": name, "confName": name, "ready": r.get("ready", False), "available": r.get("ready", False),
                                  "online": r.get("ready", False), "source": None, "readers": readers})
                return self.reply(200, page(items, query))
        return self.error(404, "not found")

    def fake(self, parts, body):
        with lock:
            if parts == ["fake", "fault"]:
                fault.update(body or {})
                return self.reply(200, fault)
            if parts == ["fake", "readers"]:
                runtime[body["path"]] = {"readers": body.get("readers", 0), "ready": body.get("ready", True)}
                return self.reply(200, {})
            if parts == ["fake", "calls"]:
                return self.reply(200, calls)
            if parts == ["fake", "confs"]:
                return self.reply(200, confs)
            if parts == ["fake", "exit"]:
                threading.Thread(target=lambda: os._exit(0)).start()
                return self.reply(200, {})
        return self.error(404, "not found")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")


def page(items, query):
    per = int(query.get("itemsPerPage", ["100"])[0])
    number = int(query.get("page", ["0"])[0])
    count = len(items)
    return {"itemCount": count, "pageCount": (count + per - 1) // per if count else 0, "items": items[number * per:(number + 1) * per]}


def main():
    if sys.argv[1] == "--port":
        port = int(sys.argv[2])
    else:
        conf = yaml.safe_load(open(sys.argv[1])) or {}
        port = int(str(conf.get("apiAddress", ":9997")).rsplit(":", 1)[1])
        # Like MediaMTX, start with the paths of the file.
        for name, value in (conf.get("paths") or {}).items():
            if isinstance(value, dict) or value is None:
                confs[name] = dict(DEFAULTS, **normalized(value or {}))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"fake mediamtx listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
