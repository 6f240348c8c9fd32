#!/usr/bin/env python3
"""camgate benchmark, reliability section: a full disk.

usage: bench/reliability.py --binary PATH [--quick]

Needs root (a 24 MB tmpfs is mounted in a mount namespace of its own with
`unshare -m`, so nothing outside sees or fills it). Two runs:
  - disk-full run: one 720p test camera (15 fps), 2 s segments,
    min_free_percent 30, for 600 s (60 s with --quick). The free space is
    sampled every 200 ms through /proc/PID/root and the index read every 2 s
    (`nsenter -t PID -m camgate recordings --json`): the longest recording
    gap (start of N+1 - end of N over every complete segment seen) against
    one segment, the lowest free space against the floor minus one
    segment, whether a circuit breaker opened;
  - start on a full disk: the tmpfs filled to 100 % by 12 old segments and
    a junk file, then `camgate run`: does it start, and how long until the
    first byte of a new segment (target <= 5 s).
"""
import json
import os
import signal
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import print_table  # noqa: E402

QUICK = "--quick" in sys.argv
DURATION = 60 if QUICK else 600
SEGMENT = 2
FLOOR_PERCENT = 30


def config(path, floor_percent=FLOOR_PERCENT):
    doc = {"revision": 1,
           "cameras": {"cam1": {"source": {"kind": "test", "size": "1280x720", "fps": 15}, "record": True}},
           "recording": {"segment_seconds": SEGMENT, "retain_days": 7, "min_free_percent": floor_percent}}
    with open(path, "w") as f:
        json.dump(doc, f)


def start(binary, work, prepare=""):
    data = os.path.join(work, "data")
    os.makedirs(data, exist_ok=True)
    cfg = os.path.join(work, "config.json")
    config(cfg)
    script = 'mount -t tmpfs -o size=24m tmpfs "$0" || exit 97; ' + prepare + ' exec "$1" run --config "$2" --data-dir "$0"'
    log = open(os.path.join(work, "agent.log"), "ab")
    proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script, data, binary, cfg],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    return proc, data, log


def inside(proc, data, path=""):
    return f"/proc/{proc.pid}/root{data}{path}"


def complete_segments(binary, proc, data):
    out = subprocess.run(["nsenter", "-t", str(proc.pid), "-m", binary, "recordings", "--data-dir", data, "--json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return {}
    segs = {}
    for row in json.loads(out.stdout or "[]"):
        if row.get("status") == "complete" and row.get("duration") is not None:
            start = time_ms(row["start"])
            segs[row["file"]] = (start, start + int(row["duration"] * 1000), row.get("bytes", 0))
    return segs


def time_ms(rfc3339):
    import datetime
    return int(datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp() * 1000)


def stop(proc, log):
    proc.send_signal(15)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    log.close()
    return code


def disk_full_run(binary):
    work = tempfile.mkdtemp(prefix="camgate-bench-disk-")
    proc, data, log = start(binary, work)
    seen, lowest, total = {}, None, 0
    end = time.monotonic() + DURATION
    last_index = 0.0
    while time.monotonic() < end and proc.poll() is None:
        try:
            st = os.statvfs(inside(proc, data))
            free, total = st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize
            lowest = free if lowest is None else min(lowest, free)
        except OSError:
            pass
        if time.monotonic() - last_index > 2:
            seen.update({k: v for k, v in complete_segments(binary, proc, data).items() if k not in seen})
            last_index = time.monotonic()
        time.sleep(0.2)
    alive = proc.poll() is None
    seen.update({k: v for k, v in complete_segments(binary, proc, data).items() if k not in seen})
    code = stop(proc, log) if alive else proc.returncode
    with open(os.path.join(work, "agent.log"), errors="replace") as f:
        text = f.read()
    segs = sorted(seen.values())
    gaps = [b[0] - a[1] for a, b in zip(segs, segs[1:])]
    shutil.rmtree(work, ignore_errors=True)
    return {"segments": len(segs), "longest_gap_ms": max(gaps) if gaps else None, "largest": max((s[2] for s in segs), default=0),
            "lowest": lowest, "total": total, "floor": total * FLOOR_PERCENT // 100, "alive": alive, "exit": code,
            "circuit": "circuit open" in text, "disk_full_restarts": text.count("disk full: the recorder stopped writing")}


def full_start(binary):
    work = tempfile.mkdtemp(prefix="camgate-bench-fullstart-")
    sample = os.path.join(work, "sample.ts")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=15", "-t", "2", "-c:v", "libx264",
                    "-b:v", "2M", "-f", "mpegts", sample], check=True)
    base = int(time.time()) - 7200
    prepare = ""
    for i in range(12):
        t = time.gmtime(base + 2 * i)
        day, name = time.strftime("%Y-%m-%d", t), time.strftime("%Y%m%dT%H%M%SZ", t) + ".ts"
        prepare += f'mkdir -p "$0/recordings/cam1/{day}"; cp "{sample}" "$0/recordings/cam1/{day}/{name}"; '
    prepare += 'dd if=/dev/zero of="$0/junk" bs=64k 2>/dev/null; '
    started = time.time()
    proc, data, log = start(binary, work, prepare)
    first = None
    while time.time() - started < 20 and proc.poll() is None and first is None:
        today = inside(proc, data, "/recordings/cam1/" + time.strftime("%Y-%m-%d", time.gmtime()))
        try:
            for name in os.listdir(today):
                stamp = time.strptime(name[:16], "%Y%m%dT%H%M%SZ") if name.endswith(".ts") else None
                import calendar
                if stamp and calendar.timegm(stamp) >= int(started) - 1 and os.path.getsize(os.path.join(today, name)) > 0:
                    first = time.time() - started
        except OSError:
            pass
        time.sleep(0.05)
    alive = proc.poll() is None
    code = stop(proc, log) if alive else proc.returncode
    with open(os.path.join(work, "agent.log"), errors="replace") as f:
        text = f.read()
    shutil.rmtree(work, ignore_errors=True)
    return {"alive": alive, "exit": code, "first_byte_s": first, "said_disk_full": "disk full" in text}


