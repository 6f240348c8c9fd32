#!/usr/bin/env python3
"""camgate benchmark, motion events section (issue 13).

usage: bench/motion.py --binary PATH [--quick] [--seed N] [--cameras N]

The binary is first copied into a temporary directory (the original may be
rebuilt meanwhile). Every figure is of the agent's own recorders (their argv
read from /proc), beside a floor run at the same time on the same machine.
Four phases (B2 is B with a substream), one after the other, so that none loads another:

A. The issue's set-up: Tests/Fixtures/rtsp_server.py's live 640x360 test
   pattern (15 fps, a keyframe a second, one shared encode). One agent with
   N cameras (16; 4 with --quick) in copy mode with motion on (latest.jpg and
   motion share one decode branch), a second agent with N cameras with
   motion off (today's recorder: latest.jpg from keyframes), and N bare
   ffmpeg processes: the motion recorder's argv cut after its segment output
   (same input options, same segment muxer arguments, no decode branch);
   and a third agent with N cameras with motion from a substream: the
   pattern at 320x180 from a second rtsp_server.py (--size). After a warm-up, over a window: private memory (smaps_rollup
   Private_Clean + Private_Dirty, kB / 1024, as motion_bench.py and the
   issue; its peak sampled every 5 s) and CPU (utime + stime). Then warm
   snapshots with motion on: GET /api/v1/cameras/{id}/snapshot over the
   agent's Unix socket, 2 warm-up requests and then 20 (10 with --quick) per
   camera, interleaved request by request with GET / (the status page, a
   constant in memory: the floor of a round trip on the same connection).

B. The seed's 720p clip (Tests/Fixtures/motion_clip.sh, 60 s, cached under
   /var/cache/camgate-bench or reused from the tests' /tmp cache) served by
   rtsp_server.py --file (every client gets the clip from t=0). Agent A: 2
   cameras with motion on (default sensitivity, the clip's mask rectangle
   over its swaying "tree"); agent B: 2 cameras with motion off. CPU of the
   4 recorders and of both agents over 30 s (15 with --quick) after 8 s.
   Each recorder's clip origin is the moment its RTSP socket has received
   more than 4 KiB (`ss -ti` bytes_received polled every 20 ms: the first
   keyframe, past the RTSP handshake), so clip time t arrives at origin + t.
   Two event start latencies, per matched event, from the arrival of the
   interval's first moving frame (origin + t0): as stamped, to the event's
   start_ms (the stamp of its first moving sample; the "<= 1 s" target);
   and end to end, to the first read of agent A's store that finds the
   event: the rows GET /api/v1/motion lists, read with SQLite read-only
   every 50 ms from 0.5 s before each interval's start to 3 s after
   (polling the API instead would load the agent whose CPU is being
   measured). The end-to-end one also holds the agent's 500 ms read of the
   motion file and min_length (500 ms) before an event is announced. The
   scored events are GET /api/v1/motion's at the end.
   Precision and recall: an interval is matched by an event whose start and
   end are both within ±1 s of origin + t0 and origin + t1 (motion_eval's
   rule, with the measured origin instead of a fitted shift; the shift
   MotionAgentTests would fit is printed beside it). The agents' CPU is
   also given per 5 s slice; "within noise" is |difference| <= 2 standard
   errors of the difference of the two means, from those slices.

B2. B again, agent A's cameras with `"motion": {"substream": ...}`: the
   clip as a camera's substream (640x360, 15 fps, 2 s GOP, no B-frames,
   768 kbit/s at most; made once with ffmpeg beside the clip) from a second
   rtsp_server.py. A's recorders copy the 720p main stream and decode only
   the substream (their argv must name it, or the run fails); their clip
   origin is their substream socket's. The copy-mode CPU target is judged
   here: B's main-stream row is what a camera without a substream costs.

C. The same clip and server, re-encoded: one agent with ONE camera with
   `"video": {"encoder": "software"}` and motion on (the same mask), a
   second agent with one such camera with motion off, at once. Each
   recorder's argv (/proc) must give `-c:v libx264` for the segments and no
   `-c:v copy` (the run fails otherwise), and -filter_complex (the motion
   graph) only with motion on. Recorder CPU (utime + stime) over 30 s (15
   with --quick) after 8 s from the agents' start; the difference is the
   extra CPU of motion on a 720p encode-mode recorder (target <= 5 points),
   with 2 standard errors of the difference from 5 s slices.

Seed: the clip's (default 7, the tests' clip), printed.
"""
import datetime
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import UnixConnection, command_lines, print_table, stop_process, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
GST_PYTHON = "/usr/bin/python3"  # the system Python has GStreamer's bindings (gi)
QUICK = "--quick" in sys.argv
TICK = os.sysconf("SC_CLK_TCK")
CLIP_SECONDS = 60
CLIP_CACHES = ["/var/cache/camgate-bench", "/tmp/camgate-test-fixtures"]
RECORDING = {"segment_seconds": 10, "retain_days": 1, "min_free_percent": 1}
ORIGIN_BYTES = 4096


