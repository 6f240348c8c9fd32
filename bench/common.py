"""Helpers shared by the benchmark scripts: /proc readings, process lookup, waiting."""
import os
import signal
import socket
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


class UnixConnection:
    """One keep-alive HTTP/1.1 connection over a Unix socket (an agent's
    api.sock): a request written whole, the answer read by Content-Length
    (the agent always sends it). `get` answers (status, headers, body)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buffer = b""

    def get(self, target):
        self.sock.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self.read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self.read()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), headers, body

    def read(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the agent closed the connection")
        self.buffer += chunk

    def close(self):
        self.sock.close()
