#!/usr/bin/env python3
"""What the unit's sandbox costs, measured: runs `camgate run --demo` (the
agent plus its ffmpeg recorder and trial encodes) under strace for a few
seconds and checks what it did against the unit:

- every system call is allowed by its SystemCallFilter= lines (groups
  expanded with `systemd-analyze syscall-filter`),
- every socket family is in RestrictAddressFamilies=,
- with MemoryDenyWriteExecute=yes, no writable+executable mapping and no
  mprotect adding PROT_EXEC.

    unit_syscalls.py CAMGATE_BINARY [UNIT] [SECONDS]

One `ok - ` / `not ok - ` line per check; exit 1 when one failed. Not
covered by the demo: RTSP cameras and the cloud (AF_INET connect, in
@network-io), V4L2 and VAAPI devices (ioctl, mmap), MediaMTX (getifaddrs:
AF_NETLINK).
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Denied calls whose failure is known to be harmless, with the reason.
TOLERATED = {
    "fchown": "SQLite's robust_fchown runs only as root (this trace is root); the agent ignores EPERM on its own chown",
}

_groups: dict[str, set[str]] = {}


def expand(group: str) -> set[str]:
    if group in _groups:
        return _groups[group]
    out = subprocess.run(["systemd-analyze", "syscall-filter", group], capture_output=True, text=True, check=True).stdout
    names: set[str] = set()
    for line in out.splitlines()[1:]:
        word = line.strip().split(" ")[0] if line.strip() else ""
        if not word or word.startswith("#"):
            continue
        names |= expand(word) if word.startswith("@") and word != group else {word}
    _groups[group] = names
    return names


def names(spec: str) -> set[str]:
    result: set[str] = set()
    for item in spec.split():
        result |= expand(item) if item.startswith("@") else {item}
    return result


def unit_settings(path: Path) -> tuple[set[str], set[str], bool]:
    allowed: set[str] | None = None
    families: set[str] = set()
    mdwe = False
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "SystemCallFilter":
            if value.startswith("~"):
                allowed = (allowed or set()) - names(value[1:])
            else:
                allowed = (allowed or set()) | names(value)
        elif key == "RestrictAddressFamilies":
            families |= set(value.split())
        elif key == "MemoryDenyWriteExecute":
            mdwe = value.strip() == "yes"
    return allowed or set(), families, mdwe


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    binary = sys.argv[1]
    unit = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).parent / "../../board/systemd/camgate.service")
    seconds = sys.argv[3] if len(sys.argv) > 3 else "15"
    allowed, families, mdwe = unit_settings(unit)
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace"
        subprocess.run(["timeout", "-s", "TERM", seconds, "strace", "-f", "-qq", "-o", str(trace),
                        binary, "run", "--demo", "--data-dir", f"{tmp}/data"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        text = trace.read_text()
    calls = set(re.findall(r"^\d+ +(?:<\.\.\. )?([a-z0-9_]+)[( ]", text, re.M)) - {"exited", "killed", "resumed"}
    failed = 0

    def report(good: bool, what: str) -> None:
        nonlocal failed
        failed += not good
        print(("ok - " if good else "not ok - ") + what)

    denied = sorted(calls - allowed)
    for call in denied:
        report(call in TOLERATED, f"{call}: denied (EPERM) by SystemCallFilter; " + TOLERATED.get(call, "not known to be harmless"))
    report(True, f"{len(calls)} system calls used; {len(calls) - len(denied)} allowed by SystemCallFilter")
    used_families = set(re.findall(r"socket\((AF_[A-Z0-9]+)", text))
    report(used_families <= families, f"socket families used {sorted(used_families)} within RestrictAddressFamilies {sorted(families)}")
    wx = re.findall(r"mmap\([^)\n]*PROT_WRITE\|PROT_EXEC|mprotect\([^)\n]*PROT_EXEC", text)
    report(not mdwe or not wx, f"MemoryDenyWriteExecute={'yes' if mdwe else 'no'}: {len(wx)} W+X mapping(s) or mprotect(PROT_EXEC)")
    execs = len(re.findall(r"execve\(\"/usr/bin/ffmpeg\"", text))
    report(execs > 0, f"the trace covers ffmpeg ({execs} ffmpeg processes)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
