#!/usr/bin/env python3
"""camgate benchmark: footprint and timing of the agent, next to bare ffmpeg.

usage: bench/run.py [--quick] [--binary PATH] [--simulator PATH] [--seed N]
                    [--only core|hardware|mediamtx|cloud|api|reliability|provision|ota|upload|motion]

Builds the static release binary (unless --binary is given), then measures
and prints a table:
  - static stripped binary size and its xz size;
  - idle RSS with 8 test cameras configured and none recording;
  - agent CPU% and RSS vs its ffmpeg children over 60 s with 4 cameras
    recording, and the same-run floor: the bare ffmpeg command (same argv)
    run directly;
  - time from `camgate run` to the first recording byte with persisted
    desired state and no network, next to bare ffmpeg's own first byte;
  - the largest gap between consecutive segments over >= 5 rotations of 5 s
    segments at real-time rate (ffprobe: start of N+1 - end of N);
  - agent non-video bytes written per hour (/proc/PID/io).
--quick shortens the windows (for a smoke run); the targets are judged on a
full run. Then it runs bench/cloud.py (the cloud-link figures) and
bench/api.py (the local API: status latency, 200 concurrent clients,
`camgate status`, idle RSS with the API listening) and bench/reliability.py
(a full disk: recording gaps, the free-space floor, a start on a full
disk) and bench/ota.py (signed updates: the payload size, a cloud
ota_update to commit, the recording across it, the rollback of a build
that exits at once) and bench/upload.py (uploads to moto's S3: throughput
beside curl -T, the cap, bytes re-sent after an outage, a backlog over an
outage, RSS while uploading) and bench/motion.py (motion events: private
memory per recorder with 16 cameras beside bare ffmpeg, warm snapshots with
motion on, the extra CPU of motion on a 720p recorder, event start latency,
precision and recall on the seeded clip, agent CPU; --seed N picks the
clip, 7 by default). `--only NAME` runs one section.
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ffmpeg_pids, print_table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
QUICK = "--quick" in sys.argv
WINDOW = 20 if QUICK else 60


def sh(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


def build():
    """The stripped static release binaries of the agent and the simulator."""
    if "--binary" in sys.argv:
        binary = sys.argv[sys.argv.index("--binary") + 1]
        simulator = sys.argv[sys.argv.index("--simulator") + 1] if "--simulator" in sys.argv else os.path.join(os.path.dirname(binary), "camgate-cloud-sim")
        return binary, simulator
    print("building the release binaries (scripts/build-release)...", file=sys.stderr)
    out = tempfile.mkdtemp(prefix="camgate-bench-bin-")
    sh([os.path.join(ROOT, "scripts", "build-release"), out], cwd=ROOT)
    return os.path.join(out, "camgate"), os.path.join(out, "camgate-cloud-sim")


def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    return {"ticks": int(fields[11]) + int(fields[12]), "rss": int(fields[21]) * PAGE}


def io(pid):
    out = {}
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            k, v = line.split(":")
            out[k] = int(v)
    return out


def write_config(path, cameras, record, segment_seconds, size="640x360", fps=15):
    cams = {f"cam{i}": {"source": {"kind": "test", "pattern": "testsrc2", "size": size, "fps": fps}, "record": record}
            for i in range(1, cameras + 1)}
    doc = {"revision": 1, "cameras": cams,
           "recording": {"segment_seconds": segment_seconds, "retain_days": 1, "min_free_percent": 1}}
    with open(path, "w") as f:
        json.dump(doc, f)


class Agent:
    def __init__(self, binary, data, config=None):
        args = [binary, "run", "--data-dir", data]
        if config:
            args += ["--config", config]
        self.log = open(os.path.join(os.path.dirname(data), "agent.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()


def wait_for(cond, timeout, step=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = cond()
        if r:
            return r
        time.sleep(step)
    return None


def first_segment_bytes(data):
    root = os.path.join(data, "recordings")
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith(".ts") and os.path.getsize(os.path.join(dirpath, name)) > 0:
                return True
    return False


def recorder_argv(data):
    for pid in ffmpeg_pids(data):
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode() for a in f.read().split(b"\0")[:-1]]
    return None


def measure_idle_rss(binary, work):
    data = os.path.join(work, "idle", "data")
    os.makedirs(data)
    config = os.path.join(work, "idle", "config.json")
    write_config(config, 8, False, 1800)
    agent = Agent(binary, data, config)
    time.sleep(5 if QUICK else 15)
    starting = stat(agent.proc.pid)["rss"]
    settle(agent.proc.pid)
    rss = stat(agent.proc.pid)["rss"]
    agent.stop()
    return rss, starting


# Idle means past start-up: the agent hands its start-up code pages back
# 30 s after it is ready (docs/footprint.md); measured this long after start.
IDLE_AFTER_S = 45


def settle(pid):
    """Sleeps until IDLE_AFTER_S after the agent's start (taken at the
    start-up sample, 5 or 15 s in)."""
    time.sleep(IDLE_AFTER_S - (5 if QUICK else 15))


def measure_idle_rss_tls(binary, simulator, work):
    """8 cameras configured, none recording, and the cloud link up over TLS
    (certificate verified against a CA file): the budget's own condition."""
    base = os.path.join(work, "idle-tls")
    os.makedirs(base)
    cert, key = os.path.join(base, "cert.pem"), os.path.join(base, "key.pem")
    sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
        "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
    token = os.path.join(base, "token")
    with open(token, "w") as f:
        f.write("bench\n")
    os.chmod(token, 0o600)
    simlog = os.path.join(base, "sim.log")
    sim = subprocess.Popen([simulator, "--port", "0", "--token-file", token, "--tls-certificate", cert, "--tls-key", key],
                           stdout=open(simlog, "w"), stderr=subprocess.STDOUT)
    port = wait_for(lambda: open(simlog).read().split("https://127.0.0.1:")[1].split()[0] if "listening" in open(simlog).read() else None, 10)
    data = os.path.join(base, "data")
    config = os.path.join(base, "config.json")
    write_config(config, 8, False, 1800)
    doc = json.load(open(config))
    doc["cloud"] = {"endpoint": f"https://127.0.0.1:{port}", "device_id": "dev-1", "token_file": token, "ca_file": cert}
    json.dump(doc, open(config, "w"))
    agent = Agent(binary, data, config)
    connected = wait_for(lambda: '"connected":true' in subprocess.run([binary, "cloud", "status", "--data-dir", data, "--json"],
                                                                      capture_output=True, text=True).stdout, 20, 0.2)
    time.sleep(5 if QUICK else 15)
    starting = stat(agent.proc.pid)["rss"]
    settle(agent.proc.pid)
    rss = stat(agent.proc.pid)["rss"]
    agent.stop()
    sim.terminate()
    sim.wait()
    return rss, bool(connected), starting


