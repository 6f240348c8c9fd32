"""Helpers shared by the benchmark scripts: /proc readings and process lookup."""
import os


def ffmpeg_pids(needle):
    """ffmpeg processes whose argv mentions `needle` (an agent's data directory)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"ffmpeg") and any(needle.encode() in a for a in argv):
            found.append(int(entry))
    return found
