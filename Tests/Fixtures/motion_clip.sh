#!/bin/sh
# A deterministic test clip for motion detection (issue 13), made with
# ffmpeg's lavfi only: a still textured scene with camera noise, a moving
# box in known intervals, and a global lighting change (a light switched on,
# then slowly dimmed) in another interval with no motion.
#
# usage: motion_clip.sh OUT.mp4 [SEED] [DURATION_S]
#   writes OUT.mp4 (1280x720, 15 fps, H.264, a keyframe every 2 s, no
#   B-frames, like a real camera) and OUT.json, the ground truth:
#   {"seed": S, "duration": D, "motion": [[t0,t1],...], "lighting": [[t0,t1]],
#    "box": [w,h], "masked": {"rect": [x,y,w,h], "intervals": [[t0,t1]]}}
#   "masked": a small "tree" sways inside rect (relative coordinates) in
#   those intervals: motion a mask over rect must hide (not in "motion").
#   Times are seconds from the first frame. Same seed, same clip.
#   LIGHT_RAMP=S (environment): the light comes on over S seconds (0.5).
set -eu
out=${1:?usage: motion_clip.sh OUT.mp4 [SEED] [DURATION_S]}
seed=${2:-1}
dur=${3:-80}
truth="${out%.*}.json"
echo "seed $seed" >&2

# Intervals and the box's paths from the seed (Python's random is stable
# across versions for random() and uniform()).
plan=$(python3 - "$seed" "$dur" "${LIGHT_RAMP:-0.5}" <<'EOF'
import json, random, sys
seed, dur, ramp = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
r = random.Random(seed)
# The lighting change sits in the middle; motion before and after it.
l0 = round(dur * 0.45, 1); l1 = l0 + 10.0
motion = []
t = 5.0 + r.uniform(0, 3)
while True:
    length = r.uniform(3, 8)
    t0, t1 = round(t, 1), round(t + length, 1)
    if t1 > dur - 4:
        break
    if t1 > l0 - 3 and t0 < l1 + 3:        # keep clear of the lighting change
        t = l1 + 3 + r.uniform(0, 2)
        continue
    motion.append([t0, t1])
    t = t1 + r.uniform(5, 10)
paths = []
for t0, t1 in motion:
    # from one side to the other (or back), at a random height
    x0, x1 = (r.uniform(40, 300), r.uniform(900, 1100))
    if r.random() < 0.5:
        x0, x1 = x1, x0
    y = r.uniform(150, 450)
    paths.append((t0, t1, x0, x1, y))
# A "tree" swaying inside a fixed corner (the mask test): 3 s in the
# widest quiet gap between motion intervals, away from the lighting change.
rect = [0.0, 0.0, 0.2, 0.2]                 # relative x, y, w, h (top left)
gaps = [(b[0] - a[1], a[1], b[0]) for a, b in zip(motion, motion[1:]) if not (a[1] < l1 + 1 and b[0] > l0 - 1)]
masked = []
if gaps:
    g, a1, b0 = max(gaps)
    if g >= 6:
        m0 = round((a1 + b0) / 2 - 1.5, 1)
        masked = [[m0, m0 + 3.0]]
print(json.dumps({"seed": seed, "duration": dur, "motion": motion, "lighting": [[l0, l1]], "box": [140, 220],
                  "masked": {"rect": rect, "intervals": masked}}))
# overlay x/y expressions: a sum of per-interval terms, each active in its interval
def term(f):
    return "+".join(f(*p) for p in paths) or "0"
x = term(lambda t0, t1, x0, x1, y: f"between(t,{t0},{t1})*({x0:.0f}+({x1:.0f}-({x0:.0f}))*(t-{t0})/({t1}-{t0}))")
y = term(lambda t0, t1, x0, x1, y: f"between(t,{t0},{t1})*({y:.0f}+25*sin(2*PI*(t-{t0})))")
en = "+".join(f"between(t,{t0},{t1})" for t0, t1 in motion) or "0"
# lighting: a step up of +0.18 in `ramp` s (LIGHT_RAMP, default 0.5) at l0 (a light switched on), held,
# then a slow ramp back down over the last 4 s
# (never exactly 0: eq passes a neutral frame through untouched but maps a
# non-neutral one through its LUT, which alone would make a step at the ends)
b = f"0.001+if(between(t,{l0},{l1}),0.18*min(1,(t-{l0})/{ramp})*min(1,({l1}-t)/4),0)"
sway = "+".join(f"between(t,{m0},{m1})" for m0, m1 in masked) or "0"
# a smooth, still background whose shape depends on the seed (geq on one
# frame, looped: ffmpeg's `gradients` source is not reproducible run to run)
bgq = (f"lum='{r.uniform(60, 90):.0f}+{r.uniform(60, 110):.0f}*X/W+{r.uniform(15, 35):.0f}*sin(Y/{r.uniform(40, 90):.0f}+{r.uniform(0, 6):.2f})'"
       f":cb='128+{r.uniform(10, 35):.0f}*cos(X/{r.uniform(200, 400):.0f})':cr='{r.uniform(110, 140):.0f}+20*sin(Y/{r.uniform(150, 250):.0f})'")
print(x); print(y); print(en); print(b); print(sway); print(bgq)
EOF
)
json=$(echo "$plan" | sed -n 1p)
xexpr=$(echo "$plan" | sed -n 2p)
yexpr=$(echo "$plan" | sed -n 3p)
enable=$(echo "$plan" | sed -n 4p)
bright=$(echo "$plan" | sed -n 5p)
sway=$(echo "$plan" | sed -n 6p)
bgq=$(echo "$plan" | sed -n 7p)

