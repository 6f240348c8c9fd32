#!/usr/bin/env python3
"""camgate benchmark, uploads section (issue 12): the long outage, literally.

usage: bench/upload_outage.py --binary PATH [--outage-s 600] [--segment-s 5]

A standalone agent (`s3` block, upload.mode all) records one test camera
(640x360, 15 fps, libx264) in 5 s segments. The S3 endpoint (moto with the
test fixture around it, Tests/Fixtures/s3_server.py) is down from the first
second for --outage-s seconds (10 minutes by default), so some 120 segments
queue up while the camera keeps recording; then it comes back. When every
segment that finished up to the end of the outage is uploaded, the agent is
stopped and the bucket compared with the disk: a segment lost has no object
equal (sha256) to its file; a segment uploaded twice has more than one
successful PUT in the fixture's log. Targets: 0 and 0.
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import stop_process, wait_for  # noqa: E402
from upload import S3, agent_uploads, spawn  # noqa: E402


def arg(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def write_config(base, s3, segment_s):
    credentials = os.path.join(base, "s3-credentials.json")
    with open(credentials, "w") as f:
        json.dump({"access_key_id": "AKIDOUTAGE", "secret_access_key": "outage-bench-secret"}, f)
    os.chmod(credentials, 0o600)
    config = os.path.join(base, "config.json")
    with open(config, "w") as f:
        json.dump({"cameras": {"front": {"source": {"kind": "test", "size": "640x360", "fps": 15}, "record": True}},
                   "recording": {"segment_seconds": segment_s, "retain_days": 1, "min_free_percent": 1},
                   "upload": {"mode": "all"},
                   "s3": {"endpoint": s3.endpoint, "bucket": "camgate-test", "credentials_file": credentials}}, f)
    return config


def segments_on_disk(data):
    root = os.path.join(data, "recordings", "front")
    out = {}
    for day in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        for name in sorted(os.listdir(os.path.join(root, day))):
            out[name] = os.path.join(root, day, name)
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    binary = arg("--binary")
    outage, segment_s = int(arg("--outage-s", "600")), int(arg("--segment-s", "5"))
    base = tempfile.mkdtemp(prefix="camgate-bench-outage-")
    camgate = os.path.join(base, "camgate")
    shutil.copy2(binary, camgate)
    s3 = S3(base)
    agent = None
    try:
        config, data = write_config(base, s3, segment_s), os.path.join(base, "data")
        s3.down(outage)
        t0 = time.time()
        agent = spawn([camgate, "run", "--config", config, "--data-dir", data], os.path.join(base, "agent.log"))
        print(f"S3 down for {outage} s while the camera records {segment_s} s segments...", file=sys.stderr, flush=True)
        time.sleep(max(0, outage - (time.time() - t0)))
        back = time.time()
        queued_at_end = agent_uploads(data)
        finished = {n for n, p in segments_on_disk(data).items()}
        # Every segment that existed when S3 came back, uploaded (the newest may still be open: give it one more rotation).
        def drained():
            u = agent_uploads(data)
            return u.get("queued", 1) == 0 and u.get("uploading", 1) == 0 and u.get("done", 0) >= len(finished) - 1
        ok = wait_for(drained, 600, 1)
        drained_s = time.time() - back
        stop_process(agent)
        agent = None
        report(s3, data, finished, outage, segment_s, queued_at_end, drained_s, ok)
    finally:
        if agent:
            stop_process(agent)
        s3.proc.kill()
    shutil.rmtree(base, ignore_errors=True)


def report(s3, data, finished, outage, segment_s, queued_at_end, drained_s, ok):
    disk = segments_on_disk(data)
    objects = s3.objects()
    puts = {}
    for r in s3.requests():
        if r["method"] == "PUT" and r.get("status") == 200 and not r.get("upload_id"):
            puts[os.path.basename(r["path"])] = puts.get(os.path.basename(r["path"]), 0) + 1
    by_name = {os.path.basename(k): v for k, v in objects.items()}
    lost = [n for n in sorted(finished) if n in disk and by_name.get(n, {}).get("sha256") != sha256(disk[n])]
    twice = [n for n, c in puts.items() if c > 1]
    print(f"## Uploads over a long outage (issue 12) — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC")
    print(f"| measure | value | target | ok |\n|---|---|---|---|")
    print(f"| S3 down, {segment_s} s segments recorded meanwhile | {outage} s | 600 s | {'yes' if outage >= 600 else 'NO'} |")
    print(f"| segments queued when S3 came back | {queued_at_end.get('queued')} (+{queued_at_end.get('uploading')} uploading) | >= 100 | "
          f"{'yes' if (queued_at_end.get('queued') or 0) >= 100 else 'NO'} |")
    print(f"| S3 back -> all of them uploaded | {drained_s:.1f} s | | {'yes' if ok else 'NO'} |")
    print(f"| segments lost / uploaded twice (of {len(finished)} on disk at the end of the outage) | {len(lost)} / {len(twice)} | 0 / 0 | "
          f"{'yes' if ok and not lost and not twice else 'NO'} |")
    if lost or twice:
        print(f"lost: {lost[:10]}; twice: {twice[:10]}")
    return 0


if __name__ == "__main__":
    main()
