#!/usr/bin/env python3
"""Score a recorder's motion metric file against a clip's ground truth.

usage: motion_eval.py METRIC_FILE TRUTH.json --key KEY --threshold T
                      [--min-length S] [--gap S] [--max M] [--tol S]
                      [--offset auto|SECONDS] [--invert100] [--sweep A:B:STEP]
                      [--json]

METRIC_FILE is what ffmpeg's `metadata=mode=print:file=...` writes, one
block per sampled frame:

    frame:12   pts:1764460801500 pts_time:1764460801.5
    lavfi.signalstats.YAVG=3.71

KEY selects the value (e.g. lavfi.signalstats.YAVG, lavfi.scd.score,
lavfi.blackframe.pblack); --invert100 uses 100 - value (blackframe gives the
percentage of pixels at or below its threshold: 100 - pblack is the
percentage that changed).

Times: with --offset auto (the default) the first sample is clip time 0
(the RTSP server starts the clip for each client, so a constant pipeline
delay cancels out); with a number, clip time = pts_time - number.

Events, the state machine the agent would run (one sample at a time):

    idle --value > T--> pending(start = t)
    pending/active: value > T -> last = t
                    value > M (--max) -> sample ignored as a global change
                    t - last > gap -> end at `last`; kept if last - start >= min-length
    pending -> active (the event is announced) once t - start >= min-length

An event is start, end, peak (the largest value), announced (the time the
agent could first report it). A truth interval [t0, t1] is matched by an
event whose start and end are both within --tol (1 s) of t0 and t1.
precision = matched events / events; recall = matched intervals / intervals;
start latency = announced - t0 for matched events. Events that overlap a
lighting interval are counted as lighting false positives.
"""
import argparse
import json
import sys


def read_metric(path, key, invert100=False, scale=1.0, pts_ms=False):
    """pts_ms: take the time from `pts` in milliseconds (the recommended
    graph stamps samples with settb=1/1000,setpts=RTCTIME/1000: epoch ms;
    ffmpeg prints pts_time with %g, six digits, useless for an epoch)."""
    samples, t = [], None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("frame:"):
                t = None
                for part in line.split():
                    if not pts_ms and part.startswith("pts_time:"):
                        t = float(part[9:])
                    elif pts_ms and part.startswith("pts:"):
                        t = int(part[4:]) / 1000.0
            elif "=" in line and t is not None:
                k, v = line.split("=", 1)
                if k == key:
                    try:
                        x = float(v)
                    except ValueError:
                        continue
                    samples.append((t, (100.0 - x if invert100 else x) * scale))
    return samples


def events(samples, threshold, min_length, gap, maximum=None):
    out, cur = [], None
    for t, v in samples:
        hot = v > threshold and (maximum is None or v <= maximum)
        # a gap closes the event whatever this sample is: a file written
        # through metadata=mode=select has no quiet samples at all
        if cur is not None and t - cur["last"] > gap:
            if cur["last"] - cur["start"] >= min_length:
                out.append(cur)
            cur = None
        if hot:
            if cur is None:
                cur = {"start": t, "last": t, "peak": v, "announced": None}
            cur["last"], cur["peak"] = t, max(cur["peak"], v)
        if cur is not None and cur["announced"] is None and t - cur["start"] >= min_length and hot:
            cur["announced"] = t
    if cur is not None and cur["last"] - cur["start"] >= min_length:
        out.append(cur)
    return [{"start": e["start"], "end": e["last"], "peak": e["peak"],
             "announced": e["announced"] if e["announced"] is not None else e["last"]} for e in out]