def recorder_pids(data):
    """PIDs of the recorders writing under `data` (their argv names DATA/run/)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().decode("utf-8", "replace")
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if f"{data}/run/" in argv and state != "Z":
            pids.append(int(entry))
    return pids


def stall_run(binary):
    """The issue's stall: SIGSTOP of a recorder for 30 s (2 s segments).
    Measures when a new recorder replaces it and whether the index holds a
    segment that ends after the next one starts."""
    work = tempfile.mkdtemp(prefix="camgate-stall-")
    data = os.path.join(work, "data")
    cfg = os.path.join(work, "config.json")
    # On the machine's own disk: a 1 % floor, so that retention (this disk
    # may be near 30 % free) keeps the segments whose index is checked.
    config(cfg, floor_percent=1)
    log = open(os.path.join(work, "agent.log"), "ab")
    agent = subprocess.Popen([binary, "run", "--config", cfg, "--data-dir", data], stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while not recorder_pids(data) and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(2 * SEGMENT + 1)
        frozen = recorder_pids(data)[0]
        os.kill(frozen, signal.SIGSTOP)
        stopped_at = time.time()
        replaced = None
        while time.time() - stopped_at < 30:
            if any(pid != frozen for pid in recorder_pids(data)):
                replaced = time.time() - stopped_at
                break
            time.sleep(0.1)
        time.sleep(max(0, 30 - (time.time() - stopped_at)))
        try:
            os.kill(frozen, signal.SIGCONT)
        except ProcessLookupError:
            pass
        time.sleep(3 * SEGMENT)
        out = subprocess.run([binary, "recordings", "--data-dir", data, "--json"], capture_output=True, text=True).stdout
        rows = sorted((r for r in json.loads(out or "[]") if r.get("status") == "complete"), key=lambda r: r["start"])
        overlaps = sum(1 for a, b in zip(rows, rows[1:]) if a.get("end") and time_ms(a["end"]) > time_ms(b["start"]))
        return {"replaced_s": replaced, "overlaps": overlaps, "segments": len(rows)}
    finally:
        agent.terminate()
        try:
            agent.wait(timeout=20)
        except subprocess.TimeoutExpired:
            agent.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    binary = os.path.abspath(sys.argv[sys.argv.index("--binary") + 1])
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("nsenter"):
        print("reliability: skipped (needs root, unshare and nsenter for a tmpfs in a mount namespace)")
        return
    print(f"reliability: disk-full run for {DURATION} s...", file=sys.stderr)
    run = disk_full_run(binary)
    print("reliability: start on a full disk...", file=sys.stderr)
    fs = full_start(binary)
    print("reliability: a recorder frozen for 30 s...", file=sys.stderr)
    st = stall_run(binary)
    largest = run["largest"]
    rows = [
        (f"disk-full run ({DURATION} s, 720p@15, 2 s segments, 24 MB tmpfs, 30 % floor): segments indexed", str(run["segments"]), "", None),
        ("longest recording gap", "n/a" if run["longest_gap_ms"] is None else f"{run['longest_gap_ms']} ms",
         f"<= one segment ({SEGMENT * 1000} ms)", run["longest_gap_ms"] is not None and run["longest_gap_ms"] <= SEGMENT * 1000),
        ("lowest free space vs the floor", f"{(run['lowest'] or 0) / 1e6:.2f} MB (floor {run['floor'] / 1e6:.2f} MB, segment <= {largest / 1e6:.2f} MB)",
         ">= floor - one segment", run["lowest"] is not None and run["lowest"] >= run["floor"] - largest),
        ("circuit breaker opened", "yes" if run["circuit"] else "no", "no", not run["circuit"]),
        ("recorder restarts on ENOSPC (made room, restarted at once)", str(run["disk_full_restarts"]), "", None),
        ("agent alive at the end", "yes" if run["alive"] else f"no (exit {run['exit']})", "yes", run["alive"]),
        ("start on a full disk (100 %: old segments + junk): agent starts", "yes" if fs["alive"] else f"no (exit {fs['exit']})", "yes", fs["alive"]),
        ("start on a full disk: first byte of a new segment", "never" if fs["first_byte_s"] is None else f"{fs['first_byte_s']:.2f} s",
         "<= 5 s", fs["first_byte_s"] is not None and fs["first_byte_s"] <= 5),
        ("start on a full disk: says \"disk full\"", "yes" if fs["said_disk_full"] else "no", "yes", fs["said_disk_full"]),
        ("recorder frozen (SIGSTOP) for 30 s: replaced after", "never" if st["replaced_s"] is None else f"{st['replaced_s']:.1f} s",
         f"<= 3 segments ({3 * SEGMENT} s)", st["replaced_s"] is not None and st["replaced_s"] <= 3 * SEGMENT),
        ("  segments in the index ending after the next one starts", f"{st['overlaps']} of {st['segments']}", "0", st["overlaps"] == 0),
    ]
    print(f"camgate reliability — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {'quick' if QUICK else 'full'} run")
    if "debug" in binary:
        print(f"DEBUG BINARY ({binary}): the agent's own timings are not the release ones.")
    print()
    print_table(rows)
    print()
    print(f"reproduce: python3 bench/run.py --only reliability --binary {binary}" + (" --quick" if QUICK else ""))


if __name__ == "__main__":
    main()
