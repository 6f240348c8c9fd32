#!/usr/bin/env python3
"""camgate benchmark, OTA section (issue 11).

usage: bench/ota.py --binary PATH --simulator PATH [--quick]

Both binaries are first copied into a temporary directory (the originals may
be rebuilt meanwhile) and the agent's copy is stripped (`strip -o`); every
figure is of that binary, whatever build it was. Measured in one run, each
beside its target:
  - the update payload: `xz -9 -T1` of the stripped binary (<= 8 MB);
  - the cloud's `ota_update` end to end, as Tests/UpdaterTests/
    CloudUpdateTests.swift runs it, with the DEFAULT trial policy (minimum
    run 12 s, deadline 120 s): a device tree under a temporary root (0.1.0
    = the stripped binary, `current` and `committed` -> 0.1.0), keys, bundle,
    roots, a 0.2.0 release (the same binary: a version is its directory's
    name, docs/ota.md) made with `camgate ota …` and served by
    Tests/Fixtures/release_server.py, the agent recording one test camera
    (320x180, 15 fps, 2 s segments) and linked to camgate-cloud-sim, under
    Tests/Fixtures/restart_harness.py playing systemd (guard, exited, the
    check every 1 s, camgate-ota-apply.path -> `ota request`). The command
    is sent through the simulator's control API; the time to the ota.json
    record's `committed` and to the ack in the simulator's reports, beside
    the time of the path hook (fetch, verify, `xz -dc`, stage), so that
    "<= 15 s plus the download" can be judged;
  - the recording across that update: the same recorder ffmpeg before and
    after, and the largest gap between consecutive complete segments
    (ffprobe packet times: next first pts - (last pts + duration)), in
    frames at 15 fps (target 0);
  - a 0.2.0 that exits at once (`#!/bin/sh`, exit 1), on a fresh device and
    harness: the time from the harness's start of 0.2.0 to the next start
    of 0.1.0 (events.jsonl; <= 10 s), and that the recorder survived.
--quick only shortens the waits after each outcome (fewer segments watched);
nothing is skipped. No randomness is used.
"""
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import command_lines, print_table, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
QUICK = "--quick" in sys.argv
FPS = 15
FRAME = 1 / FPS
ARCH = {"arm64": "aarch64"}.get(platform.machine(), platform.machine())
CAMERA = {"cam1": {"source": {"kind": "test", "size": "320x180", "fps": FPS}, "record": True}}
RECORDING = {"segment_seconds": 2, "retain_days": 7, "min_free_percent": 1}
AFTER_SEGMENTS = 2 if QUICK else 4  # complete segments to watch after an outcome

children = []  # every Popen this script started, stopped in main's finally


def arg(name):
    return sys.argv[sys.argv.index(name) + 1]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {r.returncode}: {r.stdout}{r.stderr}")
    return r.stdout