def measure_recording(binary, work):
    data = os.path.join(work, "rec", "data")
    os.makedirs(data)
    config = os.path.join(work, "rec", "config.json")
    write_config(config, 4, True, 1800)
    agent = Agent(binary, data, config)
    wait_for(lambda: len(ffmpeg_pids(data)) == 4, 10)
    time.sleep(15)  # past start-up: first segments opened and indexed
    # Segments rotate on the wall clock (:00 and :30 with 1800 s): a window
    # that spans a rotation would count its index commits twice (they are
    # added below, per rotation). Start after the next one if it is close.
    to_boundary = 1800 - time.time() % 1800
    if to_boundary < WINDOW + 5:
        time.sleep(to_boundary + 10)
    kids = ffmpeg_pids(data)
    a0, k0, io0, t0 = stat(agent.proc.pid), {k: stat(k) for k in kids}, io(agent.proc.pid), time.monotonic()
    time.sleep(WINDOW)
    a1, k1, io1, t1 = stat(agent.proc.pid), {k: stat(k) for k in kids}, io(agent.proc.pid), time.monotonic()
    argv = recorder_argv(data)
    agent.stop()
    wall = t1 - t0
    agent_cpu = (a1["ticks"] - a0["ticks"]) / TICK / wall * 100
    kids_cpu = [(k1[k]["ticks"] - k0[k]["ticks"]) / TICK / wall * 100 for k in kids]
    per_hour = 3600 / wall
    return {
        "agent_cpu": agent_cpu, "agent_rss": a1["rss"],
        "ffmpeg_cpu": kids_cpu, "ffmpeg_rss": [k1[k]["rss"] for k in kids],
        "write_bytes_h": (io1["write_bytes"] - io0["write_bytes"]) * per_hour,
        "wchar_h": (io1["wchar"] - io0["wchar"]) * per_hour,
        "argv": argv,
    }


