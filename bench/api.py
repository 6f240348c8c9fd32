#!/usr/bin/env python3
"""camgate local-API benchmark (run by bench/run.py --only api, or alone).

usage: bench/api.py --binary CAMGATE [--quick]

One agent with 8 small test cameras recording (160x90 @ 5 fps) and the API
listening on its Unix socket and on a loopback TCP listener with a token.
Measured in the same run, each beside its floor:
  - `GET /api/v1/status` latency over the Unix socket, p50 / p99 of >= 500
    sequential requests on one keep-alive connection; the floor is the same
    listener serving `GET /` (the status page, a constant held in memory),
    interleaved request by request with the status requests;
  - 200 concurrent clients for 30 s against status with wrk (TCP with the
    bearer token: wrk cannot use a Unix socket): requests/s, errors
    (socket errors and non-2xx answers) and the agent's CPU over the window
    (/proc/PID/stat); the floor is the same load on `GET /`;
  - `camgate status` end to end (hyperfine), beside `camgate --version`
    (the same binary started and stopped, no work);
  - the agent's idle RSS with the 8 cameras and the API listening.
The targets are for the release build (bench/run.py's binary); a debug
binary's figures are printed with a note and are not those.
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import UnixConnection, print_table  # noqa: E402

QUICK = "--quick" in sys.argv
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
CAMERAS = 8


def arg(name):
    return sys.argv[sys.argv.index(name) + 1]


def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    return {"ticks": int(fields[11]) + int(fields[12]), "rss": int(fields[21]) * PAGE}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))] * 1000


def Connection(path):
    """(status, body) of GET requests on one keep-alive connection."""
    return _StatusBody(UnixConnection(path))


class _StatusBody:
    def __init__(self, conn):
        self.conn = conn

    def get(self, target):
        status, _, body = self.conn.get(target)
        return status, body

    def close(self):
        self.conn.close()


def wait_for(cond, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            r = cond()
        except OSError:
            r = None
        if r:
            return r
        time.sleep(step)
    return None


def sequential(sock_path, n):
    """n status requests and n page requests, interleaved, on one connection each."""
    status_conn, page_conn = Connection(sock_path), Connection(sock_path)
    for _ in range(20):  # warm-up
        status_conn.get("/api/v1/status")
        page_conn.get("/")
    status_times, page_times, bad = [], [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        code, body = status_conn.get("/api/v1/status")
        status_times.append(time.perf_counter() - t0)
        bad += code != 200 or not body.startswith(b"{")
        t0 = time.perf_counter()
        code, _ = page_conn.get("/")
        page_times.append(time.perf_counter() - t0)
        bad += code != 200
    status_conn.close()
    page_conn.close()
    return status_times, page_times, bad, len(body)


def wrk(pid, url, token_header, seconds, connections):
    """wrk against url; the agent's CPU over the same window."""
    s0, t0 = stat(pid), time.monotonic()
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency", "-H", token_header, url],
                         capture_output=True, text=True, check=True).stdout
    s1, t1 = stat(pid), time.monotonic()
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec:")))
    requests = int(next(line.split()[0] for line in out.splitlines() if "requests in" in line))
    errors = 0
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Socket errors:"):
            errors += sum(int(part.split()[-1]) for part in line.split(":", 1)[1].split(","))
        elif line.startswith("Non-2xx or 3xx responses:"):
            errors += int(line.split(":")[1])
    p99 = next((line.split()[1] for line in out.splitlines() if line.strip().startswith("99%")), "?")
    cpu = (s1["ticks"] - s0["ticks"]) / TICK / (t1 - t0) * 100
    return {"rps": rps, "requests": requests, "errors": errors, "cpu": cpu, "p99": p99, "raw": out}


def hyperfine(commands, runs):
    """Median and max wall time (ms) of each command, from hyperfine's JSON export."""
    export = tempfile.mktemp(suffix=".json")
    subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(runs), "--export-json", export] + commands,
                   capture_output=True, text=True, check=True)
    results = json.load(open(export))["results"]
    os.unlink(export)
    return [(r["median"] * 1000, r["max"] * 1000) for r in results]


