"""Helpers shared by the benchmark scripts: /proc readings, process lookup, waiting."""
import os
import signal
import subprocess
import time


def command_lines():
    """(pid, argv as bytes) of every process /proc still shows."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                yield int(entry), f.read().split(b"\0")
        except OSError:
            continue


def ffmpeg_pids(needle):
    """ffmpeg processes whose argv mentions `needle` (an agent's data directory)."""
    return [pid for pid, argv in command_lines() if argv and argv[0].endswith(b"ffmpeg") and any(needle.encode() in a for a in argv)]


def print_table(rows):
    """Rows of (measure, value, target, ok) as a Markdown table; ok None leaves the mark empty."""
    w = max(len(r[0]) for r in rows)
    print(f"| {'measure'.ljust(w)} | value | target | ok |")
    print(f"|{'-' * (w + 2)}|---|---|---|")
    for name, value, target, ok in rows:
        mark = "" if ok is None else ("yes" if ok else "NO")
        print(f"| {name.ljust(w)} | {value} | {target} | {mark} |")


def wait_for(cond, timeout, step=0.1):
    """Calls `cond` every `step` seconds until it returns something true or `timeout` passed; its last answer."""
    end = time.monotonic() + timeout
    while True:
        r = cond()
        if r or time.monotonic() >= end:
            return r
        time.sleep(step)


def stop_process(p, timeout=30):
    """SIGTERM, then SIGKILL when it has not exited within `timeout` seconds."""
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
