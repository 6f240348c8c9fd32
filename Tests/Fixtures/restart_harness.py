#!/usr/bin/env python3
"""Plays systemd for camgate.service and camgate-ota-check.timer, enough for
the OTA trial tests (Tests/UpdaterTests/TrialHarnessTests.swift):

    restart_harness.py CONFIG.json

CONFIG: {"dir": WORK, "pre": [argv], "start": [argv], "stop_post": [argv],
         "check": [argv], "check_every": 1.0, "restart_sec": 1.0,
         "path": {"exists": FILE, "run": [argv]}}    (path: optional)

- ExecStartPre (`pre`) runs to completion before every start; its failure is
  logged and ignored (the unit's "-" prefix).
- ExecStart (`start`) is the main process; `start[0]` is resolved (realpath)
  at each start, as the kernel does at exec: the log names the version run.
- When it exits: ExecStopPost (`stop_post`) with SERVICE_RESULT, EXIT_CODE,
  EXIT_STATUS as systemd.exec(5) sets them, then a new start after
  `restart_sec` (Restart=always, StartLimitIntervalSec=0).
- `check` runs every `check_every` seconds (OnUnitActiveSec), to completion.
- `path` plays camgate-ota-apply.path (PathExists=): while FILE exists,
  `run` runs to completion (the service takes the file).
- WORK/systemctl is a stand-in `systemctl` for the hooks: `restart` asks for a
  restart (SIGTERM to the main process only, KillMode=process; ExecStopPost
  with SERVICE_RESULT=success; start at once, no RestartSec).
- WORK/stop (a file) or SIGTERM to the harness: stop the main process,
  ExecStopPost, exit.
Every event is a JSON line in WORK/events.jsonl: {"t": epoch s, "event": ...}.
"""
import json
import os
import signal
import subprocess
import sys
import time

cfg = json.load(open(sys.argv[1]))
work = cfg["dir"]
events = open(os.path.join(work, "events.jsonl"), "a", buffering=1)
hook_log = open(os.path.join(work, "hooks.log"), "a", buffering=1)
restart_flag = os.path.join(work, "restart-requested")
stop_flag = os.path.join(work, "stop")
stopping = False


def log(event, **fields):
    fields.update(t=time.time(), event=event)
    events.write(json.dumps(fields) + "\n")


def run_hook(name, argv, env=None):
    started = time.time()
    hook_log.write(f"--- {name} at {started:.3f}\n")
    full_env = dict(os.environ, **(env or {}))
    rc = subprocess.call(argv, stdout=hook_log, stderr=hook_log, env=full_env)
    log(name, rc=rc, seconds=round(time.time() - started, 3), **({"env": env} if env else {}))
    return rc


def write_systemctl():
    path = os.path.join(work, "systemctl")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n# restart_harness.py's systemctl: asks the harness.\n")
        f.write(f'echo "$@" >>"{work}/systemctl.log"\n')
        f.write(f'case "$*" in *restart*) : >"{restart_flag}" ;; esac\n')
    os.chmod(path, 0o755)


def start():
    run_hook("pre", cfg["pre"])
    binary = os.path.realpath(cfg["start"][0])
    proc = subprocess.Popen(cfg["start"], stdout=open(os.path.join(work, "agent.log"), "a"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    log("start", pid=proc.pid, binary=binary)
    return proc


def service_result(rc, asked_to_stop):
    """SERVICE_RESULT, EXIT_CODE, EXIT_STATUS for a main process that ended with rc."""
    if rc < 0:
        sig = signal.Signals(-rc).name[3:]
        clean = asked_to_stop and sig == "TERM"
        return ("success" if clean else "signal"), "killed", sig
    return ("success" if rc == 0 else "exit-code"), "exited", str(rc)


def stop(proc):
    """SIGTERM to the main process only; SIGKILL after 20 s (TimeoutStopSec)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def after_exit(rc, asked):
    result, code, status = service_result(rc, asked)
    log("exit", rc=rc, service_result=result)
    run_hook("stop_post", cfg["stop_post"], {"SERVICE_RESULT": result, "EXIT_CODE": code, "EXIT_STATUS": status})


def on_term(*_):
    global stopping
    stopping = True


def main():
    signal.signal(signal.SIGTERM, on_term)
    write_systemctl()
    proc = start()
    restart_at = None
    next_check = time.time() + cfg["check_every"]
    while not stopping and not os.path.exists(stop_flag):
        now = time.time()
        if proc is not None and os.path.exists(restart_flag):
            os.unlink(restart_flag)
            log("restart_requested")
            after_exit(stop(proc), True)
            proc, restart_at = start(), None
        elif proc is not None and proc.poll() is not None:
            after_exit(proc.returncode, False)
            proc, restart_at = None, now + cfg["restart_sec"]
        elif proc is None and restart_at is not None and now >= restart_at:
            if os.path.exists(restart_flag):
                os.unlink(restart_flag)
            proc, restart_at = start(), None
        path = cfg.get("path")
        if path and (os.path.exists(path["exists"]) or os.path.islink(path["exists"])):
            run_hook("path", path["run"])
        if now >= next_check:
            run_hook("check", cfg["check"])
            next_check = time.time() + cfg["check_every"]
        time.sleep(0.05)
    if proc is not None:
        after_exit(stop(proc), True)
    log("harness_stopped")


main()