def measure_bare_ffmpeg(argv, work, count):
    """The floor: the agent's exact ffmpeg argv, run directly, `count` at once."""
    procs = []
    for i in range(count):
        d = os.path.join(work, f"bare{i}")
        args = [a.replace(argv_root(argv), d) for a in argv]
        for a in args:
            if a.endswith(".csv") or a.endswith(".jpg"):
                os.makedirs(os.path.dirname(a), exist_ok=True)
        day = time.strftime("%Y-%m-%d", time.gmtime())
        seg = [a for a in args if a.endswith(".ts")][0]
        os.makedirs(seg.replace("%Y-%m-%d", day).rsplit("/", 1)[0], exist_ok=True)
        procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                      env={"TZ": "UTC", "PATH": "/usr/bin:/bin"}))
    time.sleep(5)
    s0, t0 = {p.pid: stat(p.pid) for p in procs}, time.monotonic()
    time.sleep(WINDOW)
    s1, t1 = {p.pid: stat(p.pid) for p in procs}, time.monotonic()
    for p in procs:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
    wall = t1 - t0
    return {"cpu": [(s1[p.pid]["ticks"] - s0[p.pid]["ticks"]) / TICK / wall * 100 for p in procs],
            "rss": [s1[p.pid]["rss"] for p in procs]}


def argv_root(argv):
    csv = [a for a in argv if a.endswith("segments.csv")][0]
    return csv.split("/run/")[0]


def measure_first_byte(binary, work, runs):
    """Persisted desired state, no --config, no network: run → first .ts byte."""
    base = os.path.join(work, "fb")
    os.makedirs(base)
    config = os.path.join(base, "config.json")
    write_config(config, 1, True, 1800)
    seed = os.path.join(base, "seed")
    agent = Agent(binary, seed, config)  # stores the desired state
    wait_for(lambda: first_segment_bytes(seed), 15)
    argv = recorder_argv(seed)
    agent.stop()
    agent_times, bare_times = [], []
    for i in range(runs):
        data = os.path.join(base, f"run{i}", "data")
        os.makedirs(os.path.dirname(data))
        shutil.copytree(seed, data, ignore=shutil.ignore_patterns("recordings", "logs", "run", "camgate.lock"))
        t0 = time.monotonic()
        agent = Agent(binary, data)
        ok = wait_for(lambda: first_segment_bytes(data), 15, 0.005)
        agent_times.append(time.monotonic() - t0 if ok else float("nan"))
        agent.stop()
        # Bare ffmpeg, same argv, into its own directory.
        bare = os.path.join(base, f"bare{i}")
        args = [a.replace(argv_root(argv), bare) for a in argv]
        day = time.strftime("%Y-%m-%d", time.gmtime())
        for a in args:
            if a.endswith(".csv") or a.endswith(".jpg"):
                os.makedirs(os.path.dirname(a), exist_ok=True)
        for offset in (0, 86400):
            os.makedirs(os.path.join(bare, "recordings", "cam1", time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset))), exist_ok=True)
        t0 = time.monotonic()
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                             env={"TZ": "UTC", "PATH": "/usr/bin:/bin"})
        ok = wait_for(lambda: first_segment_bytes(bare), 15, 0.005)
        bare_times.append(time.monotonic() - t0 if ok else float("nan"))
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
    return agent_times, bare_times


def measure_rotation_gaps(binary, work, rotations):
    data = os.path.join(work, "gaps", "data")
    os.makedirs(data)
    config = os.path.join(work, "gaps", "config.json")
    write_config(config, 1, True, 5, size="640x360", fps=15)
    agent = Agent(binary, data, config)
    wait_for(lambda: first_segment_bytes(data), 15)
    io0 = io(agent.proc.pid)
    def complete():
        out = subprocess.run([binary, "recordings", "--data-dir", data, "--json"], capture_output=True, text=True).stdout
        rows = json.loads(out) if out.strip() else []
        return [r for r in rows if r["status"] == "complete"]
    wait_for(lambda: len(complete()) >= rotations + 2, 15 + 5 * (rotations + 3), 0.5)
    io1 = io(agent.proc.pid)
    agent.stop()
    rows = complete()
    per_rotation = (io1["write_bytes"] - io0["write_bytes"]) / max(1, len(rows) - 1)
    timings = []
    for r in rows[1:]:  # the first segment starts mid-period
        out = sh(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time",
                  "-of", "csv=p=0", r["file"]]).stdout.split()
        pk = sorted((float(a), float(b)) for a, b in (l.split(",")[:2] for l in out))
        timings.append((pk[0][0], pk[-1][0] + pk[-1][1], r["duration"]))
    gaps = [n[0] - p[1] for p, n in zip(timings, timings[1:])]
    return gaps, [t[2] for t in timings], per_rotation


