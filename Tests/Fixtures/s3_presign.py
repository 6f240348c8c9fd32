#!/usr/bin/env python3
"""Presigns S3 uploads the way the cloud does for `POST /v1/devices/{id}/uploads`
(docs/protocol.md, "Uploads"), for the cloud simulator and tests. boto3 comes
with moto[server] in .venv-test (scripts/setup).

usage (run with .venv-test/bin/python):
  s3_presign.py put       --endpoint URL --bucket B --key K [--expires S]
  s3_presign.py multipart --endpoint URL --bucket B --key K --size N [--part-size N] [--expires S]
  s3_presign.py fresh     --endpoint URL --bucket B --key K --size N --upload-id ID [--parts 2,3] [--part-size N]
  s3_presign.py selftest  [--endpoint URL --bucket B] [--seed N]
Each prints the answer's JSON ({"put": ...} or {"multipart": ...}) on stdout.
`selftest` starts its own moto server unless --endpoint is given, PUTs a
17 MiB file in 3 presigned parts with curl, completes it with curl, reads the
object back and compares sha256; exit 0 and "selftest passed" when it holds.
"""
import argparse
import datetime
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

MIB = 1 << 20
MIN_PART, MAX_PART, MAX_PARTS = 5 * MIB, 5 << 30, 10_000
DEFAULT_PART = 8 * MIB


