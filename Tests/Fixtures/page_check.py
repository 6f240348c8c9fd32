#!/usr/bin/python3
"""Checks the local API's status page in a real browser (Debian's headless
chromium) and takes a screenshot of it.

usage: page_check.py URL SCREENSHOT_PNG EXPECTED_CAMERAS

EXPECTED_CAMERAS: camera ids separated by commas ("front,back"); several
arguments are joined; "" or "-" expects no camera. On TCP put the token in the
URL's fragment (http://127.0.0.1:8080/#token=XYZ): the page moves it into
sessionStorage and sends it as a bearer token.

The page is loaded with a virtual-time budget: chromium runs the page's timers
on a virtual clock and holds the clock while fetches are in flight, so the
status render, the snapshot fetches (blob images) and the timelines all finish
within the budget, whatever the machine's speed. Checks on the DOM dump:
  - <body data-ready="1"> (the first status render happened);
  - per expected camera: a card [data-camera=ID], its <img data-loaded="1">
    (a snapshot decoded with naturalWidth > 0) and its timeline data-spans >= 1;
  - the Device card shows the board and the software (version, previous, last update);
  - the Uploads card shows the queue's counts, the mode and the last error;
  - with PAGE_CHECK_MOTION="ID=TEXT,...": camera ID's card has a
    "Motion from" row whose value contains TEXT (its motion_source).
Then a second run takes the screenshot (1280x1000).

Prints one PASS/FAIL line per check; exits 0 when all pass, 1 when a check
fails, 2 when it cannot run (usage, no chromium, chromium crashed or hung).
Environment: CHROMIUM (binary), PAGE_CHECK_BUDGET_MS (default 15000),
PAGE_CHECK_TIMEOUT_S (wall-clock limit per chromium run, default 120).
"""
import html.parser
import os
import shutil
import struct
import subprocess
import sys
import tempfile

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


class Card:
    def __init__(self, camera):
        self.camera = camera
        self.imgs = []       # attribute dicts of the <img> elements in the card
        self.spans = []      # data-spans values found in the card
        self.timeline = False  # an element with class "timeline" exists
        self.text = []       # the text inside the card