def score(evs, truth, tol, until=None, after=None):
    """until: the last sample's time; after: the end of a warm-up. Intervals
    not inside (after, until) are left out, and so are the events that
    overlap them or start before `after`."""
    motion, lighting = truth["motion"], truth.get("lighting", [])
    out = [m for m in motion if (until is not None and m[1] + tol > until) or (after is not None and m[0] - tol < after)]
    if out:
        motion = [m for m in motion if m not in out]
        evs = [e for e in evs if not any(e["start"] <= m1 + tol and e["end"] >= m0 - tol for m0, m1 in out)]
    if after is not None:
        evs = [e for e in evs if e["start"] >= after]
    matched_ev, matched_tr, latencies, start_err, end_err = set(), set(), [], [], []
    for i, (t0, t1) in enumerate(motion):
        for j, e in enumerate(evs):
            if j in matched_ev:
                continue
            if abs(e["start"] - t0) <= tol and abs(e["end"] - t1) <= tol:
                matched_ev.add(j)
                matched_tr.add(i)
                latencies.append(e["announced"] - t0)
                start_err.append(e["start"] - t0)
                end_err.append(e["end"] - t1)
                break
    light_fp = sum(1 for e in evs if any(e["start"] <= l1 and e["end"] >= l0 for l0, l1 in lighting))
    return {
        "intervals": len(motion),
        "events": len(evs),
        "precision": len(matched_ev) / len(evs) if evs else 1.0,
        "recall": len(matched_tr) / len(motion) if motion else 1.0,
        "lighting_fp": light_fp,
        "latency_max": max(latencies) if latencies else None,
        "latency_mean": sum(latencies) / len(latencies) if latencies else None,
        "start_err": [round(x, 2) for x in start_err],
        "end_err": [round(x, 2) for x in end_err],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("metric")
    ap.add_argument("truth")
    ap.add_argument("--key", required=True)
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--min-length", type=float, default=0.5)
    ap.add_argument("--gap", type=float, default=1.0)
    ap.add_argument("--max", type=float, default=None, help="values above are a global (lighting) change: ignored")
    ap.add_argument("--tol", type=float, default=1.0)
    ap.add_argument("--offset", default="auto")
    ap.add_argument("--invert100", action="store_true")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply values (100/255 turns a thresholded 0/255 plane's YAVG into a percentage)")
    ap.add_argument("--sweep", default=None, help="A:B:STEP: try thresholds, print one line each")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--pts-ms", action="store_true", help="time from pts in ms (epoch-stamped files)")
    ap.add_argument("--after", type=float, default=None, help="score only after this clip time (a recorder's warm-up)")
    ap.add_argument("--first-at", type=float, default=0.0,
                    help="with --offset auto: the clip time of the first sample (0.5 for tblend at 2 fps: it drops the first frame)")
    ap.add_argument("--events", action="store_true", help="print the events")
    a = ap.parse_args()
    truth = json.load(open(a.truth))
    samples = read_metric(a.metric, a.key, a.invert100, a.scale, a.pts_ms)
    if not samples:
        sys.exit("no samples of %s in %s" % (a.key, a.metric))
    off = samples[0][0] - a.first_at if a.offset == "auto" else float(a.offset)
    samples = [(t - off, v) for t, v in samples]
    if a.sweep:
        lo, hi, step = (float(x) for x in a.sweep.split(":"))
        th = lo
        print("threshold events precision recall lighting_fp latency_max")
        while th <= hi + 1e-9:
            s = score(events(samples, th, a.min_length, a.gap, a.max), truth, a.tol, samples[-1][0], a.after)
            lat = "-" if s["latency_max"] is None else "%.2f" % s["latency_max"]
            print("%9.3f %6d %9.2f %6.2f %11d %11s" % (th, s["events"], s["precision"], s["recall"], s["lighting_fp"], lat))
            th += step
        return
    if a.threshold is None:
        sys.exit("--threshold or --sweep")
    evs = events(samples, a.threshold, a.min_length, a.gap, a.max)
    s = score(evs, truth, a.tol, samples[-1][0], a.after)
    s["samples"] = len(samples)
    s["rate"] = round((len(samples) - 1) / (samples[-1][0] - samples[0][0]), 2) if len(samples) > 1 else 0
    if a.events or a.json:
        s["list"] = [{k: round(v, 2) for k, v in e.items()} for e in evs]
    if a.json:
        print(json.dumps(s))
    else:
        for k, v in s.items():
            print("%s: %s" % (k, v))


if __name__ == "__main__":
    main()
