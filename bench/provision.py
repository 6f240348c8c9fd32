#!/usr/bin/env python3
"""camgate benchmark, provisioning section.

usage: bench/provision.py --binary PATH --simulator PATH [--quick]

  - the release tarball: `scripts/build-release --package-only BINARY` into a
    temporary directory; its size (xz) against the 8 MB OTA payload budget;
  - `camgate board` (profile detection and health, text output): hyperfine,
    mean and max, against 50 ms;
  - a fresh Debian 12 tree (debootstrap, cached) -> installed, enrolled
    against the cloud simulator and recording the test camera in one
    install.sh run (Tests/Fixtures/install_enroll_check.sh, root): the time
    of that run and of the first recorded segment.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import print_table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = "--quick" in sys.argv


def arg(name):
    return sys.argv[sys.argv.index(name) + 1]


def tarball(binary, out):
    subprocess.run([os.path.join(ROOT, "scripts", "build-release"), "--package-only", binary, out], check=True,
                   stdout=subprocess.DEVNULL)
    name = next(n for n in os.listdir(out) if n.endswith(".tar.xz"))
    return os.path.join(out, name)


def board_time(binary):
    runs = 20 if QUICK else 100
    with tempfile.TemporaryDirectory() as tmp:
        export = os.path.join(tmp, "h.json")
        subprocess.run(["hyperfine", "--warmup", "5", "--runs", str(runs), "--export-json", export, "-N",
                        f"{binary} board --profiles-dir {ROOT}/board/profiles"], check=True, stdout=subprocess.DEVNULL)
        result = json.load(open(export))["results"][0]
    return result["mean"] * 1000, result["max"] * 1000, runs


def first_boot(tar, simulator):
    out = subprocess.run(["sh", os.path.join(ROOT, "Tests", "Fixtures", "install_enroll_check.sh"), tar, simulator],
                         capture_output=True, text=True)
    m = re.search(r"# timing: install.sh ([\d.]+) s, first segment ([\d.]+|none) s", out.stdout)
    failed = [line for line in out.stdout.splitlines() if line.startswith("not ok")]
    return out.returncode == 0, (float(m.group(1)) if m else None), (m.group(2) if m else None), failed


def main():
    binary, simulator = arg("--binary"), arg("--simulator")
    with tempfile.TemporaryDirectory() as out:
        tar = tarball(binary, out)
        size = os.path.getsize(tar)
        mean, worst, runs = board_time(binary)
        ok, install_s, first_s, failed = first_boot(tar, simulator) if os.getuid() == 0 else (None, None, None, ["not root"])
    print("## provisioning (release binary)\n")
    rows = [
        ("release tarball (xz): binary, install.sh, unit, rules, profiles", f"{size / 1e6:.2f} MB", "<= 8 MB (OTA budget)", size <= 8e6),
        (f"camgate board, mean of {runs} (hyperfine)", f"{mean:.1f} ms", "<= 50 ms", mean <= 50),
        (f"camgate board, slowest of {runs}", f"{worst:.1f} ms", "<= 50 ms", worst <= 50),
        ("fresh Debian 12 tree -> installed, enrolled, recording: install.sh run", f"{install_s} s" if install_s else "n/a", "reported", ok),
        ("  first segment of the cloud's test camera, after install.sh began", f"{first_s} s" if first_s else "n/a", "reported", ok),
    ]
    print_table(rows)
    for line in failed:
        print(f"\n{line}")


if __name__ == "__main__":
    main()