def mb(b):
    return f"{b / 1e6:.1f} MB"


def main():
    binary, simulator = build()
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    if only in (None, "core"):
        core(binary, simulator)
    if only in (None, "hardware"):
        print()
        hardware(binary)
    if only in (None, "mediamtx"):
        print()
        mediamtx(binary)
    if only in (None, "cloud"):
        print()
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "cloud.py"), "--binary", binary, "--simulator", simulator]
                       + (["--quick"] if QUICK else []), check=True)
    if only in (None, "api"):
        print()
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "api.py"), "--binary", binary] + (["--quick"] if QUICK else []), check=True)
    if only in (None, "reliability"):
        print()
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "reliability.py"), "--binary", binary] + (["--quick"] if QUICK else []),
                       check=True)
    if only in (None, "provision"):
        print()
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "provision.py"), "--binary", binary, "--simulator", simulator]
                       + (["--quick"] if QUICK else []), check=True)
    if only in (None, "ota"):
        print()
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "ota.py"), "--binary", binary, "--simulator", simulator]
                       + (["--quick"] if QUICK else []), check=True)
    if only in (None, "upload"):
        print()
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "upload.py"), "--binary", binary, "--simulator", simulator]
                       + (["--quick"] if QUICK else []), check=True)
    if only in (None, "motion"):
        print()
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "motion.py"), "--binary", binary]
                       + (["--quick"] if QUICK else []) + (["--seed", sys.argv[sys.argv.index("--seed") + 1]] if "--seed" in sys.argv else []),
                       check=True)


def fake_tree(root, cameras, render_nodes):
    """A /dev + /sys tree with `cameras` V4L2 nodes and `render_nodes` DRM
    render nodes. They are plain files: every ioctl and vaInitialize fails,
    so this measures enumeration and the per-node probe cost."""
    dev, sysfs = os.path.join(root, "dev"), os.path.join(root, "sys")
    os.makedirs(os.path.join(dev, "dri"))
    os.makedirs(os.path.join(dev, "v4l", "by-id"))
    for n in range(cameras):
        open(os.path.join(dev, f"video{n}"), "w").close()
        os.makedirs(os.path.join(sysfs, "class", "video4linux", f"video{n}"))
        with open(os.path.join(sysfs, "class", "video4linux", f"video{n}", "name"), "w") as f:
            f.write(f"Camera {n}\n")
        os.symlink(f"../../video{n}", os.path.join(dev, "v4l", "by-id", f"usb-cam{n}-video-index0"))
    for n in range(render_nodes):
        open(os.path.join(dev, "dri", f"renderD{128 + n}"), "w").close()
    return dev, sysfs


def timed(argv, runs):
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.monotonic() - t0)
    return times


def hardware(binary):
    runs = 3 if QUICK else 7
    real = timed([binary, "detect", "--json"], runs)
    out = json.loads(subprocess.run([binary, "detect", "--json"], capture_output=True, text=True, check=True).stdout)
    usable = [e["backend"] for e in out["encoders"] if e["usable"]]
    growth = []
    for n in (0, 4, 16, 64):
        root = tempfile.mkdtemp(prefix="camgate-bench-dev-")
        dev, sysfs = fake_tree(root, n, min(n, 8))
        growth.append((n, min(n, 8), statistics.median(timed([binary, "detect", "--json", "--dev-root", dev, "--sys-root", sysfs], runs))))
        shutil.rmtree(root, ignore_errors=True)
    floor = statistics.median(timed(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15",
                                     "-frames:v", "10", "-c:v", "libx264", "-f", "null", "-"], runs))
    print(f"camgate hardware benchmark — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC")
    print()
    print("| measure | value | target | ok |")
    print("|---|---|---|---|")
    med = statistics.median(real)
    print(f"| `camgate detect` wall time with trial encodes (median of {runs}) | {med * 1000:.0f} ms (max {max(real) * 1000:.0f} ms) | <= 1.5 s | {'yes' if max(real) <= 1.5 else 'NO'} |")
    print(f"| floor: one 10-frame libx264 trial encode with bare ffmpeg | {floor * 1000:.0f} ms | | |")
    print(f"| usable encoders on this machine | {', '.join(usable)} | | |")
    print()
    print("growth with the number of devices (fake /dev + /sys: plain files, so every ioctl and vaInitialize fails;")
    print("real encoders add one trial encode each, run in parallel):")
    print()
    print("| V4L2 nodes | render nodes | detect wall time (median) |")
    print("|---|---|---|")
    for n, r, t in growth:
        print(f"| {n} | {r} | {t * 1000:.0f} ms |")