# Scene: a still, smooth seeded background with some structure (a grid, a few
# boxes: a building, a door, a window), a box "person" overlaid while
# moving, the lighting change (eq, evaluated per frame), then sensor noise
# (temporal, luma and chroma) last, as a camera adds it.
# Reproducible: libx264 with VBV (maxrate) and frame threads is not
# deterministic, hence -threads 1 on the encoder (checked: two runs, same
# bytes); the background is a looped geq frame, because the `gradients`
# source differs from run to run even with a seed.
ffmpeg -hide_banner -loglevel error -y -filter_complex_threads 1 \
  -f lavfi -i "color=c=black:s=1280x720:r=15:d=0.0667,format=yuv420p,geq=$bgq,loop=loop=-1:size=1,trim=duration=$dur,setpts=N/15/TB" \
  -f lavfi -i "color=c=0x3a2a20:s=140x220:r=15:d=$dur" \
  -f lavfi -i "color=c=0xe8e8d0:s=60x100:r=15:d=$dur" \
  -filter_complex "[0:v]drawgrid=w=160:h=120:t=2:c=0x202020@0.6,\
drawbox=x=100:y=380:w=300:h=300:c=0x505a60:t=fill,drawbox=x=180:y=480:w=90:h=200:c=0x2a1a10:t=fill,\
drawbox=x=820:y=120:w=260:h=160:c=0xd0d8e0:t=fill,drawbox=x=840:y=140:w=100:h=120:c=0x405060:t=fill[bg];\
[1:v]drawbox=x=30:y=10:w=80:h=60:c=0xc09070:t=fill[obj];\
[bg][2:v]overlay=x='100+60*sin(4*PI*t)':y=20:enable='$sway':eval=frame[bg2];\
[bg2][obj]overlay=x='$xexpr':y='$yexpr':enable='$enable':eval=frame,\
eq=brightness='$bright':eval=frame,\
noise=c0s=10:c0f=t+u:c0_seed=$seed:c1s=3:c1f=t+u:c1_seed=$((seed+1)):c2s=3:c2f=t+u:c2_seed=$((seed+2)),format=yuv420p[v]" \
  -map "[v]" -c:v libx264 -threads 1 -preset veryfast -profile:v main -crf 18 -maxrate 3000k -bufsize 6000k -g 30 -keyint_min 30 -sc_threshold 0 -bf 0 \
  -movflags +faststart "$out"
echo "$json" > "$truth"
echo "$json"
