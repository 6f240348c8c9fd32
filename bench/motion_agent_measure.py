#!/usr/bin/env python3
"""Recorders of a real camgate agent, motion on vs off, same RTSP source:
private memory (smaps_rollup Private_Clean+Private_Dirty) and CPU over a window.
usage: measure.py CAMGATE CLIP|--testsrc WORKDIR [WINDOW_S]"""
import json, os, subprocess, sys, time
camgate, clip, work = sys.argv[1], sys.argv[2], sys.argv[3]
window = float(sys.argv[4]) if len(sys.argv) > 4 else 30
os.makedirs(work, exist_ok=True)
srv_args = ["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "rtsp_server.py"), "0", "/cam"] + ([] if clip == "--testsrc" else ["--file", clip])
srv = subprocess.Popen(srv_args, stdout=subprocess.PIPE, text=True)
port = srv.stdout.readline().split()[1]
url = "rtsp://127.0.0.1:%s/cam" % port
cams = {}
for name, motion in [("off1", False), ("off2", False), ("on1", True), ("on2", True)]:
    cams[name] = {"source": {"kind": "rtsp", "url": url}, "record": True, "motion": {"enabled": motion}}
cfg = os.path.join(work, "config.json")
json.dump({"cameras": cams, "recording": {"segment_seconds": 10, "retain_days": 1, "min_free_percent": 1}}, open(cfg, "w"))
data = os.path.join(work, "data")
log = open(os.path.join(work, "agent.log"), "w")
agent = subprocess.Popen([camgate, "run", "--config", cfg, "--data-dir", data], stdout=log, stderr=log)
def pids():
    out = {}
    for p in os.listdir("/proc"):
        if not p.isdigit(): continue
        try: cmd = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
        except OSError: continue
        if cmd and cmd[0].endswith(b"ffmpeg"):
            for c in cams:
                if any(("/run/%s/" % c).encode() in a for a in cmd): out[c] = int(p)
    return out
def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def private(pid):
    kb = 0
    for line in open("/proc/%d/smaps_rollup" % pid):
        if line.startswith("Private_Clean") or line.startswith("Private_Dirty"): kb += int(line.split()[1])
    return kb / 1024
time.sleep(8)
p = pids()
c0 = {k: cpu(v) for k, v in p.items()}; a0 = cpu(agent.pid); t0 = time.time()
time.sleep(window)
dt = time.time() - t0
res = {k: {"cpu_pct": round((cpu(v) - c0[k]) / dt * 100, 1), "private_mb": round(private(v), 1)} for k, v in p.items()}
res["agent"] = {"cpu_pct": round((cpu(agent.pid) - a0) / dt * 100, 2), "private_mb": round(private(agent.pid), 1)}
print(json.dumps(res, indent=1))
ev = subprocess.run([camgate, "events", "--motion", "--data-dir", data], capture_output=True, text=True).stdout
print(ev)
agent.terminate(); agent.wait(20); srv.kill()
