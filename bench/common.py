"""Helpers shared by the benchmark scripts: /proc readings and process lookup."""
import os


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
