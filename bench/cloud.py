#!/usr/bin/env python3
"""camgate cloud-link benchmark (run by bench/run.py --cloud, or alone).

usage: bench/cloud.py --binary CAMGATE --simulator CAMGATE_CLOUD_SIM [--quick]

Measures, against the real cloud simulator on loopback:
  - p50 / p99 from a `desired` event written by the simulator to the
    recorder process spawned (seen in /proc by a 1 ms poller, and as the
    agent recorded it), next to the fork/exec floor of the same run;
  - 1,000 commands queued while the agent was offline: time from reconnect
    until all are applied and acknowledged, none lost or repeated;
  - the reconnect schedule against a dead endpoint (real attempts), and the
    connection rate that schedule gives 10,000 devices after an outage
    (the agent's own ReconnectPolicy, through `camgate-cloud-sim schedule`):
    devices cut off over the outage's first minute, and all cut off in the
    same instant by a cloud restart that takes 10 s.
"""
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ffmpeg_pids, print_table  # noqa: E402

QUICK = "--quick" in sys.argv


def arg(name):
    return sys.argv[sys.argv.index(name) + 1]


def control(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
    req = urllib.request.Request(f"{base}/control/{path}", data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def start_simulator(sim, work, ping=15):
    token = os.path.join(work, "token")
    with open(token, "w") as f:
        f.write("bench-token\n")
    os.chmod(token, 0o600)
    log = open(os.path.join(work, "sim.log"), "w")
    p = subprocess.Popen([sim, "--port", "0", "--token-file", token, "--ping-interval", str(ping)], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(500):
        time.sleep(0.01)
        text = open(os.path.join(work, "sim.log")).read()
        if "listening on" in text:
            port = int(text.split("listening on")[1].split(":")[2].split()[0])
            return p, f"http://127.0.0.1:{port}", token
    raise RuntimeError("simulator did not start")


def start_agent(binary, work, endpoint, token, name="agent"):
    data = os.path.join(work, name)
    config = os.path.join(work, f"{name}.json")
    with open(config, "w") as f:
        json.dump({"cloud": {"endpoint": endpoint, "device_id": "dev-1", "token_file": token}}, f)
    log = open(os.path.join(work, f"{name}.log"), "w")
    p = subprocess.Popen([binary, "run", "--config", config, "--data-dir", data], stdout=log, stderr=subprocess.STDOUT)
    return p, data


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def desired(cameras_record):
    return {"cameras": {"cam1": {"source": {"kind": "test", "size": "160x90", "fps": 10}, "record": cameras_record}},
            "recording": {"segment_seconds": 60, "retain_days": 1, "min_free_percent": 1}}


def measure_desired_to_spawn(binary, sim, work, runs):
    simp, base, token = start_simulator(sim, work)
    agent, data = start_agent(binary, work, base, token)
    time.sleep(1.5)
    seen, recorded = [], []
    db = os.path.join(data, "camgate.db")
    for _ in range(runs):
        known = set(ffmpeg_pids(data))
        answer = control(base, "POST", "desired", desired(True))
        deadline = time.time() + 10
        new = set()
        while time.time() < deadline and not new:
            new = set(ffmpeg_pids(data)) - known
        seen_us = time.time_ns() // 1000
        written = None
        while written is None:
            written = control(base, "GET", f"events/{answer['id']}")["written_at_us"]
        seen.append((seen_us - written) / 1000)
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        started = con.execute("SELECT started_at FROM processes WHERE role = 'recorder'").fetchone()
        con.close()
        if started:
            recorded.append(started[0] - written / 1000)
        control(base, "POST", "desired", desired(False))
        end = time.time() + 10
        while time.time() < end and ffmpeg_pids(data):
            time.sleep(0.01)
    stop(agent)
    stop(simp)
    floor = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(["/bin/true"])
        floor.append((time.perf_counter() - t0) * 1000)
        p.wait()
    return seen, recorded, floor


def measure_offline_commands(binary, sim, work, count):
    simp, base, token = start_simulator(sim, work)
    control(base, "POST", "desired", desired(True))
    agent, data = start_agent(binary, work, base, token, "agent-cmds")
    # Wait until the camera records (warm snapshots come from its latest.jpg).
    for _ in range(300):
        if os.path.exists(os.path.join(data, "run", "cam1", "latest.jpg")):
            break
        time.sleep(0.05)
    # The agent goes offline: the cloud refuses the stream and drops it.
    control(base, "POST", "faults", {"events_status": 503})
    control(base, "POST", "drop")
    time.sleep(1)
    control(base, "POST", "commands", {"count": count, "template": {"type": "snapshot", "camera": "cam1"}})
    control(base, "POST", "faults", {"clear": True})
    t0 = time.monotonic()
    subprocess.run([binary, "cloud", "reconnect", "--data-dir", data], check=True, capture_output=True)
    acks = []
    while time.monotonic() - t0 < 60:
        reports = control(base, "GET", "reports")
        acks = [r for r in reports["items"] if r.get("kind") == "ack"]
        if len(acks) >= count:
            break
        time.sleep(0.05)
    elapsed = time.monotonic() - t0
    ids = [a["command_id"] for a in acks]
    duplicates = reports["duplicates"]
    succeeded = sum(1 for a in acks if a["status"] == "succeeded")
    stop(agent)
    stop(simp)
    return elapsed, len(ids), len(set(ids)), duplicates, succeeded


def measure_dead_endpoint(binary, work, seconds):
    """A TCP listener that accepts and closes at once: every attempt fails."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    port = server.getsockname()[1]
    attempts = []

    def accept():
        while True:
            try:
                c, _ = server.accept()
            except OSError:
                return
            c.settimeout(2)
            try:
                first = c.recv(16)
            except OSError:
                first = b""
            # Only the event stream's reconnects (GET); report POSTs have their own backoff.
            if first.startswith(b"GET"):
                attempts.append(time.monotonic())
            c.close()

    threading.Thread(target=accept, daemon=True).start()
    token = os.path.join(work, "dead-token")
    with open(token, "w") as f:
        f.write("x\n")
    os.chmod(token, 0o600)
    t0 = time.monotonic()
    agent, _ = start_agent(binary, work, f"http://127.0.0.1:{port}", token, "agent-dead")
    time.sleep(seconds)
    stop(agent)
    server.close()
    return [a - t0 for a in attempts]


def main():
    binary, sim = arg("--binary"), arg("--simulator")
    work = tempfile.mkdtemp(prefix="camgate-bench-cloud-")
    runs = 20 if QUICK else 50
    print(f"measuring desired -> recorder spawned ({runs} runs)...", file=sys.stderr)
    seen, recorded, floor = measure_desired_to_spawn(binary, sim, work, runs)
    count = 1000
    print(f"measuring {count} commands queued offline...", file=sys.stderr)
    elapsed, total, unique, duplicates, succeeded = measure_offline_commands(binary, sim, work, count)
    window = 30 if QUICK else 70
    print(f"measuring the reconnect schedule against a dead endpoint ({window} s)...", file=sys.stderr)
    attempts = measure_dead_endpoint(binary, work, window)
    schedule = subprocess.run([sim, "schedule", "--devices", "10000", "--outage", "600"], capture_output=True, text=True, check=True).stdout

    rows = [
        ("desired event -> recorder spawned, p50 (seen in /proc)", f"{pct(seen, 50):.1f} ms", "", None),
        ("desired event -> recorder spawned, p99 (seen in /proc)", f"{pct(seen, 99):.1f} ms", "<= 50 ms", pct(seen, 99) <= 50),
        ("desired event -> spawn, p50 / p99 (agent's own record)", f"{pct(recorded, 50):.1f} / {pct(recorded, 99):.1f} ms", "", None),
        ("floor: fork/exec of /bin/true, p50 / p99", f"{pct(floor, 50):.2f} / {pct(floor, 99):.2f} ms", "", None),
        (f"{count} commands queued offline: applied and acked after reconnect", f"{elapsed:.2f} s", "<= 5 s", elapsed <= 5),
        ("  acks received / distinct / duplicates / succeeded", f"{total} / {unique} / {duplicates} / {succeeded}", f"{count} / {count} / 0 / {count}",
         total == count and unique == count and duplicates == 0),
        (f"event-stream reconnect attempts against a dead endpoint in {window} s", str(len(attempts)), "bounded, jittered", None),
    ]
    print()
    print(f"camgate cloud-link benchmark — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {'quick' if QUICK else 'full'} run")
    print()
    print_table(rows)
    print()
    print("attempt times against the dead endpoint (s after start): " + ", ".join(f"{a:.1f}" for a in attempts))
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    print("gaps between attempts (s): " + ", ".join(f"{g:.1f}" for g in gaps))
    print(schedule.strip())


if __name__ == "__main__":
    main()