def arg(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def pct(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


# --- /proc --------------------------------------------------------------------

def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def private_mb(pid):
    kb = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                kb += int(line.split()[1])
    return kb / 1024


def argv_of(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return [a.decode() for a in f.read().split(b"\0")[:-1]]


def recorders(data):
    """{camera: pid} of the ffmpeg recorders of the agent on `data` (their segments.csv names the camera)."""
    needle = f"{data}/run/".encode()
    out = {}
    for pid, argv in command_lines():
        if argv and argv[0].endswith(b"ffmpeg"):
            for a in argv:
                if a.startswith(needle) and a.endswith(b"/segments.csv"):
                    out[a[len(needle):].split(b"/")[0].decode()] = pid
    return out


# --- processes we start ---------------------------------------------------------

class Children:
    """Everything one phase starts; close() ends it all, agents first (they stop their recorders),
    then any ffmpeg left whose argv names the phase's directory (by pid)."""

    def __init__(self, base):
        self.base, self.agents, self.others = base, [], []

    def spawn(self, argv, logname, agent=False, env=None):
        with open(os.path.join(self.base, logname), "ab") as out:
            p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        (self.agents if agent else self.others).append(p)
        return p

    def close(self):
        for p in self.agents:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.agents:
            if p.poll() is None:
                stop_process(p, 30)
        for p in self.others:
            if p.poll() is None:
                stop_process(p, 10)
        needle = self.base.encode()
        for pid, argv in command_lines():
            if argv and argv[0].endswith(b"ffmpeg") and any(needle in a for a in argv):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def rtsp_server(kids, extra, name="rtsp"):
    p = kids.spawn([GST_PYTHON, os.path.join(FIXTURES, "rtsp_server.py"), "0", "/cam"] + extra, f"{name}.log")
    path = os.path.join(kids.base, f"{name}.log")

    def ready():
        with open(path) as f:
            return next((int(l.split()[1]) for l in f if l.startswith("ready ")), None)
    wait_for(lambda: ready() or p.poll() is not None, 20)
    port = ready()
    if not port:
        with open(path) as f:
            raise RuntimeError(f"rtsp_server.py did not start: {f.read()}")
    return p, f"rtsp://127.0.0.1:{port}/cam", port


def start_agent(kids, binary, name, cameras):
    """An agent on its own data directory with `cameras` ({name: camera document})."""
    config, data = os.path.join(kids.base, f"{name}.json"), os.path.join(kids.base, name)
    with open(config, "w") as f:
        json.dump({"cameras": cameras, "recording": RECORDING}, f)
    p = kids.spawn([binary, "run", "--config", config, "--data-dir", data], f"{name}.log", agent=True)
    return p, data


def camera(url, motion, mask=None, video=None, substream=None):
    doc = {"source": {"kind": "rtsp", "url": url}, "record": True, **({"video": video} if video else {})}
    if motion:
        doc["motion"] = {"enabled": True, **({"masks": [mask]} if mask else {}), **({"substream": substream} if substream else {})}
    return doc


def wait_recorders(data, count, agent):
    found = wait_for(lambda: len(recorders(data)) >= count or agent.poll() is not None, 30, 0.2)
    rec = recorders(data)
    if len(rec) < count:
        raise RuntimeError(f"{len(rec)} of {count} recorders of {data} started (agent exit {agent.poll()}, {found})")
    return rec


# --- the local API over the Unix socket ---------------------------------------------

def Api(data):
    """A keep-alive connection to the agent whose data directory is `data`."""
    return UnixConnection(os.path.join(data, "api.sock"))


def api_ready(data):
    try:
        api = Api(data)
        ok = api.get("/api/v1/status")[0] == 200
        api.close()
        return ok
    except OSError:
        return False


# --- measuring a window -------------------------------------------------------------

def window(pids, seconds, step=5.0):
    """{pid: {cpu: % of a core, slices: [% per step], private: MB at the end, peak: MB}} over `seconds`."""
    t0 = time.monotonic()
    last = {p: (cpu_ticks(p), t0) for p in pids}
    first = dict(last)
    out = {p: {"slices": [], "peak": private_mb(p)} for p in pids}
    for k in range(1, max(1, round(seconds / step)) + 1):
        time.sleep(max(0.0, t0 + min(k * step, seconds) - time.monotonic()))
        now = time.monotonic()
        for p in pids:
            ticks = cpu_ticks(p)
            out[p]["slices"].append(100 * (ticks - last[p][0]) / TICK / (now - last[p][1]))
            out[p]["peak"] = max(out[p]["peak"], private_mb(p))
            last[p] = (ticks, now)
    for p in pids:
        out[p]["cpu"] = 100 * (last[p][0] - first[p][0]) / TICK / (last[p][1] - first[p][1])
        out[p]["private"] = private_mb(p)
    return out


def group(win, pids, key):
    return [win[p][key] for p in pids]


# --- phase A: memory with N cameras, warm snapshots ---------------------------------

def bare_recorders(kids, argv, data, count):
    """`count` bare ffmpeg: the recorder's argv cut after its segment output, each under its own root."""
    cut = next(i for i, a in enumerate(argv) if a.endswith(".ts")) + 1
    days = [time.strftime("%Y-%m-%d", time.gmtime(time.time() + d)) for d in (0, 86400)]
    procs = []
    for i in range(count):
        root = os.path.join(kids.base, f"bare{i:02d}")
        args = [a.replace(data, root) for a in argv[:cut]]
        os.makedirs(os.path.dirname(next(a for a in args if a.endswith(".csv"))), exist_ok=True)
        for day in days:
            os.makedirs(os.path.dirname(args[-1].replace("%Y-%m-%d", day)), exist_ok=True)
        procs.append(kids.spawn(args, f"bare{i:02d}.log", env={"TZ": "UTC", "LC_ALL": "C", "PATH": "/usr/bin:/bin"}))
    return procs, argv[cut:]


def snapshots(data, cameras, runs):
    """Warm snapshot times (s) with GET / interleaved on the same connection; the methods the agent named."""
    api, snap, floor, methods = Api(data), [], [], {}
    try:
        for cam in cameras:
            for i in range(runs + 2):
                t0 = time.perf_counter()
                status, headers, body = api.get(f"/api/v1/cameras/{cam}/snapshot")
                t1 = time.perf_counter()
                api.get("/")
                t2 = time.perf_counter()
                if status != 200 or not body.startswith(b"\xff\xd8"):
                    raise RuntimeError(f"snapshot of {cam}: {status} {body[:200]!r}")
                if i >= 2:
                    snap.append(t1 - t0)
                    floor.append(t2 - t1)
                    methods[headers.get("x-snapshot-method")] = methods.get(headers.get("x-snapshot-method"), 0) + 1
    finally:
        api.close()
    return snap, floor, methods


def memory_phase(binary, base, n):
    kids = Children(os.path.join(base, "memory"))
    os.makedirs(kids.base)
    try:
        _, url, _ = rtsp_server(kids, [])
        _, sub_url, _ = rtsp_server(kids, ["--size", "320x180"], "rtsp-sub")
        on_agent, on_data = start_agent(kids, binary, "motion", {f"m{i:02d}": camera(url, True) for i in range(1, n + 1)})
        off_agent, off_data = start_agent(kids, binary, "plain", {f"p{i:02d}": camera(url, False) for i in range(1, n + 1)})
        sub_agent, sub_data = start_agent(kids, binary, "substream", {f"s{i:02d}": camera(url, True, substream=sub_url) for i in range(1, n + 1)})
        on, off = wait_recorders(on_data, n, on_agent), wait_recorders(off_data, n, off_agent)
        subs = wait_recorders(sub_data, n, sub_agent)
        if not all(sub_url in argv_of(p) for p in subs.values()):
            raise RuntimeError("a substream recorder does not read the substream")
        argv = argv_of(next(iter(on.values())))
        bare, dropped = bare_recorders(kids, argv, on_data, n)
        log(f"A: {n} motion + {n} plain recorders + {n} bare ffmpeg; the bare floor drops: {' '.join(dropped)[:160]}...")
        wait_for(lambda: all(os.path.exists(os.path.join(on_data, "run", c, "latest.jpg")) for c in on), 30, 0.5)
        warm, seconds = (10, 15) if QUICK else (20, 60)
        log(f"A: warm-up {warm} s, window {seconds} s...")
        time.sleep(warm)
        pids = {"on": list(on.values()), "off": list(off.values()), "bare": [p.pid for p in bare], "sub": list(subs.values())}
        win = window(sum(pids.values(), []), seconds)
        if recorders(on_data) != on or recorders(off_data) != off or recorders(sub_data) != subs or any(p.poll() is not None for p in bare):
            raise RuntimeError("a recorder or a bare ffmpeg exited during the window")
        wait_for(lambda: api_ready(on_data), 10)
        log("A: snapshots...")
        snap, floor, methods = snapshots(on_data, sorted(on), 10 if QUICK else 20)
        return {"n": n, "win": win, "pids": pids, "snap": snap, "snap_floor": floor, "methods": methods,
                "seconds": seconds, "warm": warm, "bare_argv": argv[:len(argv) - len(dropped)]}
    finally:
        kids.close()


# --- phase B: the 720p clip: recorder and agent CPU, events --------------------------

def clip(seed, base):
    """The seed's clip and its truth, made once per version of motion_clip.sh (FNV-1a of the script, as MotionAgentTests)."""
    script = os.path.join(FIXTURES, "motion_clip.sh")
    h = 14695981039346656037
    for b in open(script, "rb").read():
        h = ((h ^ b) * 1099511628211) & (2 ** 64 - 1)
    name = f"motion-{h:x}-{seed}-{CLIP_SECONDS}"
    for d in CLIP_CACHES:
        if os.path.exists(os.path.join(d, name + ".json")):
            return os.path.join(d, name + ".mp4"), json.load(open(os.path.join(d, name + ".json")))
    cache = CLIP_CACHES[0]
    try:
        os.makedirs(cache, exist_ok=True)
    except OSError:
        cache = base
    temp = os.path.join(cache, f"{name}.{os.getpid()}")
    log(f"making the seed-{seed} clip (about 45 s)...")
    made = subprocess.run(["/bin/sh", script, temp + ".mp4", str(seed), str(CLIP_SECONDS)], capture_output=True, text=True)
    if made.returncode != 0:
        raise RuntimeError(f"motion_clip.sh failed: {made.stderr[-2000:]}")
    os.rename(temp + ".mp4", os.path.join(cache, name + ".mp4"))
    os.rename(temp + ".json", os.path.join(cache, name + ".json"))
    return os.path.join(cache, name + ".mp4"), json.load(open(os.path.join(cache, name + ".json")))


def substream_clip(mp4):
    """The clip as a camera's substream: 640x360, same 15 fps and 2 s GOP, no B-frames, 768 kbit/s at most
    (crf 8 under that cap, bicubic so the sensor noise stays: the cap is what it spends), made once beside the clip."""
    out = mp4[:-len(".mp4")] + "-sub640.mp4"
    if not os.path.exists(out):
        temp = f"{out}.{os.getpid()}.mp4"
        made = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", mp4, "-vf", "scale=640:360:flags=bicubic",
                               "-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-profile:v", "main", "-crf", "8",
                               "-maxrate", "768k", "-bufsize", "1536k", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-bf", "0",
                               "-movflags", "+faststart", temp], capture_output=True, text=True)
        if made.returncode != 0:
            raise RuntimeError(f"the substream clip: {made.stderr[-2000:]}")
        os.rename(temp, out)
    return out


class Origins(threading.Thread):
    """Epoch time at which each client socket of the server on `port` first had more than ORIGIN_BYTES: {pid: t}."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.seen, self.stop = port, {}, threading.Event()

    def run(self):
        end = time.monotonic() + 20
        while not self.stop.is_set() and time.monotonic() < end:
            t0 = time.time()
            out = subprocess.run(["ss", "-tinpH", "state", "established", f"( dport = :{self.port} )"],
                                 capture_output=True, text=True).stdout
            t = (t0 + time.time()) / 2
            pid = None
            for word in out.split():
                if "pid=" in word:
                    pid = int(word.split("pid=")[1].split(",")[0])
                elif word.startswith("bytes_received:") and pid and int(word.split(":")[1]) > ORIGIN_BYTES:
                    self.seen.setdefault(pid, t)
            time.sleep(0.02)


def parse_time(text):
    if text is None:
        return None
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in text else "%Y-%m-%dT%H:%M:%SZ"
    return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc).timestamp()


def list_events(data):
    api = Api(data)
    try:
        status, _, body = api.get("/api/v1/motion?limit=1000")
    finally:
        api.close()
    if status != 200:
        raise RuntimeError(f"GET /api/v1/motion: {status} {body[:200]!r}")
    return json.loads(body)["events"]


class EventPoller(threading.Thread):
    """Reads agent A's store (SQLite, read-only: the rows GET /api/v1/motion lists) every 50 ms inside the
    `spans` (epoch [from, to]); first[(camera, start_ms)] = (when a read first found the event, its last_ms then).
    Not the API: polling it would load the agent whose CPU is being measured."""

    def __init__(self, data):
        super().__init__(daemon=True)
        self.db, self.spans, self.first, self.polls = os.path.join(data, "camgate.db"), [], {}, 0
        self.stop = threading.Event()

    def run(self):
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=1)
        try:
            while not self.stop.wait(0.05):
                now = time.time()
                if not any(a <= now <= b for a, b in self.spans):
                    continue
                try:
                    rows = db.execute("SELECT camera, start_ms, last_ms FROM motion_events").fetchall()
                except sqlite3.Error:
                    continue
                t = time.time()
                self.polls += 1
                for cam, start, last in rows:
                    self.first.setdefault((cam, start), (t, last / 1000))
        finally:
            db.close()


def clip_phase(binary, base, mp4, truth, sub_mp4=None):
    """With `sub_mp4`, agent A's cameras take motion from it (a second server), and their clip origin is the substream's."""
    kids = Children(os.path.join(base, "clip-sub" if sub_mp4 else "clip"))
    os.makedirs(kids.base)
    try:
        _, url, port = rtsp_server(kids, ["--file", mp4])
        sub_url, sub_port = rtsp_server(kids, ["--file", sub_mp4], "rtsp-sub")[1:] if sub_mp4 else (None, None)
        rect = dict(zip("xywh", truth["masked"]["rect"]))
        origins, sub_origins = Origins(port), Origins(sub_port or port)
        origins.start()
        sub_origins.start()
        started = time.time()
        a, a_data = start_agent(kids, binary, "on", {c: camera(url, True, rect, substream=sub_url) for c in ("on1", "on2")})
        b, b_data = start_agent(kids, binary, "off", {c: camera(url, False) for c in ("off1", "off2")})
        on, off = wait_recorders(a_data, 2, a), wait_recorders(b_data, 2, b)
        wait_for(lambda: all(p in sub_origins.seen for p in on.values()) and all(p in origins.seen for p in off.values()), 15, 0.05)
        origins.stop.set()
        sub_origins.stop.set()
        origin = {**{c: sub_origins.seen.get(p) for c, p in on.items()}, **{c: origins.seen.get(p) for c, p in off.items()}}
        if sub_url and not all(sub_url in argv_of(p) for p in on.values()):
            raise RuntimeError(f"a motion recorder does not read the substream: {[argv_of(p) for p in on.values()]}")
        poller = EventPoller(a_data)
        first = min(t for t in origin.values() if t) if any(origin.values()) else started
        poller.spans = [(first + t0 - 0.5, first + t0 + 3.0) for t0, _ in truth["motion"]]
        poller.start()
        warm, seconds = 8, (15 if QUICK else 30)
        log(f"B: clip origins {', '.join(f'{c} +{t - started:.2f} s' for c, t in origin.items() if t)} after the agents' start; "
            f"warm-up to {warm} s, window {seconds} s...")
        time.sleep(max(0, started + warm - time.time()))
        pids = {"on": list(on.values()), "off": list(off.values()), "agent_on": [a.pid], "agent_off": [b.pid]}
        win = window(sum(pids.values(), []), seconds)
        until = max(t1 for _, t1 in truth["motion"]) + 2.5
        log(f"B: waiting for the clip's last interval to end (clip time {until:.1f} s)...")
        time.sleep(max(0, first + until - time.time()))
        poller.stop.set()
        events = list_events(a_data) + list_events(b_data)
        restarted = recorders(a_data) != on or recorders(b_data) != off
        return {"win": win, "pids": pids, "origin": origin, "started": started, "events": events, "first": poller.first,
                "polls": poller.polls, "until": until, "restarted": restarted, "seconds": seconds, "warm": warm, "on": sorted(on),
                "sub": bool(sub_mp4)}
    finally:
        kids.close()


# --- phase C: the 720p clip re-encoded with libx264: recorder CPU ----------------------

def codec_of(argv):
    """The values of every -c:v in argv (the segments' first, then latest.jpg's mjpeg)."""
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "-c:v"]


def check_encode(argv, motion, cam):
    """Fails unless the recorder re-encodes the segments with libx264 (not copy) and has the motion graph iff `motion`."""
    codecs = codec_of(argv)
    if not codecs or codecs[0] != "libx264" or "copy" in codecs:
        raise RuntimeError(f"{cam}: the recorder does not re-encode its segments with libx264 (-c:v {codecs}): {' '.join(argv)}")
    if ("-filter_complex" in argv) != motion:
        raise RuntimeError(f"{cam}: motion {'on' if motion else 'off'} but -filter_complex {'absent' if motion else 'present'}: {' '.join(argv)}")


def encode_phase(binary, base, mp4, truth):
    """One agent with one encode-mode camera with motion on, one with motion off, the same clip, at once."""
    kids = Children(os.path.join(base, "encode"))
    os.makedirs(kids.base)
    try:
        _, url, _ = rtsp_server(kids, ["--file", mp4])
        rect = dict(zip("xywh", truth["masked"]["rect"]))
        video = {"encoder": "software"}
        started = time.time()
        a, a_data = start_agent(kids, binary, "enc_on", {"eon": camera(url, True, rect, video)})
        b, b_data = start_agent(kids, binary, "enc_off", {"eoff": camera(url, False, video=video)})
        on, off = wait_recorders(a_data, 1, a), wait_recorders(b_data, 1, b)
        argv = {"on": argv_of(on["eon"]), "off": argv_of(off["eoff"])}
        check_encode(argv["on"], True, "eon")
        check_encode(argv["off"], False, "eoff")
        warm, seconds = 8, (15 if QUICK else 30)
        log(f"C: recorders -c:v {codec_of(argv['on'])} (motion on) and {codec_of(argv['off'])} (motion off); "
            f"warm-up to {warm} s, window {seconds} s...")
        time.sleep(max(0, started + warm - time.time()))
        pids = {"on": [on["eon"]], "off": [off["eoff"]]}
        win = window(sum(pids.values(), []), seconds)
        if recorders(a_data) != on or recorders(b_data) != off:
            raise RuntimeError("C: an encode-mode recorder exited or restarted during the window")
        return {"win": win, "pids": pids, "argv": argv, "seconds": seconds, "warm": warm}
    finally:
        kids.close()


# --- scoring ---------------------------------------------------------------------------

def match(events, truth, shift, tol=1.0):
    """(matched [(interval, event)], unmatched intervals, extra events) with clip time = epoch - shift."""
    extra, matched, unmatched = list(events), [], []
    for t0, t1 in truth:
        e = next((e for e in extra if abs(e["s"] - shift - t0) <= tol and abs(e["e"] - shift - t1) <= tol), None)
        if e is None:
            unmatched.append((t0, t1))
        else:
            extra.remove(e)
            matched.append(((t0, t1), e))
    return matched, unmatched, extra


def fitted_shift(events, truth):
    """MotionAgentTests' shift: of every (event, interval) pair's, the one that leaves the least unexplained."""
    shifts = [e["s"] - t0 for e in events for t0, _ in truth]
    return min(shifts, key=lambda s: len(match(events, truth, s)[1]) + len(match(events, truth, s)[2])) if shifts else 0.0


def score_camera(cam, events, first_seen, origin, truth, until):
    evs = [{"s": parse_time(e["start"]), "e": parse_time(e["end"] or e["last"]), "start": e["start"], "peak": e["peak"]}
           for e in events if e["camera"] == cam]
    evs = [e for e in evs if e["s"] - origin < until]
    matched, unmatched, extra = match(evs, truth["motion"], origin)
    seen = [first_seen.get((cam, round(e["s"] * 1000)), (float("inf"), None)) for _, e in matched]
    lat = [t - (origin + t0) for ((t0, _), _), (t, _) in zip(matched, seen)]
    announce = [last - (origin + t0) for ((t0, _), _), (_, last) in zip(matched, seen) if last]
    detect = [e["s"] - (origin + t0) for (t0, _), e in matched]
    lighting = [e for e in evs if any(e["s"] - origin <= l1 and e["e"] - origin >= l0 for l0, l1 in truth["lighting"])]
    return {"events": evs, "matched": len(matched), "unmatched": unmatched, "extra": extra, "latency": lat, "announce": announce, "detect": detect,
            "lighting": len(lighting), "fitted": fitted_shift(evs, truth["motion"]) - origin}


# --- report ------------------------------------------------------------------------------

def mb_pair(xs):
    return f"{median(xs):.1f} / {max(xs):.1f} MB"


def cpu_list(xs):
    return ", ".join(f"{x:.1f}" for x in xs) + " % of a core"


def memory_rows(m):
    w, p, n = m["win"], m["pids"], m["n"]
    on, off, bare, subs = (group(w, p[k], "private") for k in ("on", "off", "bare", "sub"))
    peak = max(group(w, p["on"], "peak"))
    snap, floor = [x * 1000 for x in m["snap"]], [x * 1000 for x in m["snap_floor"]]
    methods = ", ".join(f"{k} x{v}" for k, v in m["methods"].items())
    return [
        (f"private memory per recorder, copy mode, motion + latest.jpg, {n} cameras (median / max at the end)", mb_pair(on),
         "<= 18 MB", max(on) <= 18),
        ("  same recorders, largest private memory seen during the window (5 s samples)", f"{peak:.1f} MB", "", None),
        (f"  floor: bare ffmpeg copying the same stream to segments, {n} processes (median / max)", mb_pair(bare), "", None),
        ("  motion recorder over the floor (medians)", f"+{median(on) - median(bare):.1f} MB", "", None),
        (f"  motion off (today's recorder, latest.jpg from keyframes), {n} cameras (median / max)", mb_pair(off), "", None),
        (f"private memory per recorder, copy mode, motion + latest.jpg from a 320x180 substream (a second server), "
         f"{n} cameras (median / max)", mb_pair(subs), "<= 18 MB", max(subs) <= 18),
        ("  recorder CPU, median: motion on / motion off / bare / motion from the substream",
         " / ".join(f"{median(group(w, p[k], 'cpu')):.1f}" for k in ("on", "off", "bare", "sub")) + " % of a core", "", None),
        (f"warm snapshot, motion on, GET /api/v1/cameras/{{id}}/snapshot, {len(snap)} requests: p50 / p95",
         f"{pct(snap, 50):.1f} / {pct(snap, 95):.1f} ms", "<= 50 ms", pct(snap, 95) <= 50),
        ("  floor: GET / on the same connection, interleaved: p50 / p95", f"{pct(floor, 50):.1f} / {pct(floor, 95):.1f} ms", "", None),
        ("  snapshot method (x-snapshot-method)", methods, "latest", set(m["methods"]) == {"latest"}),
    ]


def agent_noise(slices_a, slices_b):
    """Two standard errors of the difference of the agents' mean CPU, from their 5 s slices."""
    se = [statistics.stdev(s) / len(s) ** 0.5 if len(s) > 1 else 0 for s in (slices_a, slices_b)]
    return 2 * (se[0] ** 2 + se[1] ** 2) ** 0.5


def clip_rows(c, scores):
    w, p = c["win"], c["pids"]
    on, off = group(w, p["on"], "cpu"), group(w, p["off"], "cpu")
    extra = median(on) - median(off)
    a, b = w[p["agent_on"][0]], w[p["agent_off"][0]]
    noise = agent_noise(a["slices"], b["slices"])
    intervals = sum(s["matched"] + len(s["unmatched"]) for s in scores.values())
    events = sum(len(s["events"]) for s in scores.values())
    matched = sum(s["matched"] for s in scores.values())
    precision, recall = (matched / events if events else 0.0), (matched / intervals if intervals else 0.0)
    lat = sum((s["latency"] for s in scores.values()), [])
    detect = sum((s["detect"] for s in scores.values()), [])
    announce = sum((s["announce"] for s in scores.values()), [])
    lighting = sum(s["lighting"] for s in scores.values())
    lat_max = max(lat) if lat else float("inf")
    detect_max = max(detect) if detect else float("inf")
    if c["sub"]:
        head = [
            (f"SUBSTREAM: recorder CPU, 720p copy mode, motion on from a 640x360 substream (768 kbit/s), 2 cameras "
             f"({c['seconds']} s after {c['warm']} s)", cpu_list(on), "", None),
            ("  floor: the same recorder, 720p copy mode, motion off (same window)", cpu_list(off), "", None),
            ("  extra CPU of motion, 720p copy mode, from the substream (medians; the main stream is only copied, the substream decoded)",
             f"+{extra:.1f} points of a core ({median(on) / max(median(off), 1e-9):.1f}x)",
             "<= 5 % over the same recorder without it", extra <= 5),
            ("  private memory per recorder at the end: motion from the substream / motion off (median)",
             f"{median(group(w, p['on'], 'private')):.1f} / {median(group(w, p['off'], 'private')):.1f} MB", "", None),
        ]
    else:
        head = [
            (f"MAIN STREAM: recorder CPU, 720p copy mode, motion on from the main stream (no substream), 2 cameras "
             f"({c['seconds']} s after {c['warm']} s)", cpu_list(on), "", None),
            ("  floor: the same recorder, 720p copy mode, motion off (same window)", cpu_list(off), "", None),
            ("  extra CPU of motion, 720p copy mode, from the main stream (medians; a camera without a substream: every 720p frame "
             "decoded, no target: see the substream rows)",
             f"+{extra:.1f} points of a core ({median(on) / max(median(off), 1e-9):.1f}x)", "", None),
        ]
    return head + [
        (f"event start latency as stamped: the event's start_ms (its first moving sample's stamp) - arrival of the interval's first moving frame (max / median, {len(detect)} events)",
         f"{detect_max:.2f} / {median(detect):.2f} s", "<= 1 s", detect_max <= 1),
        ("  end to end: the event in the store (what GET /api/v1/motion lists) - that arrival (max / median) "
         "(the agent reads the motion file every 500 ms, and an event is announced after min_length 500 ms)",
         f"{lat_max:.2f} / {median(lat):.2f} s", "", None),
        ("  the stamp of the sample that announced it (its `last` when first seen in the store) - that arrival (max / median)",
         f"{max(announce, default=float('nan')):.2f} / {median(announce):.2f} s", "", None),
        (f"precision / recall, ±1 s, {intervals} intervals on {len(scores)} cameras ({events} events)",
         f"{precision:.2f} / {recall:.2f}", ">= 0.95 / >= 0.95", precision >= 0.95 and recall >= 0.95),
        ("  events during the lighting change (ignore_lighting on)", str(lighting), "0", lighting == 0),
        ("agent CPU, 2 cameras with motion on", f"{a['cpu']:.2f} % of a core", "unchanged within noise", None),
        ("  floor: agent CPU, 2 cameras with motion off (same window)", f"{b['cpu']:.2f} % of a core", "", None),
        ("  difference, ± 2 standard errors (5 s slices)", f"{a['cpu'] - b['cpu']:+.2f} ± {noise:.2f} points",
         "within noise", abs(a["cpu"] - b["cpu"]) <= noise),
    ]


def encode_rows(e):
    w, p = e["win"], e["pids"]
    on, off = w[p["on"][0]], w[p["off"][0]]
    extra = on["cpu"] - off["cpu"]
    noise = agent_noise(on["slices"], off["slices"])
    return [
        (f"recorder CPU, 720p encode mode (libx264), motion on, 1 camera ({e['seconds']} s after {e['warm']} s)",
         f"{on['cpu']:.1f} % of a core", "", None),
        ("  floor: the same recorder, 720p encode mode (libx264), motion off, run at the same time", f"{off['cpu']:.1f} % of a core", "", None),
        ("  extra CPU of motion, 720p encode mode (libx264) (± 2 standard errors, 5 s slices)",
         f"{extra:+.1f} ± {noise:.1f} points of a core ({on['cpu'] / max(off['cpu'], 1e-9):.2f}x)", "<= 5 points", extra <= 5),
    ]


def details(c, scores):
    w, p = c["win"], c["pids"]
    print(f"{'substream' if c['sub'] else 'main stream'} run:")
    for name in ("agent_on", "agent_off"):
        print(f"{name} CPU per 5 s slice: {', '.join(f'{x:.2f}' for x in w[p[name][0]]['slices'])} % of a core")
    for cam, s in scores.items():
        origin = c["origin"][cam]
        evs = ", ".join(f"[{e['s'] - origin:.2f}, {e['e'] - origin:.2f}] peak {e['peak']}" for e in s["events"])
        print(f"{cam}: clip origin {origin - c['started']:.2f} s after the agents' start; the shift MotionAgentTests would fit "
              f"is origin {s['fitted']:+.2f} s; events (clip time): {evs or 'none'}")
        if s["unmatched"] or s["extra"]:
            print(f"  unmatched intervals: {s['unmatched']}; events no interval explains: "
                  f"{[(round(e['s'] - origin, 2), round(e['e'] - origin, 2)) for e in s['extra']]}")
        print(f"  start latency per matched event, as stamped: {', '.join(f'{x:.2f}' for x in s['detect'])} s; "
              f"end to end: {', '.join(f'{x:.2f}' for x in s['latency'])} s")


def encode_details(e):
    w, p = e["win"], e["pids"]
    for name in ("on", "off"):
        print(f"encode mode, motion {name}: recorder CPU per 5 s slice: {', '.join(f'{x:.1f}' for x in w[p[name][0]]['slices'])} % of a core")
    print(f"encode mode, motion on, recorder argv: {' '.join(e['argv']['on'])}")


def main():
    given = arg("--binary")
    if not given:
        sys.exit("usage: bench/motion.py --binary PATH [--quick] [--seed N] [--cameras N]")
    seed = int(arg("--seed", "7"))
    n = int(arg("--cameras", "4" if QUICK else "16"))
    base = tempfile.mkdtemp(prefix="camgate-bench-motion-")
    ok = False
    try:
        binary = os.path.join(base, "camgate")
        shutil.copy2(given, binary)
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()
        log(f"seed {seed}; work directory {base}")
        mp4, truth = clip(seed, base)
        log(f"A: memory and snapshots, {n} cameras per group...")
        mem = memory_phase(binary, base, n)
        log("B: the 720p clip...")
        c = clip_phase(binary, base, mp4, truth)
        scores = {cam: score_camera(cam, c["events"], c["first"], c["origin"][cam], truth, c["until"]) for cam in c["on"]
                  if c["origin"][cam]}
        if len(scores) < len(c["on"]):
            raise RuntimeError(f"no clip origin for a motion camera: {c['origin']}")
        log("B2: the 720p clip with motion from its 640x360 substream...")
        cs = clip_phase(binary, base, mp4, truth, substream_clip(mp4))
        sub_scores = {cam: score_camera(cam, cs["events"], cs["first"], cs["origin"][cam], truth, cs["until"]) for cam in cs["on"]
                      if cs["origin"][cam]}
        if len(sub_scores) < len(cs["on"]):
            raise RuntimeError(f"no clip origin for a substream camera: {cs['origin']}")
        log("C: the 720p clip re-encoded (libx264), 1 camera with motion on and 1 off...")
        enc = encode_phase(binary, base, mp4, truth)
        print(f"## Motion events (issue 13) — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} cores, "
              f"load {os.getloadavg()[0]:.1f}, {'quick' if QUICK else 'full'} run, seed {seed}")
        print(f"\nFigures are of the binary given, {given} (camgate {version}). A: rtsp_server.py's 640x360 pattern, "
              f"{n} cameras per group, {mem['seconds']} s window after {mem['warm']} s. B: the seed-{seed} 720p clip "
              f"({CLIP_SECONDS} s; truth {truth['motion']}, lighting {truth['lighting']}), mask {truth['masked']['rect']}, copy mode. "
              f"C: the same clip re-encoded with libx264 (`\"video\": {{\"encoder\": \"software\"}}`), one camera per agent, "
              f"{enc['seconds']} s window after {enc['warm']} s.\n")
        print_table(memory_rows(mem) + clip_rows(c, scores) + clip_rows(cs, sub_scores) + encode_rows(enc))
        print(f"\nbare floor argv: {' '.join(mem['bare_argv'])}")
        details(c, scores)
        details(cs, sub_scores)
        encode_details(enc)
        for run in (c, cs):
            if run["restarted"]:
                print(f"NOTE: a recorder of the {'substream' if run['sub'] else 'main-stream'} clip phase restarted before the end: "
                      "its events after that are not comparable")
        ok = True
    finally:
        if ok:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"\n(work directory kept: {base})", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