class PageParser(html.parser.HTMLParser):
    """Collects body attributes and the camera cards from chromium's DOM dump."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.body = None
        self.cards = []
        self.auth_banner = False
        self.stack = []  # (tag, card opened by this element or None)

    def open_card(self):
        for _, card in reversed(self.stack):
            if card is not None:
                return card
        return None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "body" and self.body is None:
            self.body = a
        if a.get("id") == "auth-required":
            self.auth_banner = True
        parent = self.open_card()
        card = None
        if "data-camera" in a:
            card = Card(a["data-camera"])
            self.cards.append(card)
        target = card or parent
        if target is not None:
            if tag == "img":
                target.imgs.append(a)
            if "timeline" in a.get("class", "").split():
                target.timeline = True
            if "data-spans" in a:
                target.spans.append(a["data-spans"])
        if tag not in VOID:
            self.stack.append((tag, card))

    def handle_data(self, data):
        card = self.open_card()
        if card is not None:
            card.text.append(data)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return


failures = 0


def report(ok, text):
    global failures
    if not ok:
        failures += 1
    print(("PASS " if ok else "FAIL ") + text, flush=True)


def find_chromium():
    for name in [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]:
        if name:
            path = shutil.which(name)
            if path:
                return path
    return None


def run_chromium(binary, profile, budget_ms, timeout_s, extra, url):
    """One headless run; returns (stdout bytes, stderr text) or exits 2."""
    os.makedirs(profile, exist_ok=True)
    argv = [binary, "--headless", "--no-sandbox", "--disable-gpu",
            # A fresh profile per run: no lock shared with another test, nothing under $HOME.
            "--user-data-dir=" + profile, "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--virtual-time-budget=%d" % budget_ms] + extra + [url]
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              timeout=timeout_s, env=dict(os.environ, HOME=profile))
    except subprocess.TimeoutExpired as e:
        print("FAIL chromium did not finish within %d s (%s); stderr tail:\n%s"
              % (timeout_s, " ".join(extra), tail(e.stderr)), flush=True)
        sys.exit(2)
    if done.returncode != 0:
        print("FAIL chromium exited %d (%s); stderr tail:\n%s" % (done.returncode, " ".join(extra), tail(done.stderr)), flush=True)
        sys.exit(2)
    return done.stdout, done.stderr.decode("utf-8", "replace")


def tail(data, lines=15):
    if not data:
        return "  (empty)"
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    keep = [l for l in text.splitlines() if "dbus" not in l.lower()]  # the container has no D-Bus: noise
    return "\n".join("  " + l for l in keep[-lines:]) or "  (only D-Bus noise)"


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    url, shot = sys.argv[1], sys.argv[2]
    expected = [c.strip() for arg in sys.argv[3:] for c in arg.split(",") if c.strip() and c.strip() != "-"]
    budget = int(os.environ.get("PAGE_CHECK_BUDGET_MS", "15000"))
    timeout_s = int(os.environ.get("PAGE_CHECK_TIMEOUT_S", "120"))

    binary = find_chromium()
    if binary is None:
        print("FAIL chromium not found (apt-get install -y chromium, or set CHROMIUM)", flush=True)
        return 2
    print("INFO chromium: %s; url: %s; expected cameras: %s" % (binary, url, ", ".join(expected) or "none"), flush=True)

    with tempfile.TemporaryDirectory(prefix="page_check.") as tmp:
        dom, _ = run_chromium(binary, os.path.join(tmp, "dom"), budget, timeout_s, ["--dump-dom"], url)
        page = PageParser()
        page.feed(dom.decode("utf-8", "replace"))
        page.close()
        report(len(dom) > 0 and page.body is not None,
               "DOM dumped (%d bytes)%s" % (len(dom), "" if dom else "; nothing loaded: is the server listening at that URL?"))
        ready = (page.body or {}).get("data-ready")
        report(ready == "1", 'body data-ready="1" (got %s)' % ("none" if ready is None else '"%s"' % ready))
        if page.auth_banner:
            report(False, "the page asks for a token (401): pass it in the URL as #token=...")

        by_id = {}
        for card in page.cards:
            by_id.setdefault(card.camera, card)
        for camera in expected:
            card = by_id.get(camera)
            report(card is not None, "camera %s: card present" % camera)
            if card is None:
                continue
            loaded = [img for img in card.imgs if img.get("data-loaded") == "1"]
            report(bool(loaded), 'camera %s: snapshot loaded (img data-loaded="1"; %d img in card)' % (camera, len(card.imgs)))
            counts = []
            for value in card.spans:
                try:
                    counts.append(int(value))
                except ValueError:
                    pass
            best = max(counts) if counts else None
            report(best is not None and best >= 1,
                   "camera %s: timeline data-spans >= 1 (got %s)" % (camera, "none" if best is None else best)
                   + ("" if card.timeline else "; no .timeline element"))
        for pair in filter(None, os.environ.get("PAGE_CHECK_MOTION", "").split(",")):
            camera, _, want = pair.partition("=")
            words = " ".join(by_id[camera].text) if camera in by_id else ""
            report("Motion from" in words and want in words.split("Motion from", 1)[-1][:200],
                   'camera %s: a "Motion from" row with %r' % (camera, want))
        text = dom.decode("utf-8", "replace")
        body = text.split('id="device-body"', 1)[1][:4000] if 'id="device-body"' in text else ""
        report("<dt>Board</dt>" in body and "<dt>Software</dt>" in body,
               "device card: Board and Software rows (the software running, its previous version, the last update)")
        uploads = text.split('id="uploads-body"', 1)[1][:4000] if 'id="uploads-body"' in text else ""
        report('<span>queued</span>' in uploads and "<dt>Mode</dt>" in uploads and "<dt>Last error</dt>" in uploads,
               "uploads card: queued/uploaded/failed counts, the mode and the last error")
        others = [c.camera for c in page.cards if c.camera not in expected]
        if others:
            print("INFO other cards on the page: %s" % ", ".join(others), flush=True)

        try:
            os.unlink(shot)
        except FileNotFoundError:
            pass
        parent = os.path.dirname(os.path.abspath(shot))
        os.makedirs(parent, exist_ok=True)
        run_chromium(binary, os.path.join(tmp, "shot"), budget, timeout_s,
                     ["--screenshot=" + os.path.abspath(shot), "--window-size=1280,1000"], url)
        size = png_size(shot) if os.path.exists(shot) else None
        report(size is not None, "screenshot %s (%s)" % (shot, "%dx%d, %d bytes" % (size[0], size[1], os.path.getsize(shot)) if size else "missing or not a PNG"))

    print("FAIL: %d check(s) failed" % failures if failures else "OK: all checks passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
