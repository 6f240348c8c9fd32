#!/usr/bin/env python3
"""Issue 13: cost of the motion branch in the recorder, with the lavfi clip
served by the real RTSP server (Tests/Fixtures/rtsp_server.py --file).

usage: motion_bench.py CLIP.mp4 TRUTH.json WORKDIR [--configs a,b,...] [--copies N]
                       [--window 60] [--warmup 8]

Every configuration runs N recorders at the same time (same run, same
machine load); each recorder pulls its own copy of the clip (the server's
file mount is not shared: each client gets the clip from t=0). CPU is
utime+stime from /proc/PID/stat over the window; memory is
Private_Clean+Private_Dirty from /proc/PID/smaps_rollup at the end of the
window (and the largest value seen during it). The argv is RecorderCommand's
copy mode (or its libx264 encode mode for enc_*), with the motion branch
as docs/motion-design.md recommends.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "Tests", "Fixtures")
sys.path.insert(0, FIX)
import motion_eval  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
# The recommended motion chain (docs/motion-design.md): 100 px high, the
# pixels that changed by more than 15 since the previous sample, as a
# 0/255 plane whose mean (YAVG) is 2.55 x the percentage that changed.
# {stamp} is empty here (the evaluator wants clip time: the relative pts of
# the arrival clock) or the epoch stamp the agent would use.
MOTION = ("scale=-2:100:flags=area,format=yuv420p{mask},tblend=all_mode=difference,lutyuv=y='gt(val,15)*255',signalstats"
          "{stamp},metadata=mode=print:key=lavfi.signalstats.YAVG:direct=1:file={log}")
KEY = "lavfi.signalstats.YAVG"
EPOCH = ",settb=1/1000,setpts=RTCTIME/1000"


def rtsp_input(url, nokey, extra=()):
    args = ["-rtsp_transport", "tcp", "-timeout", "10000000",
            "-fflags", "+genpts+discardcorrupt", "-use_wallclock_as_timestamps", "1"]
    args += list(extra)
    if nokey:
        args += ["-skip_frame", "nokey"]
    return args + ["-i", url]


def segments(d, encode):
    if encode:
        v = ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "high", "-pix_fmt", "yuv420p",
             "-g", "15", "-keyint_min", "15", "-sc_threshold", "0", "-bf", "0", "-crf", "23"]
    else:
        v = ["-c:v", "copy"]
    return ["-map", "0:v:0", "-an"] + v + [
        "-f", "segment", "-segment_format", "mpegts", "-segment_format_options", "flush_packets=1",
        "-segment_time", "10", "-segment_atclocktime", "1", "-strftime", "1",
        "-segment_list", os.path.join(d, "list.csv"), "-segment_list_type", "csv", os.path.join(d, "%Y%m%d-%H%M%S.ts")]


JPG_CODEC = ["-pix_fmt", "yuv420p", "-color_range", "pc", "-strict", "-1", "-c:v", "mjpeg", "-q:v", "5",
             "-f", "image2", "-update", "1", "-atomic_writing", "1"]


def latest_today(d):
    return ["-map", "0:v:0", "-an", "-vf", "fps=1,scale=out_range=full"] + JPG_CODEC + [os.path.join(d, "latest.jpg")]


MASK = ",drawbox=x=iw*0:y=ih*0:w=iw*0.2:h=ih*0.2:color=black:t=fill"


NORM = "format=gbrp,normalize=independence=0:smoothing=0,format=gray,format=yuv420p"
NORM2 = "format=gbrp,normalize=independence=0:smoothing=0,format=yuv420p"


def latest_and_motion(d, rate=2, fthreads=None, jpg_t1=False, stamp="", mask="", jpg_height=None, norm=False):
    log = os.path.join(d, "motion.log")
    chain = MOTION.replace("format=yuv420p", NORM2 if norm == 2 else NORM, 1) if norm else MOTION
    size = f"-2:{jpg_height}:" if jpg_height else ""
    g = (f"[0:v:0]fps={rate},split=2[j][m];[j]fps=1,scale={size}out_range=full[jpg];"
         f"[m]{chain.format(log=log, mask=mask, stamp=stamp)}[mo]")
    pre = ["-filter_complex_threads", str(fthreads)] if fthreads else []
    return pre + ["-filter_complex", g, "-map", "[jpg]"] + JPG_CODEC + (["-threads", "1"] if jpg_t1 else []) + [os.path.join(d, "latest.jpg"),
                                                                        "-map", "[mo]", "-f", "null", "-"]


HEAD = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+warning", "-y"]


MALLOC_ENV = {"MALLOC_ARENA_MAX": "1", "MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}


def env_for(name):
    """A configuration name ending in +malloc runs with glibc's malloc tuned
    to hand big buffers back (fixed mmap threshold, one arena)."""
    env = dict(os.environ, TZ="UTC")
    if name.endswith("+malloc"):
        env.update(MALLOC_ENV)
    return env


def config(name, url, d):
    name = name.split("+")[0]
    t1 = ["-threads", "1"]
    c = {
        # copy mode
        "bare_copy": lambda: HEAD + rtsp_input(url, False) + segments(d, False),
        "copy_jpg_today": lambda: HEAD + rtsp_input(url, True) + segments(d, False) + latest_today(d),
        "copy_jpg_today_t1": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False) + latest_today(d),
        "copy_jpg_motion_nokey_t1": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False) + latest_and_motion(d, fthreads=1),
        "copy_jpg_motion": lambda: HEAD + rtsp_input(url, False) + segments(d, False) + latest_and_motion(d),
        "copy_jpg_motion_t1": lambda: HEAD + rtsp_input(url, False, t1) + segments(d, False) + latest_and_motion(d, fthreads=1),
        "copy_jpg_motion_t1_nolf": lambda: HEAD + rtsp_input(url, False, t1 + ["-skip_loop_filter", "all"]) + segments(d, False)
        + latest_and_motion(d, fthreads=1),
        # where the decode branch's memory goes (decode to the null muxer, adding one stage at a time)
        "copy_dec_nokey_t1": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False) + ["-map", "0:v:0", "-f", "null", "-"],
        "copy_dec_fps1_nokey_t1": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False)
        + ["-map", "0:v:0", "-vf", "fps=1", "-f", "null", "-"],
        "copy_dec_scale_nokey_t1": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False)
        + ["-map", "0:v:0", "-vf", "fps=1,scale=out_range=full", "-f", "null", "-"],
        "copy_jpg_norange_nokey_t1": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False)
        + ["-map", "0:v:0", "-an", "-vf", "fps=1", "-c:v", "mjpeg", "-q:v", "5", "-strict", "-1",
           "-f", "image2", "-update", "1", "-atomic_writing", "1", os.path.join(d, "latest.jpg")],
        "copy_jpg_small_nokey_t1": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False)
        + ["-map", "0:v:0", "-an", "-vf", "fps=1,scale=-2:360:out_range=full"] + JPG_CODEC + [os.path.join(d, "latest.jpg")],
        "copy_motion_only_t1": lambda: HEAD + rtsp_input(url, False, t1) + segments(d, False)
        + ["-filter_complex_threads", "1", "-filter_complex", "[0:v:0]fps=2," + MOTION.format(log=os.path.join(d, "motion.log"), mask="", stamp="") + "[mo]",
           "-map", "[mo]", "-f", "null", "-"],
        # the JPEG encoder's own options: one thread, the standard Huffman tables (no two-pass buffer)
        "copy_jpg_today_t1_enct1": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False)
        + latest_today(d)[:-1] + ["-threads", "1", latest_today(d)[-1]],
        "copy_jpg_today_t1_huffdef": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False)
        + latest_today(d)[:-1] + ["-huffman", "default", latest_today(d)[-1]],
        "copy_jpg_today_t1_enct1_huffdef": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False)
        + latest_today(d)[:-1] + ["-threads", "1", "-huffman", "default", latest_today(d)[-1]],
        # the recommended recorder: one decode (all frames, one thread), latest.jpg (one thread) + motion
        "copy_rec": lambda: HEAD + rtsp_input(url, False, t1) + segments(d, False) + latest_and_motion(d, fthreads=1, jpg_t1=True),
        "copy_rec_epoch": lambda: HEAD + rtsp_input(url, False, t1) + segments(d, False)
        + latest_and_motion(d, fthreads=1, jpg_t1=True, stamp=EPOCH),
        "copy_rec_mask": lambda: HEAD + rtsp_input(url, False, t1) + segments(d, False)
        + latest_and_motion(d, fthreads=1, jpg_t1=True, mask=MASK),
        "copy_rec_jpg360": lambda: HEAD + rtsp_input(url, False, t1) + segments(d, False)
        + latest_and_motion(d, fthreads=1, jpg_t1=True, jpg_height=360),
        "copy_rec_nolf": lambda: HEAD + rtsp_input(url, False, t1 + ["-skip_loop_filter", "all"]) + segments(d, False)
        + latest_and_motion(d, fthreads=1, jpg_t1=True),
        # exactly docs/motion-design.md's graph: mask, select floor, epoch stamps
        "copy_rec_epoch_mask_select": lambda: HEAD + rtsp_input(url, False, t1) + segments(d, False)
        + latest_and_motion(d, fthreads=1, jpg_t1=True, mask=MASK,
                            stamp=",metadata=mode=select:key=lavfi.signalstats.YAVG:function=greater:value=0.5" + EPOCH),
        # the same with a per-sample contrast stretch (robust to a light coming on over 1-2 s)
        "copy_rec_norm_epoch_mask_select": lambda: HEAD + rtsp_input(url, False, t1) + segments(d, False)
        + latest_and_motion(d, fthreads=1, jpg_t1=True, mask=MASK, norm=True,
                            stamp=",metadata=mode=select:key=lavfi.signalstats.YAVG:function=greater:value=0.5" + EPOCH),
        "copy_rec_norm2_epoch_mask_select": lambda: HEAD + rtsp_input(url, False, t1) + segments(d, False)
        + latest_and_motion(d, fthreads=1, jpg_t1=True, mask=MASK, norm=2,
                            stamp=",metadata=mode=select:key=lavfi.signalstats.YAVG:function=greater:value=0.5" + EPOCH),
        "copy_rec_nokey": lambda: HEAD + rtsp_input(url, True, t1) + segments(d, False) + latest_and_motion(d, fthreads=1, jpg_t1=True),
        # encode mode (720p libx264 veryfast, RecorderCommand's software encoder)
        "enc_jpg": lambda: HEAD + rtsp_input(url, False) + segments(d, True) + latest_today(d),
        "enc_jpg_motion": lambda: HEAD + rtsp_input(url, False) + segments(d, True) + latest_and_motion(d),
    }
    return c[name]()


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def private_mb(pid):
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total / 1024


def private_split_mb(pid):
    """(Private_Clean, Private_Dirty) in MB. Private_Clean is mostly library
    code mapped by this process alone: it drops when other ffmpeg processes
    map the same pages, so run at least two identical recorders."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out.get("Private_Clean", 0), out.get("Private_Dirty", 0)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("clip")
    ap.add_argument("truth")
    ap.add_argument("work")
    ap.add_argument("--configs", default="bare_copy,copy_jpg_today,copy_jpg_today_t1,copy_jpg_motion_nokey_t1,"
                                          "copy_jpg_motion,copy_jpg_motion_t1,copy_jpg_motion_t1_nolf")
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--window", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=8)
    ap.add_argument("--testsrc", action="store_true",
                    help="serve rtsp_server.py's own live 640x360 test pattern instead of the clip (as issue 13's figures)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    served = ["/cam"] if a.testsrc else ["/clip", "--file", os.path.abspath(a.clip)]
    server = subprocess.Popen(["/usr/bin/python3", os.path.join(FIX, "rtsp_server.py"), "0"] + served, stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline().split()[1])
    url = f"rtsp://127.0.0.1:{port}{served[0]}"
    procs = []
    try:
        for name in a.configs.split(","):
            for k in range(a.copies):
                d = os.path.join(a.work, f"{name}-{k}")
                os.makedirs(d, exist_ok=True)
                for f in os.listdir(d):
                    os.unlink(os.path.join(d, f))
                argv = config(name, url, d)
                with open(os.path.join(d, "argv.json"), "w") as f:
                    json.dump(argv, f)
                log = open(os.path.join(d, "ffmpeg.log"), "w")
                with open(os.path.join(d, "spawn.txt"), "w") as f:
                    f.write("%.3f\n" % time.time())
                procs.append((name, d, subprocess.Popen(argv, stdout=log, stderr=log, env=env_for(name))))
        time.sleep(a.warmup)
        t0 = time.monotonic()
        c0 = {p.pid: cpu_ticks(p.pid) for _, _, p in procs}
        peak = {p.pid: 0.0 for _, _, p in procs}
        while time.monotonic() - t0 < a.window:
            time.sleep(2)
            for _, _, p in procs:
                peak[p.pid] = max(peak[p.pid], private_mb(p.pid))
        wall = time.monotonic() - t0
        res = {}
        for name, d, p in procs:
            r = res.setdefault(name, {"cpu": [], "priv": [], "peak": [], "rss": [], "dirs": [], "clean_dirty": []})
            r["clean_dirty"].append(private_split_mb(p.pid))
            r["cpu"].append(100.0 * (cpu_ticks(p.pid) - c0[p.pid]) / TICK / wall)
            r["priv"].append(private_mb(p.pid))
            r["peak"].append(peak[p.pid])
            r["rss"].append(rss_mb(p.pid))
            r["dirs"].append(d)
    finally:
        for _, _, p in procs:
            p.send_signal(signal.SIGINT)
        for _, _, p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        server.terminate()
        server.wait()
    truth = json.load(open(a.truth))
    print(f"window {wall:.0f} s after {a.warmup:.0f} s warm-up, {a.copies} recorder(s) per configuration, all at once")
    print("| configuration | CPU % of a core (each) | private MB (each, end) | clean + dirty | private MB peak | RSS MB | motion P / R / max latency |")
    print("|---|---|---|---|---|---|---|")
    for name, r in res.items():
        mot = []
        for d in r["dirs"]:
            path = os.path.join(d, "motion.log")
            if os.path.exists(path):
                epoch = "_epoch" in d
                s = motion_eval.read_metric(path, KEY, False, 100 / 255, pts_ms=epoch)
                if epoch and s:
                    # clip time 0 = the recorder's spawn: the clip starts at the
                    # RTSP PLAY a little later, so latencies are upper bounds that
                    # include the connection set-up
                    spawn = float(open(os.path.join(d, "spawn.txt")).read())
                    s = [(t - spawn, v) for t, v in s]
                # 1 % changed without a mask (the corner's sway peaks at 0.8 %); 0.5 % with it
                ev = motion_eval.events(s, 0.5 if "_mask" in d else 1.0, 0.5, 1.0, 60.0)
                # scored after a 10 s warm-up: a freshly started recorder (above all
                # an encoding one) reads the socket late while it initialises, and
                # the arrival clock of its first seconds is compressed
                sc = motion_eval.score(ev, truth, 1.0, s[-1][0] if s else None, 10.0)
                lat = "-" if sc["latency_max"] is None else f"{sc['latency_max']:.2f}"
                mot.append(f"{sc['precision']:.2f}/{sc['recall']:.2f}/{lat} ({sc['intervals']} intervals)")
        f = lambda xs: ", ".join(f"{x:.1f}" for x in xs)  # noqa: E731
        cd = ", ".join(f"{c:.1f} + {d:.1f}" for c, d in r["clean_dirty"])
        print(f"| {name} | {f(r['cpu'])} | {f(r['priv'])} | {cd} | {f(r['peak'])} | {f(r['rss'])} | {'; '.join(mot) or '-'} |")
    json.dump(res, open(os.path.join(a.work, "results.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