def spawn(argv, logfile):
    p = subprocess.Popen(argv, stdout=open(logfile, "ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    children.append(p)
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes -------------------------------------------------------------

def proc_start(pid):
    """The process's start time in ticks (field 22) and its state; None when gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return None if fields[0] in ("Z", "X") else int(fields[19])


def processes(needle):
    """Live processes whose command line contains `needle`, as (pid, start time)."""
    found = []
    for pid, argv in command_lines():
        if needle.encode() in b" ".join(argv):
            start = proc_start(pid)
            if start is not None:
                found.append((pid, start))
    return sorted(found)


# --- the operator's desk: keys and releases, with the CLI only ---------------

class Kit:
    """A root key, a signing key `release-a`, the root-keys file and bundle serial 1 (ReleaseKit.swift)."""

    def __init__(self, camgate, base):
        self.camgate = camgate
        self.keys = os.path.join(base, "keys")
        os.makedirs(self.keys)
        for kid in ("root-1", "release-a"):
            run([camgate, "ota", "keygen", "--id", kid, "--out", f"{self.keys}/{kid}.key"])
        self.root_keys = f"{self.keys}/ota-root-keys.json"
        run([camgate, "ota", "roots", "--key", f"{self.keys}/root-1.pub", "--out", self.root_keys])
        run([camgate, "ota", "bundle", "--serial", "1", "--key", f"{self.keys}/release-a.pub", "--out", f"{self.keys}/keys.json"])
        run([camgate, "ota", "sign", "--key", f"{self.keys}/root-1.key", f"{self.keys}/keys.json"])

    def release(self, out, binary, payload, version="0.2.0"):
        """A release directory as ota/README.md cuts it; `payload` is `xz -9 -T1` of `binary`."""
        os.makedirs(out)
        packed = os.path.join(out, f"camgate-{version}-{ARCH}.xz")
        shutil.copyfile(payload, packed)
        run([self.camgate, "ota", "manifest", "--release-version", version, "--arch", ARCH, "--board", "intel-n100",
             "--min-version", "0.1.0", "--key-id", "release-a", "--notes", "bench/ota.py", "--payload", packed,
             "--binary", binary, "--out", f"{out}/manifest.json"])
        run([self.camgate, "ota", "sign", "--key", f"{self.keys}/release-a.key", f"{out}/manifest.json"])
        for suffix in ("", ".sig"):
            shutil.copyfile(f"{self.keys}/keys.json{suffix}", f"{out}/keys.json{suffix}")
        run([self.camgate, "ota", "verify", f"{out}/manifest.json", "--root-keys", self.root_keys, "--board", "intel-n100",
             "--root", tempfile.mkdtemp(prefix="empty-", dir=os.path.dirname(out))])
        return out


def xz(src, dst):
    t0 = time.monotonic()
    with open(dst, "wb") as f:
        subprocess.run(["xz", "-9", "-T1", "-k", "-c", src], stdout=f, check=True)
    return os.path.getsize(dst), time.monotonic() - t0


# --- the services: release server, cloud simulator -------------------------

class ReleaseServer:
    def __init__(self, directory, base):
        self.port = free_port()
        self.log = os.path.join(base, f"server-{self.port}.log")
        self.proc = spawn([sys.executable, os.path.join(FIXTURES, "release_server.py"), directory, str(self.port), self.log],
                          os.path.join(base, f"server-{self.port}.out"))
        ok = wait_for(lambda: self._get("keys.json"), 10)
        if not ok:
            raise RuntimeError("release_server.py did not answer")
        os.unlink(self.log)

    def _get(self, name):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{name}", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/manifest.json"

    def requests(self):
        try:
            return open(self.log).read().split("\n")[:-1]
        except OSError:
            return []


class Simulator:
    """camgate-cloud-sim as CloudSimulatorProcess.swift starts it."""

    def __init__(self, simulator, directory):
        os.makedirs(directory)
        self.token_file = os.path.join(directory, "device.token")
        with open(self.token_file, "w") as f:
            f.write("bench-ota-token")
        os.chmod(self.token_file, 0o600)
        logfile = os.path.join(directory, "sim.log")
        self.proc = spawn([simulator, "--port", "0", "--token-file", self.token_file, "--ping-interval", "1",
                           "--state-file", os.path.join(directory, "sim-state.json")], logfile)

        def port():
            text = open(logfile).read()
            line = next((l for l in text.split("\n") if "listening on" in l), None)
            return int(line.split(":")[-1].split()[0]) if line else None
        self.port = wait_for(port, 10, 0.05)
        if not self.port:
            raise RuntimeError(f"the cloud simulator did not start: {open(logfile).read()}")
        self.base = f"http://127.0.0.1:{self.port}"

    def cloud_section(self):
        return {"endpoint": self.base, "device_id": "dev-1", "token_file": self.token_file}

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        req = urllib.request.Request(f"{self.base}/control/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def acks(self, command_id):
        items = self.control("GET", "reports").get("items", [])
        return [i for i in items if i.get("kind") == "ack" and i.get("command_id") == command_id]

    def ota_update(self, command_id, url, version="0.2.0"):
        self.control("POST", "command", {"id": command_id, "type": "ota_update", "args": {"url": url, "version": version}})


# --- the device and the harness playing systemd -----------------------------

class Device:
    """An install under a temporary root: 0.1.0 committed and current (DeviceTree in ReleaseKit.swift)."""

    def __init__(self, root, binary):
        self.root = root
        self.lib = os.path.join(root, "usr", "lib", "camgate")
        os.makedirs(os.path.join(self.lib, "0.1.0"))
        shutil.copy2(binary, os.path.join(self.lib, "0.1.0", "camgate"))
        for link in ("current", "committed"):
            os.symlink("0.1.0", os.path.join(self.lib, link))

    def link(self, name):
        try:
            return os.readlink(os.path.join(self.lib, name))
        except OSError:
            return None

    def state(self):
        try:
            return json.load(open(os.path.join(self.root, "var", "lib", "camgate", "ota.json")))
        except (OSError, ValueError):
            return {}

    def update(self):
        return self.state().get("update") or {}


class Harness:
    """Tests/Fixtures/restart_harness.py around a device, with every hook and the path unit (TrialHarnessTests.swift)."""

    def __init__(self, device, work, config, root_keys):
        self.work = work
        self.data = os.path.join(work, "data")
        os.makedirs(self.data)
        with open(os.path.join(work, "config.json"), "w") as f:
            json.dump(config, f)
        committed = os.path.join(device.lib, "committed", "camgate")

        def hook(name):
            return [committed, "ota", name, "--root", device.root, "--systemctl", os.path.join(work, "systemctl"), "--data-dir", self.data]
        cfg = {"dir": work, "pre": hook("guard"), "stop_post": hook("exited"), "check": hook("check"),
               "start": [os.path.join(device.lib, "current", "camgate"), "run", "--config", os.path.join(work, "config.json"),
                         "--data-dir", self.data, "--install-root", device.root],
               "check_every": 1.0, "restart_sec": 1.0,
               # The default trial policy: no --deadline, --minimum-run or --exit-window.
               "path": {"exists": os.path.join(self.data, "ota-request.json"),
                        "run": hook("request") + ["--root-keys", root_keys, "--board", "intel-n100"]}}
        with open(os.path.join(work, "harness.json"), "w") as f:
            json.dump(cfg, f)
        self.proc = spawn([sys.executable, os.path.join(FIXTURES, "restart_harness.py"), os.path.join(work, "harness.json")],
                          os.path.join(work, "harness.log"))

    def events(self):
        try:
            lines = open(os.path.join(self.work, "events.jsonl")).read().split("\n")
        except OSError:
            return []
        return [json.loads(l) for l in lines if l.strip()]

    def starts(self):
        return [e for e in self.events() if e["event"] == "start"]

    def stop(self):
        open(os.path.join(self.work, "stop"), "w").close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def tail(self, name, n=3000):
        try:
            return open(os.path.join(self.work, name)).read()[-n:]
        except OSError:
            return ""


class Agent:
    """Reads of a running (or stopped) agent through the CLI: status and recordings."""

    def __init__(self, camgate, data):
        self.camgate, self.data = camgate, data

    def status(self):
        r = subprocess.run([self.camgate, "status", "--data-dir", self.data, "--json"], capture_output=True, text=True, timeout=20)
        return r.stdout

    def connected(self):
        return '"link":"connected"' in self.status()

    def answers(self):
        return '"answered_by":"agent"' in self.status()

    def complete(self):
        """Complete segments, oldest first."""
        r = subprocess.run([self.camgate, "recordings", "--data-dir", self.data, "--json"], capture_output=True, text=True, timeout=20)
        try:
            rows = json.loads(r.stdout)
        except ValueError:
            return []
        return sorted(row["file"] for row in rows if row.get("status") == "complete")


def probe(file):
    """(first pts, last pts + its duration) of the video packets."""
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time",
               "-of", "csv=p=0", file])
    packets = []
    for line in out.split():
        f = line.split(",")
        try:
            packets.append((float(f[0]), float(f[1])))
        except (ValueError, IndexError):
            pass
    packets.sort()
    return packets[0][0], packets[-1][0] + packets[-1][1]


def gaps(files):
    timings = [probe(f) for f in files]
    return [n[0] - p[1] for p, n in zip(timings, timings[1:])]


# --- one scenario: a device recording and linked, then an ota_update ---------

class Scenario:
    def __init__(self, name, base, camgate, stripped, simulator, kit):
        self.base = os.path.join(base, name)
        os.makedirs(self.base)
        self.sim = Simulator(simulator, os.path.join(self.base, "sim"))
        self.device = Device(os.path.join(self.base, "root"), stripped)
        config = {"revision": 1, "cameras": CAMERA, "recording": RECORDING, "cloud": self.sim.cloud_section()}
        self.harness = Harness(self.device, os.path.join(self.base, "work"), config, kit.root_keys)
        self.agent = Agent(camgate, self.harness.data)
        self.needle = os.path.join(self.harness.data, "run") + "/"

    def wait_up(self):
        up = wait_for(lambda: len(self.agent.complete()) >= 1 and self.agent.connected(), 60, 0.5)
        if not up:
            raise RuntimeError(f"0.1.0 did not record and connect:\n{self.harness.tail('hooks.log')}\n"
                               f"status: {self.agent.status()}\nagent log: {self.harness.tail('agent.log')}")

    def recorders(self):
        return processes(self.needle)

    def wait_phase(self, phases, timeout):
        return wait_for(lambda: self.device.update().get("phase") in phases, timeout, 0.05)

    def wait_ack(self, command_id, timeout):
        return wait_for(lambda: self.sim.acks(command_id), timeout, 0.2)

    def watch_more_segments(self):
        have = len(self.agent.complete())
        wait_for(lambda: len(self.agent.complete()) >= have + AFTER_SEGMENTS, 2.5 * AFTER_SEGMENTS + 10, 0.5)

    def finish(self):
        """A plain stop (the agent stops its recorder), then every complete segment's gap to the next."""
        self.harness.stop()
        files = self.agent.complete()
        return files, gaps(files)


def update_run(base, camgate, stripped, simulator, kit, payload):
    log("update: device 0.1.0 recording and linked to the simulator...")
    s = Scenario("update", base, camgate, stripped, simulator, kit)
    s.wait_up()
    before = s.recorders()
    rel = kit.release(os.path.join(s.base, "release"), stripped, payload)
    server = ReleaseServer(rel, s.base)
    segments_before = len(s.agent.complete())
    log("update: sending ota_update c-ota-1 (default trial policy: minimum run 12 s)...")
    sent = time.time()
    s.sim.ota_update("c-ota-1", server.url)
    phase = s.wait_phase(("committed", "rolled_back"), 300)
    seen_commit = time.time()
    record = s.device.update()
    ack = s.wait_ack("c-ota-1", 60)
    seen_ack = time.time()
    log(f"update: {record.get('phase')}; watching {AFTER_SEGMENTS} more segments...")
    s.watch_more_segments()
    after = s.recorders()
    events = s.harness.events()
    links = {k: s.device.link(k) for k in ("current", "committed", "previous")}
    last_start = (s.harness.starts() or [{}])[-1].get("binary", "")
    answers = s.agent.answers()
    files, g = s.finish()
    stopped = s.recorders()

    paths = [e for e in events if e["event"] == "path" and e["t"] >= sent]
    path = paths[0] if paths else None
    new_start = next((e for e in events if e["event"] == "start" and e["t"] >= sent and e["binary"].endswith("/0.2.0/camgate")), None)
    finished = record.get("finished_at", 0) / 1000 or None
    problems = []
    if record.get("phase") != "committed":
        problems.append(f"update ended {record.get('phase')} ({record.get('rollback_reason')}), not committed: {s.harness.tail('hooks.log')}")
    if links != {"current": "0.2.0", "committed": "0.2.0", "previous": "0.1.0"}:
        problems.append(f"links after the commit: {links}")
    if not last_start.endswith("/0.2.0/camgate"):
        problems.append(f"the last start ran {last_start}, not 0.2.0")
    if not answers:
        problems.append("0.2.0 did not answer `camgate status` after the commit")
    if len(paths) != 1 or (path and path["rc"] != 0):
        problems.append(f"path hook runs after the command: {paths}")
    ack_ok = bool(ack) and len(ack) == 1 and ack[0].get("status") == "succeeded" and (ack[0].get("result") or {}).get("version") == "0.2.0"
    if not ack_ok:
        problems.append(f"ack of c-ota-1: {ack}")
    if stopped:
        problems.append(f"recorders still running after the plain stop: {stopped}")
    return {
        "phase": phase and record.get("phase"), "record": record, "sent": sent,
        "commit_s": (finished - sent) if finished else None, "commit_seen_s": seen_commit - sent if phase else None,
        "ack_s": seen_ack - sent if ack else None, "ack_ok": ack_ok, "ack": ack,
        "path_s": path["seconds"] if path else None, "path_began_s": (path["t"] - path["seconds"] - sent) if path else None,
        "start_s": (new_start["t"] - sent) if new_start else None,
        "run_to_commit_s": (finished - new_start["t"]) if finished and new_start else None,
        "payload_requests": [r for r in server.requests() if r.startswith("camgate-")],
        "recorder_before": before, "recorder_after": after, "same_recorder": len(before) == 1 and before == after,
        "segments": len(files), "segments_before": segments_before, "gaps": g, "problems": problems,
    }


def rollback_run(base, camgate, stripped, simulator, kit):
    log("rollback: a fresh device 0.1.0 recording and linked...")
    s = Scenario("rollback", base, camgate, stripped, simulator, kit)
    s.wait_up()
    before = s.recorders()
    bad = os.path.join(s.base, "exits-1")
    with open(bad, "w") as f:
        f.write("#!/bin/sh\necho bad >&2\nexit 1\n")
    os.chmod(bad, 0o755)
    bad_xz = os.path.join(s.base, "exits-1.xz")
    xz(bad, bad_xz)
    rel = kit.release(os.path.join(s.base, "release"), bad, bad_xz)
    server = ReleaseServer(rel, s.base)
    segments_before = len(s.agent.complete())
    log("rollback: sending ota_update c-ota-bad (a 0.2.0 that exits 1 at once)...")
    sent = time.time()
    s.sim.ota_update("c-ota-bad", server.url)
    s.wait_phase(("committed", "rolled_back"), 300)
    record = s.device.update()

    def back():
        st = [e for e in s.harness.starts() if e["t"] >= sent]
        i = next((k for k, e in enumerate(st) if e["binary"].endswith("/0.2.0/camgate")), None)
        if i is None:
            return None
        j = next((e for e in st[i:] if e["binary"].endswith("/0.1.0/camgate")), None)
        return (st[i], j) if j else None
    pair = wait_for(lambda: back() and s.agent.answers() and back(), 30, 0.2)
    ack = s.wait_ack("c-ota-bad", 60)
    log(f"rollback: {record.get('phase')} ({record.get('rollback_reason')}); watching {AFTER_SEGMENTS} more segments...")
    s.watch_more_segments()
    after = s.recorders()
    links = {k: s.device.link(k) for k in ("current", "committed")}
    bad_versions = s.device.state().get("bad_versions")
    starts_after = [e["binary"].split("/")[-2] for e in s.harness.starts() if e["t"] >= sent]
    files, g = s.finish()
    stopped = s.recorders()

    problems = []
    if record.get("phase") != "rolled_back" or record.get("rollback_reason") != "exited_at_once":
        problems.append(f"the bad build ended {record.get('phase')} ({record.get('rollback_reason')}): {s.harness.tail('hooks.log')}")
    if links != {"current": "0.1.0", "committed": "0.1.0"} or bad_versions != ["0.2.0"]:
        problems.append(f"after the rollback: links {links}, bad versions {bad_versions}")
    ack_ok = bool(ack) and len(ack) == 1 and ack[0].get("status") == "failed" and "exited_at_once" in (ack[0].get("detail") or "")
    if not ack_ok:
        problems.append(f"ack of c-ota-bad: {ack}")
    if not pair:
        problems.append(f"0.1.0 did not start again after 0.2.0 (starts since the command: {starts_after})")
    if stopped:
        problems.append(f"recorders still running after the plain stop: {stopped}")
    return {
        "phase": record.get("phase"), "reason": record.get("rollback_reason"), "ack": ack, "ack_ok": ack_ok,
        "rollback_s": (pair[1]["t"] - pair[0]["t"]) if pair else None, "starts": starts_after,
        "recorder_before": before, "recorder_after": after, "same_recorder": len(before) == 1 and before == after,
        "segments": len(files), "segments_before": segments_before, "gaps": g, "problems": problems,
    }


def fmt(v, unit=" s", digits=1):
    return "n/a" if v is None else f"{v:.{digits}f}{unit}"


def frames(g):
    return max(g) / FRAME if g else None


def main():
    given_binary, given_sim = arg("--binary"), arg("--simulator")
    base = tempfile.mkdtemp(prefix="camgate-bench-ota-")
    ok = False
    try:
        # Our own copies: the originals may be rebuilt while this runs.
        original = os.path.join(base, "camgate.given")
        shutil.copy2(given_binary, original)
        simulator = os.path.join(base, "camgate-cloud-sim")
        shutil.copy2(given_sim, simulator)
        stripped = os.path.join(base, "camgate")
        run(["strip", "-o", stripped, original])
        os.chmod(stripped, 0o755)
        version = run([stripped, "--version"]).strip()
        given_size, stripped_size = os.path.getsize(original), os.path.getsize(stripped)
        os.unlink(original)
        camgate = stripped  # the operator's tool and the CLI reads: the same binary
        kit = Kit(camgate, base)

        log(f"xz -9 -T1 of the stripped binary ({stripped_size / 1e6:.1f} MB)...")
        payload = os.path.join(base, "payload.xz")
        xz_size, xz_s = xz(stripped, payload)

        upd = update_run(base, camgate, stripped, simulator, kit, payload)
        rb = rollback_run(base, camgate, stripped, simulator, kit)

        net = upd["commit_s"] - upd["path_s"] if upd["commit_s"] is not None and upd["path_s"] is not None else None
        up_frames, rb_frames = frames(upd["gaps"]), frames(rb["gaps"])
        debug = "/debug/" in os.path.realpath(given_binary)
        rec_before = upd["recorder_before"][0][0] if upd["recorder_before"] else None
        rb_before = rb["recorder_before"][0][0] if rb["recorder_before"] else None
        rows = [
            ("update payload: xz -9 -T1 of the stripped binary", f"{xz_size / 1e6:.2f} MB ({xz_size / 2**20:.2f} MiB)", "<= 8 MB",
             xz_size <= 8e6),
            ("  stripped binary (the payload's content); xz -9 took", f"{stripped_size / 1e6:.1f} MB; {xz_s:.0f} s", "", None),
            ("cloud ota_update -> 0.2.0 committed (ota.json finished_at), default trial policy",
             fmt(upd["commit_s"]), "reported", None),
            ("  of which the path hook `ota request`: fetch, verify, xz -dc, stage (the download)", fmt(upd["path_s"], digits=2), "reported", None),
            ("  command -> committed, less the path hook", fmt(net), "<= 15 s", net is not None and net <= 15 and upd["phase"] == "committed"),
            ("  command -> path hook began (agent wrote the request, harness polls 50 ms)", fmt(upd["path_began_s"], digits=2), "", None),
            ("  command -> 0.2.0 started (harness start event)", fmt(upd["start_s"]), "", None),
            ("  0.2.0 started -> committed (minimum run 12 s + the 1 s check)", fmt(upd["run_to_commit_s"]), "", None),
            ("  command -> ack in the simulator's reports", fmt(upd["ack_s"]) + (" (succeeded, 0.2.0)" if upd["ack_ok"] else " (WRONG ACK)"),
             "reported", upd["ack_ok"]),
            ("recording across the update: same recorder ffmpeg before and after",
             f"pid {rec_before}: " + ("same" if upd["same_recorder"] else f"NOT the same (after: {[p for p, _ in upd['recorder_after']]})"),
             "same process", upd["same_recorder"]),
            (f"  largest gap between consecutive segments ({upd['segments']} complete, {upd['segments_before']} before the command; ffprobe)",
             "n/a" if up_frames is None else f"{max(upd['gaps']):.4f} s = {up_frames:.2f} frames", f"0 frames (1 frame = {FRAME * 1000:.1f} ms)",
             up_frames is not None and up_frames < 0.5),
            ("build that exits at once: its start -> 0.1.0 started again (events.jsonl)", fmt(rb["rollback_s"], digits=2), "<= 10 s",
             rb["rollback_s"] is not None and rb["rollback_s"] <= 10),
            ("  outcome, ack", f"{rb['phase']} ({rb['reason']}); ack " + (f"{rb['ack'][0].get('status')}" if rb["ack"] else "none"),
             "rolled_back (exited_at_once), failed", rb["ack_ok"] and rb["phase"] == "rolled_back"),
            ("  recorder across the bad build and the rollback",
             f"pid {rb_before}: " + ("same" if rb["same_recorder"] else f"NOT the same (after: {[p for p, _ in rb['recorder_after']]})"),
             "same process", rb["same_recorder"]),
            (f"  largest gap between consecutive segments ({rb['segments']} complete, {rb['segments_before']} before the command)",
             "n/a" if rb_frames is None else f"{max(rb['gaps']):.4f} s = {rb_frames:.2f} frames", "0 frames", rb_frames is not None and rb_frames < 0.5),
        ]
        print(f"## OTA (issue 11) — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} cores, "
              f"{'quick' if QUICK else 'full'} run, one 320x180@15 test camera, 2 s segments")
        print(f"\nFigures are of the binary given, {given_binary} (camgate {version}, {given_size / 1e6:.1f} MB as given, "
              f"{stripped_size / 1e6:.1f} MB stripped), whatever build that is.")
        if debug:
            print("DEBUG BUILD: these are not the release figures; the payload target is judged on the release build.")
        print()
        print_table(rows)
        print(f"\nupdate: segment gaps (s): {', '.join(f'{x:.4f}' for x in upd['gaps'])}")
        print(f"rollback: segment gaps (s): {', '.join(f'{x:.4f}' for x in rb['gaps'])}; starts since the command: {', '.join(rb['starts'])}")
        print(f"payload requests to the release server: {upd['payload_requests']}")
        problems = upd["problems"] + rb["problems"]
        for p in problems:
            print(f"\nPROBLEM: {p}")
        ok = not problems
    finally:
        for p in reversed(children):
            if p.poll() is None:
                if p.args[1:2] and p.args[1].endswith("restart_harness.py"):
                    p.send_signal(signal.SIGTERM)  # the harness stops its agent, then exits
                    try:
                        p.wait(timeout=30)
                        continue
                    except subprocess.TimeoutExpired:
                        pass
                p.kill()
                p.wait()
        # Anything left that runs from our directory (an agent or a recorder ffmpeg): ours, by pid.
        for pid, _ in processes(base):
            if pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if ok:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"\n(work directory kept: {base})", file=sys.stderr)


if __name__ == "__main__":
    main()
