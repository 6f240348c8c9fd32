#!/usr/bin/env python3
"""Issue 13 research: candidate ffmpeg motion graphs, scored on the lavfi clip.

usage: motion_research.py CLIP.mp4 TRUTH.json WORKDIR [--rate 2] [--mask X:Y:W:H]

Decodes the clip once (all frames, as a copy-mode recorder with motion on
would), samples --rate frames a second, scales to 100 px high and feeds
every candidate chain from one split; each writes its metric file with
`metadata=mode=print`. Then sweeps each candidate's threshold with
Tests/Fixtures/motion_eval.py's state machine and prints the best rows.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures"))
import motion_eval  # noqa: E402

NORM = "format=gbrp,normalize=independence=0:smoothing=0,format=gray"


def candidates(mask):
    m = ("," + mask) if mask else ""
    bg = "split[c{i}][b{i}];[b{i}]tmix=frames={n}[bg{i}];[c{i}][bg{i}]blend=all_mode=difference"
    return {
        # (a) frame to frame difference
        "a_tblend_yavg": ("format=yuv420p" + m + ",tblend=all_mode=difference,signalstats",
                          "lavfi.signalstats.YAVG", False),
        "a_tblend_count15": ("format=gray" + m + ",tblend=all_mode=difference,blackframe=amount=0:threshold=15",
                             "lavfi.blackframe.pblack", True),
        "a_norm_tblend_count15": (NORM + m + ",tblend=all_mode=difference,blackframe=amount=0:threshold=15",
                                  "lavfi.blackframe.pblack", True),
        "a_tblend_frac15": ("format=yuv420p" + m + ",tblend=all_mode=difference,lutyuv=y='gt(val,15)*255',signalstats",
                            "lavfi.signalstats.YAVG", False, 100 / 255),
        "a_tblend_frac10": ("format=yuv420p" + m + ",tblend=all_mode=difference,lutyuv=y='gt(val,10)*255',signalstats",
                            "lavfi.signalstats.YAVG", False, 100 / 255),
        "a_norm_tblend_frac15": (NORM + ",format=yuv420p" + m + ",tblend=all_mode=difference,lutyuv=y='gt(val,15)*255',signalstats",
                                 "lavfi.signalstats.YAVG", False, 100 / 255),
        "c_bg10_frac15": ("format=yuv420p" + m + "," + bg + ",lutyuv=y='gt(val,15)*255',signalstats",
                          "lavfi.signalstats.YAVG", False, 100 / 255),
        # (b) scene-change score
        "b_scdet_score": ("format=gray" + m + ",scdet=threshold=100", "lavfi.scd.score", False),
        "b_scdet_mafd": ("format=gray" + m + ",scdet=threshold=100", "lavfi.scd.mafd", False),
        # (c) running background (moving average of the last N samples)
        "c_bg10_count20": ("format=gray" + m + "," + bg + ",blackframe=amount=0:threshold=20",
                           "lavfi.blackframe.pblack", True),
        "c_norm_bg10_count20": (NORM + m + "," + bg + ",blackframe=amount=0:threshold=20",
                                "lavfi.blackframe.pblack", True),
        "c_norm_bg10_yavg": (NORM + m + "," + bg + ",format=yuv420p,signalstats",
                             "lavfi.signalstats.YAVG", False),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("clip")
    ap.add_argument("truth")
    ap.add_argument("work")
    ap.add_argument("--rate", default="2")
    ap.add_argument("--frames", type=int, default=10, help="tmix window (samples) for the running background")
    ap.add_argument("--mask", default=None, help="relative X:Y:W:H, drawn black on the small grey frame")
    ap.add_argument("--min-length", type=float, default=0.5)
    ap.add_argument("--gap", type=float, default=1.0)
    ap.add_argument("--skip-run", action="store_true")
    ap.add_argument("--max", type=float, default=None, help="lighting guard: samples above are ignored")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    mask = None
    if a.mask:
        x, y, w, h = (float(v) for v in a.mask.split(":"))
        mask = f"drawbox=x=iw*{x}:y=ih*{y}:w=iw*{w}:h=ih*{h}:color=black:t=fill"
    cands = candidates(mask)
    names = list(cands)
    if not a.skip_run:
        parts = [f"[0:v:0]fps={a.rate},scale=-2:100:flags=area,split={len(names)}" + "".join(f"[s{i}]" for i in range(len(names)))]
        for i, n in enumerate(names):
            chain = cands[n][0].format(i=i, n=a.frames)
            path = os.path.join(a.work, n + ".txt")
            parts.append(f"[s{i}]{chain},metadata=mode=print:key={cands[n][1]}:file={path}[o{i}]")
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", a.clip, "-filter_complex", ";".join(parts)]
        for i in range(len(names)):
            cmd += ["-map", f"[o{i}]", "-f", "null", "-"]
        subprocess.run(cmd, check=True)
    truth = motion_eval.json.load(open(a.truth))
    print(f"rate {a.rate}/s, bg window {a.frames}, mask {a.mask}, min-length {a.min_length}, gap {a.gap}, lighting guard {a.max}")
    print("| candidate | threshold | events | precision | recall | lighting FP | max start latency | peak in lighting | noise p99 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in names:
        key, inv = cands[n][1], cands[n][2]
        sc = cands[n][3] if len(cands[n]) > 3 else 1.0
        s = motion_eval.read_metric(os.path.join(a.work, n + ".txt"), key, inv, sc)
        # offline, the clip's own timestamps are clip time
        vals = sorted(v for v in (v for _, v in s))
        light = [v for t, v in s if any(l0 - 0.5 <= t <= l1 + 1 for l0, l1 in truth["lighting"])]
        quiet = sorted(v for t, v in s if not any(t0 - 1 <= t <= t1 + 6 for t0, t1 in truth["motion"] + truth["lighting"]))
        p99 = quiet[int(0.99 * (len(quiet) - 1))] if quiet else 0
        best = None
        hi = vals[-1]
        for k in range(1, 400):
            th = hi * k / 400
            ev = motion_eval.events(s, th, a.min_length, a.gap, a.max)
            r = motion_eval.score(ev, truth, 1.0)
            key_ = (r["precision"] + r["recall"], -r["lighting_fp"], -(r["latency_max"] or 9))
            if best is None or key_ > best[0]:
                best = (key_, th, r)
        _, th, r = best
        lat = "-" if r["latency_max"] is None else f"{r['latency_max']:.2f} s"
        print(f"| {n} | {th:.3g} | {r['events']} | {r['precision']:.2f} | {r['recall']:.2f} | {r['lighting_fp']} | {lat} | "
              f"{max(light) if light else 0:.3g} | {p99:.3g} |")


if __name__ == "__main__":
    main()
