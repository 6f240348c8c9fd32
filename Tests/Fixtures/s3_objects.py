#!/usr/bin/env python3
"""Lists a bucket's objects with their size, ETag and sha256 (read back), as JSON.

usage: .venv-test/bin/python Tests/Fixtures/s3_objects.py --endpoint URL [--bucket camgate-test]
"""
import argparse
import hashlib
import json
import os

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", default="camgate-test")
    args = parser.parse_args()
    s3 = boto3.client("s3", endpoint_url=args.endpoint, region_name="us-east-1")
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=args.bucket, Key=item["Key"])["Body"].read()
            out[item["Key"]] = {"size": len(body), "etag": item["ETag"], "sha256": hashlib.sha256(body).hexdigest()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