def snapshot_times(binary, data, camera, runs):
    times = []
    for i in range(runs):
        out = os.path.join(os.path.dirname(data), f"snap-{camera}-{i}.jpg")
        t0 = time.monotonic()
        r = subprocess.run([binary, "snapshot", camera, "--data-dir", data, "-o", out], capture_output=True, text=True)
        times.append(time.monotonic() - t0)
        if r.returncode != 0:
            raise RuntimeError(r.stdout + r.stderr)
    return times, r.stdout.strip()


def mediamtx(binary):
    runs = 10 if QUICK else 30
    work = tempfile.mkdtemp(prefix="camgate-bench-mtx-")
    data = os.path.join(work, "data")
    config = os.path.join(work, "config.json")
    doc = {"cameras": {"rec": {"source": {"kind": "test", "pattern": "testsrc2", "size": "1280x720", "fps": 15}, "record": True},
                       "cold": {"source": {"kind": "test", "pattern": "testsrc2", "size": "1280x720", "fps": 15}}},
           "recording": {"segment_seconds": 1800, "retain_days": 1, "min_free_percent": 1}}
    json.dump(doc, open(config, "w"))
    agent = Agent(binary, data, config)
    wait_for(lambda: os.path.exists(os.path.join(data, "run", "rec", "latest.jpg")), 20)
    time.sleep(2)
    warm, warm_out = snapshot_times(binary, data, "rec", runs)
    cold, cold_out = snapshot_times(binary, data, "cold", runs)
    agent.stop()
    bare = timed(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=15",
                  "-frames:v", "1", "-q:v", "3", os.path.join(work, "bare.jpg")], runs)
    cams = {f"cam{i:02d}": {"source": {"kind": "test", "size": "1280x720"}, "record": i % 3 == 0, "view": i % 3 != 2} for i in range(64)}
    big = os.path.join(work, "big.json")
    json.dump({"cameras": cams}, open(big, "w"))
    r = subprocess.run([binary, "mediamtx-config", "--config", big, "--data-dir", data, "--repeat-count", "200"], capture_output=True, text=True, check=True)
    per_render = r.stderr.strip().split("times: ")[-1]
    cli = timed([binary, "mediamtx-config", "--config", big, "--data-dir", data], runs)
    shutil.rmtree(work, ignore_errors=True)

    def p(values, q):
        s = sorted(values)
        return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))] * 1000
    print(f"camgate MediaMTX and snapshot benchmark — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC ({runs} runs each, 1280x720 test camera)")
    print()
    print("| measure | p50 | p95 | target | ok |")
    print("|---|---|---|---|---|")
    print(f"| `camgate snapshot`, warm (recorder's latest.jpg) | {p(warm, 50):.0f} ms | {p(warm, 95):.0f} ms | <= 50 ms | {'yes' if p(warm, 95) <= 50 else 'NO'} |")
    print(f"| `camgate snapshot`, cold (one-shot capture of the test camera) | {p(cold, 50):.0f} ms | {p(cold, 95):.0f} ms | <= 400 ms | {'yes' if p(cold, 95) <= 400 else 'NO'} |")
    print(f"| floor: bare one-frame ffmpeg JPEG | {p(bare, 50):.0f} ms | {p(bare, 95):.0f} ms | | |")
    print(f"| render + validate + merge, 64 cameras (in process) | {per_render} | | | |")
    print(f"| `camgate mediamtx-config`, 64 cameras (whole command) | {p(cli, 50):.0f} ms | {p(cli, 95):.0f} ms | | |")
    print()
    print(f"warm: {warm_out}")
    print(f"cold: {cold_out}")