def client(endpoint):
    # Path-style: a loopback endpoint has no per-bucket host names.
    return boto3.client("s3", endpoint_url=endpoint, region_name=os.environ["AWS_DEFAULT_REGION"],
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def expires_at(seconds):
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def part_size_for(size, preferred=DEFAULT_PART):
    """CamgateCore's MultipartPlan.partSize: grow in MiB steps to fit 10,000 parts."""
    needed = -(-size // MAX_PARTS)
    return max(preferred, -(-needed // MIB) * MIB)


def presign_put(s3, bucket, key, expires):
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires, HttpMethod="PUT")
    return {"put": {"url": url, "expires_at": expires_at(expires)}}


def presign_parts(s3, bucket, key, upload_id, size, part_size, expires, only=None):
    count = -(-size // part_size)
    if part_size < MIN_PART or part_size > MAX_PART or count > MAX_PARTS:
        raise SystemExit("part size %d does not fit S3's rules for %d bytes" % (part_size, size))
    numbers = [n for n in range(1, count + 1) if only is None or n in only]
    parts = [{"number": n, "url": s3.generate_presigned_url(
        "upload_part", Params={"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": n},
        ExpiresIn=expires, HttpMethod="PUT")} for n in numbers]
    complete = s3.generate_presigned_url("complete_multipart_upload", Params={"Bucket": bucket, "Key": key, "UploadId": upload_id},
                                         ExpiresIn=expires, HttpMethod="POST")
    return {"multipart": {"upload_id": upload_id, "part_size": part_size, "parts": parts,
                          "complete_url": complete, "expires_at": expires_at(expires)}}


def presign_multipart(s3, bucket, key, size, part_size, expires):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    return presign_parts(s3, bucket, key, upload_id, size, part_size, expires)


def complete_body(etags):
    """The CompleteMultipartUpload XML the device POSTs to complete_url."""
    parts = "".join("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (n, etags[n]) for n in sorted(etags))
    return '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>%s</CompleteMultipartUpload>' % parts


def curl(args):
    # `Expect:` off: moto's development server never answers 100-continue.
    out = subprocess.run(["curl", "-sS", "-H", "Expect:", "-D", "-", "-o", "/dev/null", "-w", "%{http_code}"] + args,
                         check=True, capture_output=True, text=True).stdout
    status = int(out[-3:])
    etag = re.search(r"(?im)^etag:\s*(\S+)", out)
    return status, etag.group(1) if etag else None


def upload_file_multipart(answer, path, size):
    plan = answer["multipart"]
    etags = {}
    with open(path, "rb") as f, tempfile.TemporaryDirectory() as tmp:
        for part in plan["parts"]:
            f.seek((part["number"] - 1) * plan["part_size"])
            data = f.read(plan["part_size"])
            chunk = os.path.join(tmp, "part")
            with open(chunk, "wb") as c:
                c.write(data)
            status, etag = curl(["-T", chunk, part["url"]])
            assert status == 200, "part %d: HTTP %d" % (part["number"], status)
            assert etag and etag.strip('"') == hashlib.md5(data).hexdigest(), "part %d: ETag %s is not its MD5" % (part["number"], etag)
            etags[part["number"]] = etag
        body = os.path.join(tmp, "complete.xml")
        with open(body, "w") as b:
            b.write(complete_body(etags))
        out = subprocess.run(["curl", "-sS", "-f", "-X", "POST", "-H", "Expect:", "-H", "Content-Type: application/xml", "--data-binary", "@" + body, plan["complete_url"]],
                             check=True, capture_output=True, text=True).stdout
    etag = re.search(r"<ETag>(.*?)</ETag>", out).group(1).replace("&quot;", '"')
    return etags, etag


def selftest(args):
    server = None
    endpoint, bucket = args.endpoint, args.bucket
    if endpoint is None:
        import logging
        from moto.server import ThreadedMotoServer
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        endpoint = "http://127.0.0.1:%d" % server.get_host_and_port()[1]
    s3 = client(endpoint)
    if server:
        s3.create_bucket(Bucket=bucket)
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    print("selftest: endpoint %s bucket %s seed %d" % (endpoint, bucket, seed), flush=True)
    size = 17 * MIB
    data = random.Random(seed).randbytes(size)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "segment.ts")
        with open(path, "wb") as f:
            f.write(data)
        key = "selftest/dev-1/cam-1/2026/11/29/20261129T220000Z.ts"
        answer = presign_multipart(s3, bucket, key, size, part_size_for(size), 900)
        assert len(answer["multipart"]["parts"]) == 3, answer
        etags, etag = upload_file_multipart(answer, path, size)
        digests = b"".join(bytes.fromhex(etags[n].strip('"')) for n in sorted(etags))
        assert etag.strip('"') == "%s-3" % hashlib.md5(digests).hexdigest(), "object ETag %s" % etag
        back = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.sha256(back).hexdigest() == hashlib.sha256(data).hexdigest(), "sha256 differs"
        print("ok multipart: 3 parts (8+8+1 MiB), part ETags are MD5s, object ETag %s, sha256 %s equal"
              % (etag, hashlib.sha256(back).hexdigest()[:16]), flush=True)

        small = os.path.join(tmp, "small.ts")
        with open(small, "wb") as f:
            f.write(data[:MIB])
        put = presign_put(s3, bucket, "selftest/small.ts", 900)
        status, etag = curl(["-T", small, put["put"]["url"]])
        assert status == 200 and etag.strip('"') == hashlib.md5(data[:MIB]).hexdigest(), (status, etag)
        assert s3.get_object(Bucket=bucket, Key="selftest/small.ts")["Body"].read() == data[:MIB]
        print("ok single PUT: 1 MiB, ETag is its MD5", flush=True)

        late = presign_put(s3, bucket, "selftest/late.ts", 1)
        time.sleep(2)
        status, _ = curl(["-T", small, late["put"]["url"]])
        print("note: a PUT 1 s after its presign expired got HTTP %d (real S3: 403 AccessDenied \"Request has expired\")" % status, flush=True)
    if server:
        server.stop()
    print("selftest passed", flush=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description="Presign S3 uploads (docs/protocol.md, Uploads)")
    parser.add_argument("action", choices=["put", "multipart", "fresh", "selftest"])
    parser.add_argument("--endpoint")
    parser.add_argument("--bucket", default="camgate-test")
    parser.add_argument("--key")
    parser.add_argument("--size", type=int)
    parser.add_argument("--part-size", type=int)
    parser.add_argument("--upload-id")
    parser.add_argument("--parts", help="comma-separated part numbers (fresh: only these)")
    parser.add_argument("--expires", type=int, default=900, help="seconds (S3: at most 604800)")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    if args.action == "selftest":
        return selftest(args)
    if not args.endpoint or not args.key:
        parser.error("--endpoint and --key are required")
    s3 = client(args.endpoint)
    if args.action == "put":
        answer = presign_put(s3, args.bucket, args.key, args.expires)
    else:
        if args.size is None:
            parser.error("--size is required")
        part_size = args.part_size or part_size_for(args.size)
        if args.action == "multipart":
            answer = presign_multipart(s3, args.bucket, args.key, args.size, part_size, args.expires)
        else:
            if not args.upload_id:
                parser.error("--upload-id is required")
            only = {int(n) for n in args.parts.split(",")} if args.parts else None
            answer = presign_parts(s3, args.bucket, args.key, args.upload_id, args.size, part_size, args.expires, only)
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
