# Reference implementation of docs/board-profiles.md (matching, temperature,
# throttling, wear) run against Tests/Fixtures/boards/*/expected.json.
# Usage: python3 Tests/Fixtures/board_fixtures_check.py  (prints OK/BAD per case)
import json, os, glob, re
ROOT=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")); FIX=f"{ROOT}/Tests/Fixtures/boards"
profiles=[json.load(open(p)) for p in sorted(glob.glob(f"{ROOT}/board/profiles/*.json"))]
for p in profiles:
    assert p["id"]+".json" in os.listdir(f"{ROOT}/board/profiles")
def rd(c, rel):
    try: return open(os.path.join(c, rel.lstrip("/")),"rb").read()
    except (FileNotFoundError, IsADirectoryError): return None
def inputs(c):
    d={}
    m=rd(c,"proc/device-tree/model"); d["device_tree_model"]=m.rstrip(b"\0").decode() if m is not None else None
    cp=rd(c,"proc/device-tree/compatible"); d["device_tree_compatible"]=[x.decode() for x in cp.split(b"\0") if x] if cp is not None else None
    for k in ["sys_vendor","product_name","board_name","board_vendor"]:
        v=rd(c,f"sys/class/dmi/id/{k}"); d["dmi_"+k]=v.decode().strip() if v is not None else None
    ci=rd(c,"proc/cpuinfo"); d["cpu_model"]=None
    if ci:
        for line in ci.decode().splitlines():
            if line.startswith("model name"): d["cpu_model"]=line.split(":",1)[1].strip(); break
    d["architecture"]=rd(c,"uname_m").decode().strip()
    return d
def keymatch(k, alts, d):
    v=d.get(k)
    if v is None: return False
    if k=="device_tree_model": return any(v.startswith(a) for a in alts)
    if k=="device_tree_compatible": return any(a in v for a in alts)
    if k=="architecture": return v in alts
    return any(a.lower() in v.lower() for a in alts)
def score(rules, d):
    best=None
    for r in rules:
        if all(keymatch(k,a,d) for k,a in r.items()):
            s=len([k for k in r if k!="architecture"]); best=s if best is None else max(best,s)
    return best
def choose(d):
    cands=[(score(p["match"],d),p) for p in profiles if d["architecture"] in p["architectures"]]
    cands=[(s,p) for s,p in cands if s is not None]
    if not cands: return None,None
    top=max(s for s,_ in cands); best=[p for s,p in cands if s==top]
    assert len(best)==1, ("tie", [p["id"] for p in best])
    p=best[0]; var=None
    vs=[(score(v["match"],d),v) for v in p.get("variants",[])]; vs=[(s,v) for s,v in vs if s is not None]
    if vs:
        t=max(s for s,_ in vs); vb=[v for s,v in vs if s==t]; assert len(vb)==1; var=vb[0]["id"]
    return p,var
def zones(c):
    out=[]
    for z in glob.glob(os.path.join(c,"sys/class/thermal/thermal_zone*")):
        n=int(re.search(r"(\d+)$",z).group(1)); out.append((n,open(z+"/type").read().strip(),z))
    return sorted(out)
def temp(c,p):
    if not p:
        z=zones(c)
        return (z[0][1], int(open(z[0][2]+"/temp").read().strip())/1000) if z else (None,None)
    for t in p["thermal"]["zone_type"]:
        for n,ty,z in zones(c):
            if ty==t:
                v=open(z+"/temp").read().strip()
                if v: return ty,int(v)/1000
                break
    return None,None
def glob1(c, pattern): return sorted(glob.glob(os.path.join(c, pattern.lstrip("/"))))
def throttle(c,t):
    r=dict(under_voltage_now=None,under_voltage_occurred=None,throttled_now=None,throttled_occurred=None)
    while t:
        if t["kind"]=="raspberrypi":
            v=rd(c,t["path"])
            if v is not None:
                x=int(v.decode().strip(),16)
                return dict(under_voltage_now=bool(x&1),under_voltage_occurred=bool(x&0x10000),throttled_now=bool(x&4),throttled_occurred=bool(x&0x40000))
        elif t["kind"]=="hwmon_alarm":
            for f in glob1(c,t["path"]):
                if open(os.path.join(os.path.dirname(f),"name")).read().strip()==t["hwmon_name"]:
                    r["under_voltage_now"]=open(f).read().strip()=="1"; return r
        elif t["kind"]=="intel_core_throttle_count":
            fs=glob1(c,t["path"])
            if fs: r["throttled_occurred"]=sum(int(open(f).read()) for f in fs)>0; return r
        t=t.get("fallback")
    return r
LT={0:None,11:"exceeded"}; LT.update({i:f"{(i-1)*10}-{i*10}" for i in range(1,11)})
EOL={1:"normal",2:"warning",3:"urgent"}
def wear(c,p):
    for dev in (p["storage_wear"] if p else []):
        ty=rd(c,f"sys/block/{dev}/device/type")
        if ty is None or ty.decode().strip()!="MMC": continue
        lt=rd(c,f"sys/block/{dev}/device/life_time")
        if lt is None: continue
        v=max(int(x,16) for x in lt.decode().split())
        e=rd(c,f"sys/block/{dev}/device/pre_eol_info")
        return dev,LT.get(v),EOL.get(int(e.decode().strip(),16)) if e else None
    return None,None,None
for case in sorted(os.listdir(FIX)):
    c=os.path.join(FIX,case); d=inputs(c); p,var=choose(d)
    zt,tc=temp(c,p); th=throttle(c,p["throttling"]) if p else throttle(c,None)
    wd,wp,we=wear(c,p)
    got=dict(profile=p["id"] if p else None, variant=var, thermal_zone_type=zt, temperature_celsius=tc, **th,
             uptime_seconds=float(rd(c,"proc/uptime").split()[0]), wear_device=wd, wear_percent_used=wp, wear_pre_eol=we)
    exp=json.load(open(os.path.join(c,"expected.json")))
    diff={k:(got[k],exp.get(k)) for k in got if got[k]!=exp.get(k)}
    print(("OK  " if not diff else "BAD ")+case, diff if diff else "")
