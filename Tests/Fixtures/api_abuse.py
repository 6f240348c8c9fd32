#!/usr/bin/python3
"""Abuses the local API's Unix socket the way a broken or hostile client
would, and checks that others are still served.

usage: api_abuse.py SOCKET IDLE_CONNECTIONS

1. opens IDLE_CONNECTIONS connections that send nothing;
2. starts a client that sends a request head one byte a second;
3. meanwhile, GET /api/v1/status on fresh connections answers 200 quickly;
4. the server closes the slow client before its head is complete, and the
   idle connections, within the request timeout (10 s) plus slack.
Prints one line per check; exits 1 on a failure.
"""
import socket
import sys
import threading
import time

path, idle_count = sys.argv[1], int(sys.argv[2])
failures = []


def check(ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def connect():
    for _ in range(200):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        try:
            s.connect(path)
            return s
        except BlockingIOError:  # the listen backlog is full for a moment
            s.close()
            time.sleep(0.01)
    raise RuntimeError("could not connect: the backlog stayed full")


def status_ok():
    started = time.monotonic()
    s = connect()
    s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.startswith(b"HTTP/1.1 200"), time.monotonic() - started


idle = [connect() for _ in range(idle_count)]
check(len(idle) == idle_count, f"{idle_count} idle connections open")

slow_result = {}


def slow_client():
    s = connect()
    head = b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 40 + b"\r\n\r\n"
    started = time.monotonic()
    sent = 0
    try:
        for byte in head:
            s.sendall(bytes([byte]))
            sent += 1
            time.sleep(1)
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    raise ConnectionResetError("closed")
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)
    except (BrokenPipeError, ConnectionResetError):
        pass
    slow_result["closed_after"] = time.monotonic() - started
    slow_result["sent"] = sent
    slow_result["total"] = len(head)


thread = threading.Thread(target=slow_client)
thread.start()
worst = 0.0
for i in range(5):
    ok, took = status_ok()
    worst = max(worst, took)
    check(ok, f"status answered while {idle_count} idle and one slow client are connected ({took * 1000:.0f} ms)")
    time.sleep(0.5)
check(worst < 2.0, f"worst status latency {worst * 1000:.0f} ms < 2000 ms")
thread.join(timeout=60)
check("closed_after" in slow_result and slow_result["sent"] < slow_result["total"],
      f"slow client cut off after {slow_result.get('closed_after', -1):.1f} s, {slow_result.get('sent')} of {slow_result.get('total')} bytes sent")
check(slow_result.get("closed_after", 99) < 16, "cut off within the request timeout plus slack")

closed = 0
deadline = time.monotonic() + 15
for s in idle:
    s.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        if s.recv(1) == b"":
            closed += 1
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
check(closed == idle_count, f"{closed} of {idle_count} idle connections closed by the server")
ok, _ = status_ok()
check(ok, "status still answers afterwards")
sys.exit(1 if failures else 0)