def core(binary, simulator):
    work = tempfile.mkdtemp(prefix="camgate-bench-")
    size = os.path.getsize(binary)
    xz = len(subprocess.run(["xz", "-9e", "-c", binary], check=True, capture_output=True).stdout)
    print("measuring idle RSS...", file=sys.stderr)
    idle, idle_start = measure_idle_rss(binary, work)
    idle_tls, tls_up, idle_tls_start = measure_idle_rss_tls(binary, simulator, work)
    print(f"measuring 4 recording cameras for {WINDOW} s...", file=sys.stderr)
    rec = measure_recording(binary, work)
    print(f"measuring bare ffmpeg x4 for {WINDOW} s...", file=sys.stderr)
    bare = measure_bare_ffmpeg(rec["argv"], work, 4)
    print("measuring time to first byte...", file=sys.stderr)
    agent_fb, bare_fb = measure_first_byte(binary, work, 3 if QUICK else 7)
    rotations = 5
    print(f"measuring rotation gaps over {rotations}+ rotations...", file=sys.stderr)
    gaps, durations, per_rotation = measure_rotation_gaps(binary, work, rotations)
    # At the defaults: 4 cameras x 2 rotations an hour, on top of the steady state.
    default_writes_h = rec["write_bytes_h"] + 4 * 2 * per_rotation

    fb_agent, fb_bare = statistics.median(agent_fb), statistics.median(bare_fb)
    frame = 1 / 15
    rows = [
        ("static stripped binary", mb(size), "<= 30 MB", size <= 30e6),
        ("binary, xz -9e (OTA payload)", mb(xz), "<= 8 MB", xz <= 8e6),
        ("idle RSS, 8 cameras configured, none recording", mb(idle), "<= 25 MB", idle <= 25e6),
        ("idle RSS, same, with the TLS cloud link up" + ("" if tls_up else " (LINK DID NOT COME UP)"), mb(idle_tls), "<= 25 MB",
         idle_tls <= 25e6 and tls_up),
        (f"  the same two, {5 if QUICK else 15} s after start (before the start-up code is handed back)",
         f"{mb(idle_start)}, {mb(idle_tls_start)}", "", None),
        (f"agent CPU, 4 cameras recording ({WINDOW} s)", f"{rec['agent_cpu']:.2f} % of a core", "<= 1 %", rec["agent_cpu"] <= 1),
        ("agent RSS, 4 cameras recording", mb(rec["agent_rss"]), "", None),
        ("ffmpeg children CPU (each)", ", ".join(f"{c:.1f}" for c in rec["ffmpeg_cpu"]) + " %", "", None),
        ("ffmpeg children RSS (each)", ", ".join(mb(r) for r in rec["ffmpeg_rss"]), "", None),
        ("floor: bare ffmpeg, same argv, x4, CPU (each)", ", ".join(f"{c:.1f}" for c in bare["cpu"]) + " %", "", None),
        ("floor: bare ffmpeg RSS (each)", ", ".join(mb(r) for r in bare["rss"]), "", None),
        ("run -> first recording byte (median)", f"{fb_agent * 1000:.0f} ms", "<= 2 s + ffmpeg's own", fb_agent - fb_bare <= 2),
        ("floor: bare ffmpeg -> first byte (median)", f"{fb_bare * 1000:.0f} ms", "", None),
        ("agent overhead to first byte", f"{(fb_agent - fb_bare) * 1000:.0f} ms", "<= 2 s", fb_agent - fb_bare <= 2),
        (f"largest gap between segments ({len(gaps)} rotations of 5 s)", f"{max(gaps) * 1000:.1f} ms", f"<= 1 frame ({frame * 1000:.1f} ms)",
         len(gaps) >= 5 and max(abs(g) for g in gaps) <= frame + 1e-3),
        ("segment durations", ", ".join(f"{d:.2f}" for d in durations) + " s", "", None),
        ("agent writes, steady state, 4 cameras (write_bytes)", mb(rec["write_bytes_h"]) + "/h", "", None),
        ("agent writes per segment rotation (index commit)", f"{per_rotation / 1000:.1f} KB", "", None),
        ("agent non-video writes per hour, 4 cameras, 1800 s segments", mb(default_writes_h) + "/h", "<= 1 MB/h", default_writes_h <= 1e6),
        ("agent write() bytes per hour incl. its own log (wchar)", mb(rec["wchar_h"]) + "/h", "", None),
    ]
    print()
    print(f"camgate benchmark — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} cores, "
          f"{'quick' if QUICK else 'full'} run, 640x360@15 test cameras")
    print()
    print_table(rows)
    print()
    print("time to first byte, each run (agent / bare): " + ", ".join(f"{a * 1000:.0f}/{b * 1000:.0f} ms" for a, b in zip(agent_fb, bare_fb)))
    print("rotation gaps: " + ", ".join(f"{g * 1000:.1f}" for g in gaps) + " ms")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
