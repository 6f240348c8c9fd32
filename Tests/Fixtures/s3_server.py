#!/usr/bin/env python3
"""A real S3 endpoint for tests: moto's S3 server (PyPI moto[server], the
same WSGI app `moto_server` runs) on a free loopback port, with a bucket.

usage: .venv-test/bin/python Tests/Fixtures/s3_server.py [--port 0] [--bucket camgate-test]
Prints "ready PORT" once it listens and the bucket exists. Kill it (SIGTERM)
to simulate the endpoint going away; start it again on the same --port to
bring it back (moto keeps nothing: the bucket is made again, uploads are gone).

Credentials: any; boto3 needs some, so AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
default to "testing" here and in s3_presign.py.
Note: moto's development server does not answer `Expect: 100-continue`, and
it does not enforce a presigned URL's expiry (a late PUT still succeeds).
"""
import argparse
import logging
import os
import signal
import sys
import threading

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--bucket", default="camgate-test")
    parser.add_argument("--log-requests", action="store_true", help="log each request on stderr")
    args = parser.parse_args()
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = boto3.client("s3", endpoint_url="http://%s:%d" % (host, port), region_name="us-east-1")
    s3.create_bucket(Bucket=args.bucket)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", port, flush=True)
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
