#!/usr/bin/env python3
"""A real S3 endpoint for tests: moto's S3 server (PyPI moto[server], the
same WSGI app `moto_server` runs) on a free loopback port, with a bucket.

usage: .venv-test/bin/python Tests/Fixtures/s3_server.py [--port 0] [--bucket camgate-test]
Prints "ready PORT" once it listens and the bucket exists. Kill it (SIGTERM)
to simulate the endpoint going away; start it again on the same --port to
bring it back (moto keeps nothing: the bucket is made again, uploads are gone);
for an outage that keeps the uploads, use /__camgate/down below.

Credentials: any; boto3 needs some, so AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
default to "testing" here and in s3_presign.py.
Note: moto's development server does not answer `Expect: 100-continue`, and
it does not enforce a presigned URL's expiry; the middleware below does.

Like real S3 (and unlike moto alone), a presigned request whose X-Amz-Date
plus X-Amz-Expires is past is refused: 403 AccessDenied "Request has
expired". Control endpoints for tests (never in a real S3):
  POST /__camgate/faults {"complete_statuses": [500], "wrong_etags": 1, "part_statuses": [503]}
       the next Completes / PUTs answer those statuses (without reaching
       moto); `wrong_etags`: the next N PUTs are stored but answered with an
       ETag that is not their MD5.
  POST /__camgate/faults {"check_content_md5": true, "bad_digests": 1}
       from now on every PUT's Content-MD5 is checked as S3 does (moto
       ignores it): absent or not the MD5 of the body received → 400
       BadDigest; the log's entry says "content_md5": "valid", "invalid"
       or "absent". `bad_digests`: the next N PUTs are answered 400
       BadDigest whatever they hold (bytes damaged on the way).
  POST /__camgate/faults {"sse_kms": true}  from now on, like a bucket
       with SSE-KMS: every PUT is answered `x-amz-server-side-encryption:
       aws:kms` and an ETag of 32 hex digits that is not the MD5 of its
       bytes; a Complete naming those ETags is passed to moto with its own.
  POST /__camgate/down {"seconds": 60}  stop listening, reset every open
       connection, listen again after that long, or at once on SIGUSR1
       (moto keeps its state: the same process).
  GET  /__camgate/log  every S3 request: method, path, part, upload_id, bytes, status,
       t0 (arrived) and t1 (answered; the body was read), `time.time()` seconds,
       and, with --credentials-file, signature: "valid" or "invalid" for a
       presigned request.

--credentials-file PATH ({"access_key_id", "secret_access_key"}, the agent's
standalone `s3.credentials_file`): every presigned request (X-Amz-Signature in
the query) is checked here, by a SigV4 query-string verifier written from the
AWS documentation (moto checks no presigned signature); a mismatch is refused
403 SignatureDoesNotMatch like S3. At start the verifier is checked against a
URL botocore presigns (accepted) and the same URL with one signature digit
changed (refused), so it cannot pass everything by mistake.
"""
import argparse
import base64
import calendar
import hashlib
import hmac
import io
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402