def main():
    binary = arg("--binary")
    work = tempfile.mkdtemp(prefix="camgate-bench-api-")
    data = os.path.join(work, "data")
    token = "bench-" + os.urandom(12).hex()
    token_file = os.path.join(work, "api-token")
    with open(token_file, "w") as f:
        f.write(token + "\n")
    os.chmod(token_file, 0o600)
    port = free_port()
    cams = {f"cam{i}": {"source": {"kind": "test", "pattern": "testsrc2", "size": "160x90", "fps": 5}, "record": True}
            for i in range(1, CAMERAS + 1)}
    config = os.path.join(work, "config.json")
    json.dump({"revision": 1, "cameras": cams,
               "recording": {"segment_seconds": 1800, "retain_days": 1, "min_free_percent": 1},
               "api": {"listen": f"127.0.0.1:{port}", "token_file": token_file}}, open(config, "w"))
    sock_path = os.path.join(data, "api.sock")
    n = 500 if QUICK else 2000
    seconds = 10 if QUICK else 30
    idle_wait = 5 if QUICK else 15

    log = open(os.path.join(work, "agent.log"), "ab")
    agent = subprocess.Popen([binary, "run", "--config", config, "--data-dir", data], stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        up = wait_for(lambda: Connection(sock_path).get("/api/v1/status")[0] == 200, 20)
        if not up:
            raise RuntimeError("the agent's API did not answer: " + open(os.path.join(work, "agent.log")).read()[-3000:])
        recording = wait_for(lambda: sum(c.get("state") == "recording" for c in
                                         json.loads(Connection(sock_path).get("/api/v1/cameras")[1])["cameras"]) == CAMERAS, 30, 0.5)
        print(f"measuring idle RSS ({idle_wait} s)...", file=sys.stderr)
        time.sleep(idle_wait)
        idle_rss = stat(agent.pid)["rss"]

        print(f"measuring {n} sequential status + page requests over the socket...", file=sys.stderr)
        status_times, page_times, bad, status_bytes = sequential(sock_path, n)

        print(f"measuring `camgate status` (hyperfine)...", file=sys.stderr)
        runs = 20 if QUICK else 50
        (cli_med, cli_max), (ver_med, ver_max) = hyperfine([f"{binary} status --data-dir {data}", f"{binary} --version"], runs)

        header = f"Authorization: Bearer {token}"
        print(f"measuring 200 clients x {seconds} s on status, then on the page (wrk, TCP)...", file=sys.stderr)
        load = wrk(agent.pid, f"http://127.0.0.1:{port}/api/v1/status", header, seconds, 200)
        floor = wrk(agent.pid, f"http://127.0.0.1:{port}/", header, seconds, 200)
        after_rss = stat(agent.pid)["rss"]
        alive = agent.poll() is None
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        log.close()

    debug = "/debug/" in os.path.realpath(binary)
    rows = [
        (f"GET /api/v1/status over the socket, p50 ({n} sequential, keep-alive)", f"{pct(status_times, 50):.2f} ms", "", None),
        ("GET /api/v1/status over the socket, p99", f"{pct(status_times, 99):.2f} ms", "<= 10 ms", pct(status_times, 99) <= 10),
        ("floor: GET / (status page, in-memory constant), same socket, p50 / p99",
         f"{pct(page_times, 50):.2f} / {pct(page_times, 99):.2f} ms", "", None),
        ("  non-200 answers in the sequential runs", str(bad), "0", bad == 0),
        (f"200 clients x {seconds} s on status (wrk, TCP + token): requests/s", f"{load['rps']:.0f} ({load['requests']} requests)", "", None),
        ("  errors (socket errors + non-2xx)", str(load["errors"]), "0", load["errors"] == 0 and alive),
        ("  agent CPU over the window (% of one core; wrk shares the 2 cores)", f"{load['cpu']:.0f} %", "", None),
        ("  wrk latency p99", load["p99"], "", None),
        ("floor: same load on GET /: requests/s, errors, agent CPU",
         f"{floor['rps']:.0f}, {floor['errors']}, {floor['cpu']:.0f} %", "", None),
        (f"`camgate status` end to end (hyperfine, median of {runs})", f"{cli_med:.1f} ms (max {cli_max:.1f} ms)", "<= 50 ms", cli_med <= 50),
        ("floor: `camgate --version` (same binary, start and exit)", f"{ver_med:.1f} ms (max {ver_max:.1f} ms)", "", None),
        (f"agent idle RSS, {CAMERAS} cameras recording, API listening", f"{idle_rss / 1e6:.1f} MB", "<= 25 MB", idle_rss <= 25e6),
        ("agent RSS after the load", f"{after_rss / 1e6:.1f} MB", "", None),
    ]
    print()
    print(f"camgate local-API benchmark — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} cores, "
          f"{'quick' if QUICK else 'full'} run, {CAMERAS} test cameras 160x90@5 recording"
          + ("" if recording else " (NOT ALL RECORDING)") + f", status answer {status_bytes} bytes")
    if debug:
        print(f"DEBUG BINARY ({binary}): these are not the release figures; the targets are judged on the release build.")
    print()
    print_table(rows)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