class Middleware:
    """Expiry like S3, faults, a request log and an outage switch around moto's app."""

    def __init__(self, app, credentials=None):
        self.app = app
        self.credentials = credentials
        self.lock = threading.Lock()
        self.log = []
        self.complete_statuses = []
        self.part_statuses = []
        self.wrong_etags = 0
        self.sse_kms = False
        self.kms_etags = {}
        self.check_content_md5 = False
        self.bad_digests = 0
        self.sockets = set()
        self.down = False

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__camgate/"):
            return self.control(environ, start_response, path)
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        method = environ["REQUEST_METHOD"]
        entry = {"method": method, "path": path, "part": (query.get("partNumber") or [None])[0],
                 "upload_id": (query.get("uploadId") or [None])[0], "bytes": int(environ.get("CONTENT_LENGTH") or 0),
                 "t0": time.time()}
        sock = environ.get("werkzeug.socket")
        with self.lock:
            self.log.append(entry)
            if sock is not None:
                self.sockets.add(sock)
        try:
            return self.answer(environ, start_response, method, query, entry)
        finally:
            with self.lock:
                self.sockets.discard(sock)

    def answer(self, environ, start_response, method, query, entry):
        if self.credentials and "X-Amz-Signature" in query:
            entry["signature"] = "valid" if verify_presigned(method, environ, self.credentials) else "invalid"
            if entry["signature"] == "invalid":
                environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                return self.error(start_response, entry, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match")
        if expired(query):
            return self.error(start_response, entry, 403, "AccessDenied", "Request has expired")
        fault = self.take_fault(method, query)
        if fault:
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            return self.error(start_response, entry, fault, "InternalError", "fault injected")
        if method == "PUT" and (self.check_content_md5 or self.bad_digests):
            refused = self.digest_check(environ, entry)
            if refused:
                return self.error(start_response, entry, 400, "BadDigest", refused)
        wrong = method == "PUT" and self.take_wrong_etag()
        kms = self.sse_kms
        if kms and method == "POST" and "uploadId" in query:
            self.kms_complete(environ)

        def recording_start(status, headers, exc_info=None):
            entry["status"] = int(status.split()[0])
            entry["t1"] = time.time()
            if wrong:
                headers = [(k, v) for k, v in headers if k.lower() != "etag"] + [("ETag", '"%s"' % hashlib.md5(b"wrong").hexdigest())]
            elif kms and method == "PUT":
                headers = self.kms_headers(headers)
            return start_response(status, headers, exc_info)
        return self.app(environ, recording_start)

    def take_fault(self, method, query):
        with self.lock:
            if method == "POST" and "uploadId" in query and self.complete_statuses:
                return self.complete_statuses.pop(0)
            if method == "PUT" and self.part_statuses:
                return self.part_statuses.pop(0)
        return None

    def digest_check(self, environ, entry):
        """S3's Content-MD5 check on a PUT (the body read here, then handed to moto); the refusal's reason or None."""
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        sent = environ.get("HTTP_CONTENT_MD5")
        entry["content_md5"] = "absent" if sent is None else (
            "valid" if sent == base64.b64encode(hashlib.md5(body).digest()).decode() else "invalid")
        with self.lock:
            if self.bad_digests > 0:
                self.bad_digests -= 1
                return "fault injected: the bytes were damaged on the way"
        if self.check_content_md5 and entry["content_md5"] != "valid":
            return "The Content-MD5 you specified did not match what we received."
        return None

    def kms_headers(self, headers):
        """A PUT's answer as under SSE-KMS: the header, and an opaque ETag remembered against moto's."""
        real = next((v for k, v in headers if k.lower() == "etag"), None)
        if real is None:
            return headers
        opaque = '"%s"' % hashlib.md5(b"kms:" + real.encode()).hexdigest()
        with self.lock:
            self.kms_etags[opaque.strip('"')] = real.strip('"')
        return [(k, v) for k, v in headers if k.lower() != "etag"] + [("ETag", opaque), ("x-amz-server-side-encryption", "aws:kms")]

    def kms_complete(self, environ):
        """The Complete's body with moto's own ETags in place of the opaque ones."""
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        with self.lock:
            for opaque, real in self.kms_etags.items():
                body = body.replace(opaque, real)
        data = body.encode()
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))

    def take_wrong_etag(self):
        with self.lock:
            if self.wrong_etags > 0:
                self.wrong_etags -= 1
                return True
        return False

    def error(self, start_response, entry, status, code, message):
        entry["status"] = status
        entry["t1"] = time.time()
        body = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>' % (code, message)).encode()
        start_response("%d %s" % (status, code), [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]

    def control(self, environ, start_response, path):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        answer = {}
        if path == "/__camgate/faults":
            with self.lock:
                self.complete_statuses = list(body.get("complete_statuses", self.complete_statuses))
                self.part_statuses = list(body.get("part_statuses", self.part_statuses))
                self.wrong_etags = int(body.get("wrong_etags", self.wrong_etags))
                self.sse_kms = bool(body.get("sse_kms", self.sse_kms))
                self.check_content_md5 = bool(body.get("check_content_md5", self.check_content_md5))
                self.bad_digests = int(body.get("bad_digests", self.bad_digests))
        elif path == "/__camgate/log":
            with self.lock:
                answer = {"requests": list(self.log)}
        elif path == "/__camgate/down":
            threading.Thread(target=SERVER.outage, args=(float(body.get("seconds", 60)),), daemon=True).start()
        data = json.dumps(answer).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def reset_connections(self):
        with self.lock:
            sockets = list(self.sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def quote(text):
    return urllib.parse.quote(text, safe="-_.~")


def verify_presigned(method, environ, credentials):
    """SigV4, query-string form (AWS: "Authenticating Requests: Using Query
    Parameters"): the canonical request from what arrived on the wire."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or ""
    path, _, raw_query = raw.partition("?")
    pairs = [p.split("=", 1) + [""] for p in raw_query.split("&") if p]
    params = [(urllib.parse.unquote(k), urllib.parse.unquote(v[0] if v else "")) for k, *v in pairs]
    given = dict(params).get("X-Amz-Signature", "")
    query = "&".join("%s=%s" % kv for kv in sorted((quote(k), quote(v)) for k, v in params if k != "X-Amz-Signature"))
    values = dict(params)
    signed = values.get("X-Amz-SignedHeaders", "")
    headers = "".join("%s:%s\n" % (h, " ".join((environ.get("HTTP_" + h.upper().replace("-", "_")) or "").split()))
                      for h in signed.split(";"))
    canonical = "\n".join([method, path or "/", query, headers, signed, "UNSIGNED-PAYLOAD"])
    credential = values.get("X-Amz-Credential", "").split("/")
    if len(credential) != 5 or credential[0] != credentials["access_key_id"]:
        return False
    date, scope = values.get("X-Amz-Date", ""), "/".join(credential[1:])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + credentials["secret_access_key"]).encode()
    for part in credential[1:]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def check_verifier(port, credentials):
    """The verifier accepts botocore's own presigned URL and refuses it with one digit changed."""
    from botocore.config import Config
    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                      aws_access_key_id=credentials["access_key_id"], aws_secret_access_key=credentials["secret_access_key"],
                      config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    url = s3.generate_presigned_url("put_object", Params={"Bucket": "camgate-test", "Key": "a/b c.ts"}, ExpiresIn=600)
    parsed = urllib.parse.urlsplit(url)
    environ = {"REQUEST_URI": parsed.path + "?" + parsed.query, "HTTP_HOST": parsed.netloc}
    good = verify_presigned("PUT", environ, credentials)
    signature = parsed.query.rsplit("X-Amz-Signature=", 1)[1][:64]
    tampered = parsed.query.replace(signature, signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    bad = verify_presigned("PUT", dict(environ, REQUEST_URI=parsed.path + "?" + tampered), credentials)
    if not good or bad:
        raise SystemExit("the SigV4 verifier is wrong (botocore's URL accepted: %s, tampered accepted: %s)" % (good, bad))


def expired(query):
    date, expires = (query.get("X-Amz-Date") or [None])[0], (query.get("X-Amz-Expires") or [None])[0]
    if not date or not expires:
        return False
    try:
        signed = calendar.timegm(time.strptime(date, "%Y%m%dT%H%M%SZ"))
        return time.time() > signed + int(expires)
    except ValueError:
        return True


class Server:
    def __init__(self, port, credentials=None):
        self.middleware = Middleware(DomainDispatcherApplication(create_backend_app), credentials)
        self.port = port
        self.server = None
        self.up = threading.Event()
        self.start()

    def start(self):
        self.server = make_server("127.0.0.1", self.port, self.middleware, True, request_handler=MotoRequestHandler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def outage(self, seconds):
        print("down for", seconds, "s", flush=True)
        server = self.server
        server.shutdown()
        server.server_close()
        self.middleware.reset_connections()
        self.up.clear()
        self.up.wait(seconds)
        self.start()
        print("up again", flush=True)


SERVER = None


def main():
    global SERVER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--bucket", default="camgate-test")
    parser.add_argument("--log-requests", action="store_true", help="log each request on stderr")
    parser.add_argument("--credentials-file", help="verify presigned requests signed with this key pair (JSON)")
    args = parser.parse_args()
    credentials = None
    if args.credentials_file:
        with open(args.credentials_file) as f:
            credentials = json.load(f)
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    SERVER = Server(args.port, credentials)
    if credentials:
        check_verifier(SERVER.port, credentials)
        print("sigv4 verifier: accepts botocore's presigned URL, refuses a tampered one", flush=True)
    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % SERVER.port, region_name="us-east-1")
    s3.create_bucket(Bucket=args.bucket)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: SERVER.up.set())
    print("ready", SERVER.port, flush=True)
    # Ends with the test process that started it, even when that one could not stop it (killed, or it exited first).
    parent = os.getppid()
    while not stop.wait(1.0) and os.getppid() == parent:
        pass
    SERVER.server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
