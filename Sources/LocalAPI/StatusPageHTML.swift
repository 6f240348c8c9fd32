/// The status page served at `/`: one self-contained HTML document (no CDN, no build step).
enum StatusPageHTML {
    static let text = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>camgate</title>
<style>
:root {
  --bg: #eef1f5; --card: #ffffff; --ink: #1c2330; --muted: #667085; --line: #e1e5eb; --soft: #f5f7fa;
  --head: #101826; --head-2: #1a2434; --head-ink: #e8ecf2; --head-muted: #94a0b3;
  --accent: #2563eb; --ok: #17994f; --warn: #c77700; --bad: #d92d20; --off: #7a5af8; --idle: #667085;
  --tl-bg: #e6eaf0; --tl-fill: #22a35a; --tl-tick: #b8c0cc;
  --radius: 10px; --shadow: 0 1px 2px rgba(16,24,40,.06), 0 1px 3px rgba(16,24,40,.08);
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0b1017; --card: #131a25; --ink: #e4e8ee; --muted: #95a0b1; --line: #243044; --soft: #18212e;
    --head: #060a10; --head-2: #111926; --tl-bg: #1f2938; --tl-tick: #3a475c;
    --shadow: 0 1px 2px rgba(0,0,0,.4);
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, Cantarell, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
}
[hidden] { display: none !important; }
.mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }

/* Header */
.top {
  background: linear-gradient(180deg, var(--head-2), var(--head)); color: var(--head-ink);
  padding: 10px 20px; display: flex; flex-wrap: wrap; align-items: center; gap: 6px 28px;
  position: sticky; top: 0; z-index: 10; box-shadow: 0 1px 0 rgba(255,255,255,.06), 0 2px 8px rgba(0,0,0,.25);
}
.brand { display: flex; align-items: center; gap: 12px; min-width: 0; }
.logo {
  width: 30px; height: 30px; border-radius: 8px; flex: none; position: relative;
  background: linear-gradient(135deg, #3b82f6, #1d4ed8);
}
.logo::before { content: ""; position: absolute; left: 6px; top: 9px; width: 13px; height: 12px; border-radius: 3px; background: #fff; }
.logo::after { content: ""; position: absolute; left: 19px; top: 11px; border: 4px solid transparent; border-left: 0; border-right: 6px solid #fff; height: 0; }
.brand-text { min-width: 0; }
.device { font-size: 17px; font-weight: 650; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 60vw; }
.product { font-size: 11.5px; color: var(--head-muted); letter-spacing: .04em; text-transform: uppercase; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 22px; margin-left: auto; align-items: center; }
.fact { display: flex; flex-direction: column; min-width: 0; }
.fact b { font-weight: 600; font-size: 13.5px; white-space: nowrap; }
.fact span { font-size: 11px; color: var(--head-muted); text-transform: uppercase; letter-spacing: .04em; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; vertical-align: 1px; background: var(--idle); }
.dot.ok { background: #34d399; box-shadow: 0 0 0 3px rgba(52,211,153,.18); }
.dot.warn { background: #fbbf24; }
.dot.bad { background: #f87171; }

/* Banner */
.banner {
  margin: 14px auto 0; max-width: 1400px; padding: 0 20px;
}
.banner > div {
  border-radius: var(--radius); padding: 12px 14px; border: 1px solid; display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center;
}
.banner .error { background: #fef3f2; border-color: #fecdca; color: #912018; }
.banner .warn { background: #fffaeb; border-color: #fedf89; color: #93370d; }
@media (prefers-color-scheme: dark) {
  .banner .error { background: #2a1414; border-color: #5c2320; color: #fda29b; }
  .banner .warn { background: #2a2112; border-color: #5c4a1c; color: #fec84b; }
}
.banner strong { font-weight: 650; }
.banner code { font-family: var(--mono); font-size: 12.5px; background: rgba(127,127,127,.15); padding: 1px 5px; border-radius: 4px; word-break: break-all; }
.banner form { display: flex; gap: 6px; margin-left: auto; flex-wrap: wrap; }
.banner input {
  font: inherit; padding: 5px 9px; border-radius: 6px; border: 1px solid rgba(127,127,127,.45);
  background: var(--card); color: var(--ink); min-width: 220px;
}
.banner button, .btn {
  font: inherit; font-weight: 600; padding: 5px 12px; border-radius: 6px; border: 1px solid transparent;
  background: var(--accent); color: #fff; cursor: pointer;
}

/* Layout */
main { max-width: 1400px; margin: 0 auto; padding: 8px 20px 40px; }
.section-head { display: flex; align-items: baseline; gap: 10px; margin: 22px 2px 10px; }
.section-head h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0; font-weight: 650; }
.section-head .count { font-size: 12px; color: var(--muted); }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); }
.sys { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); }
.sys .wide { grid-column: 1 / -1; }
@media (max-width: 720px) {
  .top { padding: 10px 14px; position: static; }
  main, .banner { padding-left: 12px; padding-right: 12px; }
  .grid, .sys { grid-template-columns: 1fr; gap: 12px; }
  .facts { margin-left: 0; gap: 4px 18px; }
  .device { max-width: 80vw; }
}
.card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow); min-width: 0; }
.card > h3 { margin: 0; padding: 12px 14px 0; font-size: 14px; font-weight: 650; display: flex; align-items: center; gap: 8px; }
.card-body { padding: 10px 14px 14px; }
.empty { padding: 28px 14px; text-align: center; color: var(--muted); }

/* Camera card */
.cam { display: flex; flex-direction: column; overflow: hidden; }
.tile { position: relative; aspect-ratio: 16 / 9; background: #0b0f15; overflow: hidden; }
.tile img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; display: block; }
.tile .placeholder {
  position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  color: #8793a6; font-size: 13px;
}
.tile .snap-fail {
  position: absolute; top: 8px; right: 8px; background: rgba(217,45,32,.92); color: #fff;
  font-size: 11px; font-weight: 650; padding: 2px 8px; border-radius: 999px; letter-spacing: .02em;
}
.tile .snap-age {
  position: absolute; left: 8px; bottom: 8px; background: rgba(0,0,0,.55); color: #e5e7eb;
  font-size: 11px; padding: 1px 7px; border-radius: 5px; font-variant-numeric: tabular-nums;
}
.cam-head { display: flex; align-items: center; gap: 10px; padding: 11px 14px 0; min-width: 0; }
.cam-head h3 { margin: 0; font-size: 15px; font-weight: 650; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.cam-head .state { margin-left: auto; }
.cam-sub { padding: 1px 14px 0; color: var(--muted); font-size: 12.5px; }
.state {
  display: inline-flex; align-items: center; gap: 6px; flex: none;
  font-size: 11.5px; font-weight: 650; padding: 2px 9px 2px 8px; border-radius: 999px;
  text-transform: uppercase; letter-spacing: .04em; border: 1px solid transparent;
  color: var(--idle); background: rgba(102,112,133,.12);
}
.state::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: currentColor; }
.state.s-recording { color: var(--ok); background: rgba(23,153,79,.12); }
.state.s-recording::before { animation: pulse 1.6s ease-in-out infinite; }
.state.s-starting { color: var(--accent); background: rgba(37,99,235,.12); }
.state.s-backoff { color: var(--warn); background: rgba(199,119,0,.13); }
.state.s-failed { color: var(--bad); background: rgba(217,45,32,.12); }
.state.s-offline { color: var(--off); background: rgba(122,90,248,.13); }
.state.s-removed { color: var(--muted); background: transparent; border-color: var(--line); }
@keyframes pulse { 50% { opacity: .35; } }
@media (prefers-reduced-motion: reduce) { .state.s-recording::before { animation: none; } }

.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; padding: 10px 14px 14px; font-size: 13px; }
.kv.flush { padding: 10px 0 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.kv dd.err { color: var(--bad); }
.kv .ell { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }

/* Timeline */
.timeline { padding: 12px 14px 0; }
.tl-cap { display: flex; justify-content: space-between; font-size: 11.5px; color: var(--muted); margin-bottom: 4px; }
.tl-bar { position: relative; height: 18px; background: var(--tl-bg); border-radius: 4px; overflow: hidden; }
.tl-span { position: absolute; top: 0; bottom: 0; background: var(--tl-fill); min-width: 1px; }
.tl-motion { position: absolute; bottom: 0; height: 6px; background: var(--warn); min-width: 2px; border-radius: 1px; }
.tl-tick { position: absolute; top: 0; bottom: 0; width: 1px; background: var(--tl-tick); opacity: .55; pointer-events: none; }
.tl-tick.major { opacity: 1; }
.tl-axis { position: relative; height: 15px; font-size: 10.5px; color: var(--muted); font-variant-numeric: tabular-nums; }
.tl-axis span { position: absolute; top: 1px; transform: translateX(-50%); white-space: nowrap; }
.tl-err { font-size: 12px; color: var(--bad); padding-top: 3px; }
@media (max-width: 720px) { .tl-axis span.minor { display: none; } }

/* Storage */
.bar { position: relative; height: 14px; border-radius: 7px; background: var(--tl-bg); overflow: visible; margin: 18px 0 8px; }
.bar .fill { position: absolute; top: 0; bottom: 0; left: 0; border-radius: 7px 0 0 7px; }
.bar .fill.rec { background: var(--accent); }
.bar .fill.used { background: #98a2b3; }
.bar .floor { position: absolute; top: -6px; bottom: -6px; width: 2px; background: var(--bad); border-radius: 1px; }
.bar .floor-label {
  position: absolute; top: -19px; transform: translateX(-50%); font-size: 10.5px; color: var(--bad); white-space: nowrap; font-weight: 600;
}
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.legend .lg-rec { background: var(--accent); }
.legend .lg-used { background: #98a2b3; }
.legend .lg-free { background: var(--tl-bg); box-shadow: inset 0 0 0 1px var(--line); }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(88px, 1fr)); gap: 10px; margin-top: 12px; }
.stat { background: var(--soft); border-radius: 8px; padding: 8px 10px; min-width: 0; }
.stat b { display: block; font-size: 16px; font-weight: 650; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.stat span { font-size: 11.5px; color: var(--muted); }
.stat.ok b { color: var(--ok); }
.stat.warn b { color: var(--warn); }
.stat.bad b { color: var(--bad); }

/* Tables */
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; padding: 6px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
tr:last-child td { border-bottom: 0; }
.pill { display: inline-block; font-size: 11px; font-weight: 650; padding: 1px 8px; border-radius: 999px; text-transform: uppercase; letter-spacing: .03em; white-space: nowrap; }
.pill.ok { color: var(--ok); background: rgba(23,153,79,.12); }
.pill.no { color: var(--muted); background: rgba(102,112,133,.12); }
.pill.info { color: var(--accent); background: rgba(37,99,235,.1); }
.pill.warning { color: var(--warn); background: rgba(199,119,0,.13); }
.pill.error { color: var(--bad); background: rgba(217,45,32,.12); }
.details { color: var(--muted); font-size: 12px; }
@media (max-width: 720px) {
  .enc thead { display: none; }
  .enc tr { display: block; padding: 8px 0; border-bottom: 1px solid var(--line); }
  .enc tr:last-child { border-bottom: 0; }
  .enc td { display: inline-block; border: 0; padding: 0 10px 0 0; vertical-align: baseline; }
  .enc td.c-reason { display: block; padding-top: 3px; }
}

/* Events */
.events { list-style: none; margin: 0; padding: 0; }
.events li { display: grid; grid-template-columns: 86px 74px 1fr; gap: 2px 10px; padding: 7px 14px; border-top: 1px solid var(--line); font-size: 13px; align-items: baseline; }
.events li:first-child { border-top: 0; }
.events .t { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 12px; }
.events .what { min-width: 0; overflow-wrap: anywhere; }
.events .kind { font-family: var(--mono); font-size: 12px; color: var(--muted); margin-right: 6px; }
.events .cam-ref { font-weight: 600; margin-right: 6px; }
@media (max-width: 520px) { .events li { grid-template-columns: 74px 1fr; } .events li .what { grid-column: 1 / -1; } }
footer { text-align: center; color: var(--muted); font-size: 12px; padding: 10px 0 24px; }
</style>
</head>
<body>
<header class="top">
  <div class="brand">
    <div class="logo" aria-hidden="true"></div>
    <div class="brand-text">
      <div class="device" id="device">camgate</div>
      <div class="product">camgate agent</div>
    </div>
  </div>
  <div class="facts">
    <div class="fact"><b id="agent-state"><i class="dot"></i>connecting…</b><span>agent</span></div>
    <div class="fact"><b id="version">–</b><span>version</span></div>
    <div class="fact"><b id="uptime">–</b><span>uptime</span></div>
    <div class="fact"><b id="desired">–</b><span>desired state</span></div>
    <div class="fact"><b id="updated">–</b><span>updated</span></div>
  </div>
</header>

<div class="banner" id="banner" hidden></div>

<main>
  <noscript><div class="card empty">This page needs JavaScript. The same data is at <code>/api/v1/status</code>.</div></noscript>
  <div class="section-head"><h2>Cameras</h2><span class="count" id="cam-count"></span></div>
  <div class="grid" id="cameras"><div class="card empty" id="cams-empty">Loading…</div></div>

  <div class="section-head"><h2>System</h2></div>
  <div class="sys">
    <section class="card" id="storage-card">
      <h3>Storage</h3>
      <div class="card-body" id="storage"><span class="muted">–</span></div>
    </section>
    <section class="card" id="cloud-card">
      <h3>Cloud link</h3>
      <div class="card-body" id="cloud"><span class="muted">–</span></div>
    </section>
    <section class="card" id="uploads-card">
      <h3>Uploads</h3>
      <div class="card-body" id="uploads-body"><span class="muted">–</span></div>
    </section>
    <section class="card" id="device-card">
      <h3>Device</h3>
      <div class="card-body" id="device-body"><span class="muted">–</span></div>
    </section>
    <section class="card wide" id="encoders-card">
      <h3>Encoders</h3>
      <div class="card-body" id="encoders"><span class="muted">–</span></div>
    </section>
    <section class="card wide" id="events-card">
      <h3>Recent events</h3>
      <div id="events"><div class="empty">–</div></div>
    </section>
  </div>
</main>
<footer>camgate local status page · refreshes every 5 s · JSON at <span class="mono">/api/v1/status</span></footer>

<script>
(function () {
  'use strict';

  var TOKEN_KEY = 'camgate.api-token';
  var STATUS_MS = 5000, SNAPSHOT_MS = 3000, TIMELINE_MS = 60000, REQUEST_TIMEOUT_MS = 10000;
  var STATES = ['idle', 'starting', 'recording', 'backoff', 'failed', 'offline', 'removed'];

  var memoryToken = null;
  var unauthorized = false;
  var lastStatusAt = 0;
  var rendered = false;
  var cards = new Map();

  // ---------- Small DOM helpers (text only: data never goes through innerHTML) ----------

  function $(id) { return document.getElementById(id); }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      for (var key in props) {
        if (!Object.prototype.hasOwnProperty.call(props, key)) continue;
        var value = props[key];
        if (value === null || value === undefined || value === false) continue;
        if (key === 'class') node.className = value;
        else if (key === 'text') node.textContent = String(value);
        else node.setAttribute(key, String(value));
      }
    }
    if (children) {
      for (var i = 0; i < children.length; i++) {
        var c = children[i];
        if (c === null || c === undefined || c === false) continue;
        node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
      }
    }
    return node;
  }

  function setText(node, value) {
    var text = value === null || value === undefined ? '' : String(value);
    if (node.textContent !== text) node.textContent = text;
  }

  // ---------- Formatting ----------

  function fmtBytes(n) {
    if (typeof n !== 'number' || !isFinite(n)) return '–';
    var units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
    var v = n, u = 0;
    while (Math.abs(v) >= 1000 && u < units.length - 1) { v /= 1000; u++; }
    return u === 0 ? n + ' B' : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0) + ' ' + units[u];
  }

  function fmtDuration(seconds) {
    if (typeof seconds !== 'number' || !isFinite(seconds) || seconds < 0) return '–';
    var s = Math.floor(seconds);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    if (d > 0) return d + 'd ' + h + 'h';
    if (h > 0) return h + 'h ' + m + 'm';
    if (m > 0) return m + 'm ' + sec + 's';
    return sec + 's';
  }

  function parseTime(value) {
    if (typeof value !== 'string') return NaN;
    return Date.parse(value);
  }

  function pad2(n) { return n < 10 ? '0' + n : String(n); }

  function fmtClock(ms, withSeconds) {
    if (!isFinite(ms)) return '–';
    var d = new Date(ms);
    return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + (withSeconds ? ':' + pad2(d.getSeconds()) : '');
  }

  function fmtWhen(value) {
    var ms = parseTime(value);
    if (!isFinite(ms)) return '–';
    var d = new Date(ms), now = new Date();
    var sameDay = d.toDateString() === now.toDateString();
    var day = sameDay ? '' : d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + ' ';
    return day + fmtClock(ms, true);
  }

  function fmtAgo(value) {
    var ms = parseTime(value);
    if (!isFinite(ms)) return '';
    return fmtDuration(Math.max(0, (Date.now() - ms) / 1000)) + ' ago';
  }

  function basename(path) {
    if (typeof path !== 'string') return '–';
    var parts = path.split('/');
    return parts[parts.length - 1] || path;
  }

  function str(value, fallback) {
    return value === null || value === undefined || value === '' ? (fallback === undefined ? '–' : fallback) : String(value);
  }

  // ---------- Auth and fetching ----------

  function takeTokenFromFragment() {
    var match = /(?:^#|[#&])token=([^&]*)/.exec(location.hash || '');
    if (!match) return;
    var token = match[1];
    try { token = decodeURIComponent(token); } catch (e) { /* keep it as written */ }
    saveToken(token);
    try { history.replaceState(null, '', location.pathname + location.search); } catch (e) { /* file: or sandboxed */ }
  }

  function saveToken(token) {
    memoryToken = token || null;
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: keep it in memory */ }
  }

  function currentToken() {
    if (memoryToken) return memoryToken;
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }
  ApiError.prototype.toString = function () { return this.message; };

  // Paths are relative so the page also works behind a reverse proxy under a prefix.
  function request(path, kind) {
    var headers = {};
    var token = currentToken();
    if (token) headers['Authorization'] = 'Bearer ' + token;
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    var done = function () { if (timer) clearTimeout(timer); };
    return fetch(path, { headers: headers, cache: 'no-store', credentials: 'same-origin', signal: controller ? controller.signal : undefined })
      .catch(function () {
        done();
        throw new ApiError(0, 'network', controller && controller.signal.aborted ? 'the agent did not answer in time' : 'the agent is not reachable');
      })
      .then(function (res) {
        if (res.status === 401) {
          done();
          noteUnauthorized();
          throw new ApiError(401, 'unauthorized', 'token required');
        }
        if (!res.ok) {
          return res.text().then(function (body) {
            done();
            var code = 'http_' + res.status, message = 'HTTP ' + res.status;
            try {
              var parsed = JSON.parse(body);
              if (parsed && parsed.error) {
                if (parsed.error.code) code = String(parsed.error.code);
                if (parsed.error.message) message = String(parsed.error.message);
              }
            } catch (e) { /* not JSON */ }
            throw new ApiError(res.status, code, message);
          }, function () { done(); throw new ApiError(res.status, 'http_' + res.status, 'HTTP ' + res.status); });
        }
        var body = kind === 'blob' ? res.blob() : res.json();
        return body.then(function (value) { done(); return value; },
          function () { done(); throw new ApiError(res.status, 'bad_body', 'unreadable answer'); });
      });
  }

  function noteUnauthorized() {
    if (unauthorized) return;
    unauthorized = true;
    renderBanner();
  }

  // ---------- Banner ----------

  var networkProblem = null;

  function renderBanner() {
    var banner = $('banner');
    if (unauthorized) {
      var hadToken = !!currentToken();
      var example = location.origin + location.pathname + '#token=…';
      var input = el('input', { type: 'password', autocomplete: 'off', placeholder: 'API token', 'aria-label': 'API token' });
      var form = el('form', null, [input, el('button', { type: 'submit', text: 'Use token' })]);
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        var value = input.value.trim();
        if (!value) return;
        saveToken(value);
        unauthorized = false;
        renderBanner();
        refreshStatus();
      });
      banner.replaceChildren(el('div', { class: 'error', role: 'alert', id: 'auth-required' }, [
        el('strong', { text: hadToken ? 'Token rejected.' : 'Token required:' }),
        el('span', null, [hadToken ? 'the saved token was not accepted; open ' : 'open ', el('code', { text: example }),
          ' with the token from the agent\u2019s api.token_file, or paste it here.']),
        form
      ]));
      banner.hidden = false;
    } else if (networkProblem) {
      banner.replaceChildren(el('div', { class: 'warn', role: 'status' }, [
        el('strong', { text: 'Status unavailable:' }),
        el('span', { text: networkProblem + (lastStatusAt ? ' — showing data from ' + fmtClock(lastStatusAt, true) + '.' : '. Retrying every 5 s.') })
      ]));
      banner.hidden = false;
    } else {
      banner.hidden = true;
      banner.replaceChildren();
    }
  }

  // ---------- Header ----------

  function renderHeader(status) {
    var agent = status.agent || null;
    var cloud = status.cloud || null;
    var name = (cloud && cloud.device_id) || location.hostname || 'camgate';
    setText($('device'), name);
    document.title = name + ' · camgate';

    var state = $('agent-state');
    var dotClass = 'dot', label;
    if (!agent) { dotClass += ' warn'; label = 'unknown'; }
    else if (agent.running) { dotClass += ' ok'; label = 'running' + (agent.pid ? ' · pid ' + agent.pid : ''); }
    else { dotClass += ' bad'; label = 'stopped'; }
    state.replaceChildren(el('i', { class: dotClass }), label);

    setText($('version'), agent ? str(agent.version) : '–');
    var uptime = agent && typeof agent.uptime_s === 'number' ? agent.uptime_s
      : (agent && agent.running ? (Date.now() - parseTime(agent.started_at)) / 1000 : NaN);
    setText($('uptime'), fmtDuration(uptime));
    var desired = status.desired;
    setText($('desired'), desired && desired.revision !== undefined && desired.revision !== null
      ? 'rev ' + desired.revision + (desired.origin ? ' · ' + desired.origin : '') : 'none');
    setText($('updated'), fmtClock(Date.now(), true));
  }

  // ---------- Cameras ----------

  function createCard(id) {
    var img = el('img', { alt: 'latest snapshot of camera ' + id, decoding: 'async' });
    img.hidden = true;
    var placeholder = el('div', { class: 'placeholder', text: 'waiting for a snapshot…' });
    var fail = el('span', { class: 'snap-fail', text: 'snapshot failed' });
    fail.hidden = true;
    var age = el('span', { class: 'snap-age' });
    age.hidden = true;
    var tile = el('div', { class: 'tile' }, [placeholder, img, fail, age]);

    var title = el('h3', { text: id, title: id });
    var state = el('span', { class: 'state' });
    var sub = el('div', { class: 'cam-sub' });

    var tlBar = el('div', { class: 'tl-bar', role: 'img', 'aria-label': 'recordings of the last 24 hours' });
    var tlAxis = el('div', { class: 'tl-axis' });
    var tlCapLeft = el('span', { text: 'recordings, last 24 h' });
    var tlCapRight = el('span');
    var tlErr = el('div', { class: 'tl-err' });
    tlErr.hidden = true;
    var timeline = el('div', { class: 'timeline' }, [el('div', { class: 'tl-cap' }, [tlCapLeft, tlCapRight]), tlBar, tlAxis, tlErr]);

    var kv = el('dl', { class: 'kv' });
    var root = el('article', { class: 'card cam', 'data-camera': id }, [tile, el('div', { class: 'cam-head' }, [title, state]), sub, timeline, kv]);

    var card = {
      id: id, root: root, img: img, placeholder: placeholder, fail: fail, age: age,
      state: state, sub: sub, kv: kv,
      timeline: timeline, tlBar: tlBar, tlAxis: tlAxis, tlCapRight: tlCapRight, tlErr: tlErr,
      snapshotBusy: false, snapshotAt: 0, snapshotURL: null,
      timelineBusy: false, timelineAt: 0
    };
    img.addEventListener('load', function () {
      if (img.naturalWidth > 0) {
        img.setAttribute('data-loaded', '1');
        img.hidden = false;
        placeholder.hidden = true;
      }
    });
    return card;
  }

  function kvRow(dt, dd, ddClass) {
    return [el('dt', { text: dt }), el('dd', { class: ddClass || null }, [dd])];
  }

  function renderCamera(card, cam, viewing) {
    var state = STATES.indexOf(cam.state) >= 0 ? cam.state : null;
    card.state.className = 'state' + (state ? ' s-' + state : '');
    setText(card.state, str(cam.state, 'unknown'));

    var subParts = [];
    if (cam.since) subParts.push((state || 'in this state') + ' for ' + fmtAgo(cam.since).replace(/ ago$/, ''));
    if (cam.pid) subParts.push('pid ' + cam.pid);
    var uses = [];
    if (cam.record) uses.push('record');
    if (cam.view) uses.push('view');
    subParts.push(uses.length ? uses.join(' + ') : 'snapshot only');
    setText(card.sub, subParts.join(' · '));

    var rows = [];
    var seg = cam.current_segment;
    var segNode;
    if (seg) {
      segNode = el('span', null, [
        el('span', { class: 'mono ell', text: basename(seg.file), title: str(seg.file, '') }),
        el('span', { class: 'muted', text: fmtBytes(seg.bytes) + ' · started ' + fmtWhen(seg.start) })
      ]);
    } else {
      segNode = el('span', { class: 'muted', text: 'none' });
    }
    rows.push(kvRow('Segment', segNode));
    rows.push(kvRow('Restarts', str(cam.restarts, '0')));
    rows.push(kvRow('Encoder', str(cam.encoder)));
    if (cam.source) rows.push(kvRow('Source', el('span', { class: 'mono ell', text: cam.source, title: cam.source })));
    if (viewing) {
      var viewText;
      if (viewing.unavailable) viewText = 'unavailable: ' + viewing.unavailable;
      else {
        var viewers = 0, known = false;
        (Array.isArray(viewing.paths) ? viewing.paths : []).forEach(function (p) {
          if (p && typeof p.viewers === 'number') { viewers += p.viewers; known = true; }
        });
        viewText = 'available' + (known ? ' · ' + viewers + (viewers === 1 ? ' viewer' : ' viewers') : '');
      }
      rows.push(kvRow('Live view', viewText));
    }
    rows.push(kvRow('Last error', str(cam.last_error, 'none'), cam.last_error ? 'err' : 'muted'));
    var flat = [];
    rows.forEach(function (r) { flat.push(r[0], r[1]); });
    card.kv.replaceChildren.apply(card.kv, flat);
  }

  function renderCameras(status) {
    var list = Array.isArray(status.cameras) ? status.cameras : [];
    var viewing = new Map();
    (Array.isArray(status.viewing) ? status.viewing : []).forEach(function (v) { if (v && v.camera) viewing.set(String(v.camera), v); });
    var container = $('cameras');
    var seen = new Set();
    var order = [];
    list.forEach(function (cam) {
      if (!cam || cam.id === undefined || cam.id === null) return;
      var id = String(cam.id);
      if (seen.has(id)) return;
      seen.add(id);
      var card = cards.get(id);
      if (!card) { card = createCard(id); cards.set(id, card); }
      renderCamera(card, cam, viewing.get(id));
      order.push(card.root);
    });
    cards.forEach(function (card, id) {
      if (!seen.has(id)) {
        if (card.snapshotURL) URL.revokeObjectURL(card.snapshotURL);
        cards.delete(id);
      }
    });
    if (order.length === 0) {
      order.push(el('div', { class: 'card empty', text: 'No cameras configured.' }));
    }
    // Re-append in status order; appendChild moves existing nodes without recreating them.
    var current = Array.prototype.slice.call(container.children);
    var same = current.length === order.length && current.every(function (n, i) { return n === order[i]; });
    if (!same) container.replaceChildren.apply(container, order);
    setText($('cam-count'), list.length ? list.length + (list.length === 1 ? ' camera' : ' cameras') : '');
  }

  // ---------- Snapshots ----------

  function refreshSnapshot(card) {
    if (card.snapshotBusy || unauthorized) return;
    card.snapshotBusy = true;
    request('api/v1/cameras/' + encodeURIComponent(card.id) + '/snapshot', 'blob')
      .then(function (blob) {
        if (!blob || !blob.size) throw new ApiError(0, 'empty', 'empty image');
        var url = URL.createObjectURL(blob);
        return new Promise(function (resolve, reject) {
          // Decode off-screen first so a broken image never replaces the last good one.
          var probe = new Image();
          probe.onload = function () { probe.naturalWidth > 0 ? resolve(url) : (URL.revokeObjectURL(url), reject(new ApiError(0, 'decode', 'not an image'))); };
          probe.onerror = function () { URL.revokeObjectURL(url); reject(new ApiError(0, 'decode', 'not an image')); };
          probe.src = url;
        });
      })
      .then(function (url) {
        if (cards.get(card.id) !== card) { URL.revokeObjectURL(url); return; }
        var previous = card.snapshotURL;
        card.snapshotURL = url;
        card.img.src = url;
        if (previous) setTimeout(function () { URL.revokeObjectURL(previous); }, 1000);
        card.snapshotAt = Date.now();
        card.fail.hidden = true;
        card.fail.removeAttribute('title');
        updateSnapshotAge(card);
      }, function (error) {
        card.fail.hidden = false;
        card.fail.title = error && error.message ? String(error.message) : 'snapshot failed';
        if (!card.snapshotURL) setText(card.placeholder, 'no snapshot: ' + (error && error.message ? error.message : 'failed'));
      })
      .then(function () { card.snapshotBusy = false; });
  }

  function updateSnapshotAge(card) {
    if (!card.snapshotAt) { card.age.hidden = true; return; }
    var age = (Date.now() - card.snapshotAt) / 1000;
    setText(card.age, age < 5 ? 'live · ' + fmtClock(card.snapshotAt, true) : fmtClock(card.snapshotAt, true) + ' (' + fmtDuration(age) + ' old)');
    card.age.hidden = false;
  }

  function snapshotTick() {
    if (document.visibilityState === 'hidden') return;
    cards.forEach(function (card) { refreshSnapshot(card); updateSnapshotAge(card); });
  }

  // ---------- Timelines ----------

  function refreshTimeline(card, force) {
    if (card.timelineBusy || unauthorized) return;
    if (!force && Date.now() - card.timelineAt < TIMELINE_MS) return;
    card.timelineBusy = true;
    request('api/v1/cameras/' + encodeURIComponent(card.id) + '/timeline', 'json')
      .then(function (tl) {
        // Motion events as marks under the recorded spans (none when the camera has no motion on).
        var motion = 'api/v1/motion?limit=1000&camera=' + encodeURIComponent(card.id) + (tl && tl.from ? '&since=' + encodeURIComponent(tl.from) : '');
        return request(motion, 'json').then(function (m) { return [tl, m && Array.isArray(m.events) ? m.events : []]; },
                                            function () { return [tl, []]; });
      })
      .then(function (both) {
        card.timelineAt = Date.now();
        renderTimeline(card, both[0], both[1]);
        card.tlErr.hidden = true;
      }, function (error) {
        card.timelineAt = Date.now() - TIMELINE_MS + 10000; // retry in ~10 s
        setText(card.tlErr, 'timeline unavailable: ' + (error && error.message ? error.message : 'failed'));
        card.tlErr.hidden = false;
      })
      .then(function () { card.timelineBusy = false; });
  }

  function renderTimeline(card, tl, motion) {
    var to = parseTime(tl && tl.to), from = parseTime(tl && tl.from);
    if (!isFinite(to)) to = Date.now();
    if (!isFinite(from) || from >= to) from = to - 86400000;
    var width = to - from;
    var spans = tl && Array.isArray(tl.spans) ? tl.spans : [];
    var nodes = [], covered = 0;

    // Hour ticks at local hour boundaries; major every 3 h (6 h labels on phones).
    var tick = new Date(from);
    tick.setMinutes(0, 0, 0);
    if (tick.getTime() <= from) tick.setHours(tick.getHours() + 1);
    var labels = [];
    for (var guard = 0; tick.getTime() < to && guard < 200; guard++) {
      var t = tick.getTime();
      var left = (t - from) / width * 100;
      var hour = tick.getHours();
      var major = hour % 3 === 0;
      var node = el('div', { class: 'tl-tick' + (major ? ' major' : '') });
      node.style.left = left.toFixed(3) + '%';
      nodes.push(node);
      if (major && left > 3 && left < 97) {
        var label = el('span', { class: hour % 6 === 0 ? '' : 'minor', text: pad2(hour) + ':00' });
        label.style.left = left.toFixed(3) + '%';
        labels.push(label);
      }
      tick.setHours(tick.getHours() + 1);
    }

    spans.forEach(function (span) {
      if (!span) return;
      var a = parseTime(span.start), b = span.end === null || span.end === undefined ? to : parseTime(span.end);
      if (!isFinite(a) || !isFinite(b)) return;
      a = Math.max(a, from); b = Math.min(b, to);
      if (b <= a) return;
      covered += b - a;
      var block = el('div', { class: 'tl-span', title: fmtWhen(span.start) + ' – ' + (span.end ? fmtWhen(span.end) : 'now') });
      block.style.left = ((a - from) / width * 100).toFixed(4) + '%';
      block.style.width = Math.max((b - a) / width * 100, 0.12).toFixed(4) + '%';
      nodes.push(block);
    });

    var marks = 0;
    (motion || []).forEach(function (ev) {
      if (!ev) return;
      var a = parseTime(ev.start), b = parseTime(ev.end || ev.last);
      if (!isFinite(a)) return;
      if (!isFinite(b) || b < a) b = a;
      a = Math.max(a, from); b = Math.min(b, to);
      if (b < a) return;
      marks++;
      var mark = el('div', { class: 'tl-motion', title: 'motion ' + fmtWhen(ev.start) + (ev.end ? ' – ' + fmtWhen(ev.end) : ' (ongoing)') + ', peak ' + ev.peak + ' %' });
      mark.style.left = ((a - from) / width * 100).toFixed(4) + '%';
      mark.style.width = Math.max((b - a) / width * 100, 0.15).toFixed(4) + '%';
      nodes.push(mark);
    });
    card.timeline.setAttribute('data-motion', String(marks));
    card.tlBar.replaceChildren.apply(card.tlBar, nodes);
    card.tlAxis.replaceChildren.apply(card.tlAxis, labels);
    var percent = covered / width * 100;
    setText(card.tlCapRight, spans.length === 0 ? 'nothing recorded'
      : (percent >= 99.95 ? '100' : percent.toFixed(percent < 10 ? 1 : 0)) + '% recorded · ' + spans.length + (spans.length === 1 ? ' span' : ' spans'));
    card.tlBar.setAttribute('aria-label', 'recordings from ' + fmtWhen(tl && tl.from) + ' to ' + fmtWhen(tl && tl.to) + ': ' + spans.length + ' spans');
    card.timeline.setAttribute('data-spans', String(spans.length));
  }

  // ---------- Storage, cloud, encoders, events ----------

  function stat(label, value, cls) {
    return el('div', { class: 'stat' + (cls ? ' ' + cls : '') }, [el('b', { text: value }), el('span', { text: label })]);
  }

  function renderStorage(storage) {
    var box = $('storage');
    if (!storage) { box.replaceChildren(el('span', { class: 'muted', text: 'not reported' })); return; }
    var total = Number(storage.total_bytes) || 0, free = Number(storage.free_bytes) || 0;
    var recBytes = Number(storage.recordings_bytes) || 0;
    var floor = Number(storage.min_free_percent);
    if (!isFinite(floor)) floor = 0;
    var freePct = total > 0 ? free / total * 100 : NaN;
    var usedPct = total > 0 ? Math.min(100, Math.max(0, (total - free) / total * 100)) : 0;
    var recPct = total > 0 ? Math.min(usedPct, recBytes / total * 100) : 0;

    var bar = el('div', { class: 'bar', role: 'img',
      'aria-label': total > 0 ? Math.round(freePct) + '% free, retention floor ' + floor + '% free' : 'capacity unknown' });
    var used = el('div', { class: 'fill used' }); used.style.width = usedPct.toFixed(2) + '%';
    var rec = el('div', { class: 'fill rec' }); rec.style.width = recPct.toFixed(2) + '%';
    bar.appendChild(used); bar.appendChild(rec);
    if (total > 0) {
      var at = Math.min(100, Math.max(0, 100 - floor));
      var marker = el('div', { class: 'floor', title: 'retention floor: keeps ' + floor + '% free' });
      marker.style.left = 'calc(' + at.toFixed(2) + '% - 1px)';
      var mlabel = el('div', { class: 'floor-label', text: 'floor ' + floor + '% free' });
      mlabel.style.left = Math.min(88, Math.max(12, at)).toFixed(2) + '%';
      bar.appendChild(marker); bar.appendChild(mlabel);
    }
    var legend = el('div', { class: 'legend' }, [
      el('span', null, [el('i', { class: 'lg-rec' }), 'recordings']),
      el('span', null, [el('i', { class: 'lg-used' }), 'other data']),
      el('span', null, [el('i', { class: 'lg-free' }), 'free'])
    ]);
    var freeClass = !isFinite(freePct) ? null : freePct < floor ? 'bad' : freePct < floor + 5 ? 'warn' : null;
    var stats = el('div', { class: 'stats' }, [
      stat(total > 0 ? 'free (' + freePct.toFixed(freePct < 10 ? 1 : 0) + '%) of ' + fmtBytes(total) : 'free (capacity unknown)', fmtBytes(free), freeClass),
      stat('recordings', fmtBytes(recBytes)),
      stat('segments', str(storage.segments, '0'))
    ]);
    box.replaceChildren(bar, legend, stats);
  }

  function renderCloud(cloud) {
    var box = $('cloud');
    if (cloud === null || cloud === undefined) {
      box.replaceChildren(
        el('div', { class: 'stats' }, [stat('mode', 'standalone')]),
        el('p', { class: 'muted', text: 'No cloud endpoint is configured: the agent follows its configuration file and this API.' }));
      return;
    }
    var link = str(cloud.link, 'unknown');
    var depth = Number(cloud.outbox_depth) || 0;
    var kv = el('dl', { class: 'kv flush' });
    var rows = [
      kvRow('Since', cloud.since ? fmtWhen(cloud.since) + ' (' + fmtAgo(cloud.since) + ')' : '–'),
      kvRow('Endpoint', el('span', { class: 'mono ell', text: str(cloud.endpoint), title: str(cloud.endpoint, '') })),
      kvRow('Device id', el('span', { class: 'mono', text: str(cloud.device_id) })),
      kvRow('Last error', str(cloud.last_error, 'none'), cloud.last_error ? 'err' : 'muted')
    ];
    rows.forEach(function (r) { kv.appendChild(r[0]); kv.appendChild(r[1]); });
    box.replaceChildren(
      el('div', { class: 'stats' }, [stat('link', link, link === 'connected' ? 'ok' : 'warn'), stat('outbox depth', String(depth), depth > 100 ? 'warn' : null)]),
      kv);
  }

  // The upload queue and the segment on its way (docs/uploads.md).
  function renderUploads(up) {
    var box = $('uploads-body');
    if (!up) { box.replaceChildren(el('span', { class: 'muted', text: 'Not reported by this agent.' })); return; }
    var failed = Number(up.failed) || 0, waiting = (Number(up.queued) || 0) + (Number(up.uploading) || 0);
    var stats = el('div', { class: 'stats' }, [
      stat('queued', String(waiting), waiting > 100 ? 'warn' : null),
      stat('uploaded', str(up.done, '0'), null),
      stat('failed', String(failed), failed > 0 ? 'warn' : null),
      stat('to send', fmtBytes(Number(up.pending_bytes) || 0))
    ]);
    var kv = el('dl', { class: 'kv flush' });
    var rows = [kvRow('Mode', str(up.mode, 'none') + (Number(up.max_kbps) > 0 ? ', cap ' + up.max_kbps + ' kbit/s' : '') + ', ' + str(up.order, 'oldest') + ' first')];
    var c = up.current;
    if (c) rows.push(kvRow('Uploading', str(c.camera) + '/' + str(c.file) + ' · ' + Math.floor((Number(c.progress) || 0) * 100) + ' % of ' + fmtBytes(Number(c.bytes) || 0)));
    if (up.bytes_sent !== null && up.bytes_sent !== undefined) rows.push(kvRow('Sent since start', fmtBytes(Number(up.bytes_sent) || 0)));
    if (up.held_until) rows.push(kvRow('Endpoint held', 'until ' + fmtWhen(up.held_until), 'warn'));
    rows.push(kvRow('Last error', str(up.last_error, 'none'), up.last_error ? 'err' : 'muted'));
    rows.forEach(function (r) { kv.appendChild(r[0]); kv.appendChild(r[1]); });
    var parts = [stats];
    if (c) {
      var bar = el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.floor((Number(c.progress) || 0) * 100)) });
      var fill = el('div', { class: 'fill rec' }); fill.style.width = ((Number(c.progress) || 0) * 100).toFixed(1) + '%';
      bar.appendChild(fill);
      parts.push(bar);
    }
    parts.push(kv);
    box.replaceChildren.apply(box, parts);
  }

  function renderDevice(device, software) {
    var box = $('device-body');
    if (device === null || device === undefined) {
      box.replaceChildren(el('span', { class: 'muted', text: 'Not reported by this agent.' }));
      return;
    }
    var board = device.board || {};
    var t = device.temperature_celsius;
    var level = str(device.temperature_level, '');
    var th = device.throttling || {};
    var power = th.under_voltage_now === true ? 'under-voltage now' : (th.under_voltage_occurred === true ? 'under-voltage since boot' : (th.under_voltage_now === false ? 'ok' : '–'));
    var kv = el('dl', { class: 'kv flush' });
    var rows = [
      kvRow('Board', str(board.id, 'no profile') + (board.variant ? ' (' + board.variant + ')' : '')),
      kvRow('Power', power, th.under_voltage_now === true ? 'err' : (power === 'ok' ? null : 'muted')),
      kvRow('Throttled', th.throttled_now === true ? 'now' : (th.throttled_occurred === true ? 'since boot' : (th.throttled_now === false || th.throttled_occurred === false ? 'no' : '–')), th.throttled_now === true ? 'warn' : null),
      kvRow('Up', device.uptime_s != null ? fmtDuration(Number(device.uptime_s)) : '–')
    ];
    rows = rows.concat(softwareRows(software));
    (Array.isArray(device.storage_wear) ? device.storage_wear : []).forEach(function (w) {
      rows.push(kvRow('Wear ' + str(w.device), str(w.life_used_percent, '?') + ' % used' + (w.pre_eol ? ', reserve ' + w.pre_eol : ''), w.pre_eol && w.pre_eol !== 'normal' ? 'warn' : null));
    });
    rows.forEach(function (r) { kv.appendChild(r[0]); kv.appendChild(r[1]); });
    box.replaceChildren(
      el('div', { class: 'stats' }, [stat('temperature', t != null ? Number(t).toFixed(1) + ' °C' : '–', level === 'hot' ? 'err' : (level === 'warm' ? 'warn' : (level === 'ok' ? 'ok' : null)))]),
      kv);
  }

  // The version running, the previous one and the last update's outcome (docs/ota.md).
  function softwareRows(software) {
    if (!software) return [];
    var rows = [kvRow('Software', str(software.version) + (software.previous ? ' (previous ' + software.previous + ')' : ''))];
    var u = software.last_update;
    if (u) {
      var text = str(u.from) + ' → ' + str(u.version) + ': ' + (u.outcome === 'succeeded' ? 'committed' : (u.outcome === 'failed' ? 'rolled back (' + str(u.reason) + ')' : str(u.phase)));
      rows.push(kvRow('Last update', text, u.outcome === 'failed' ? 'warn' : (u.outcome === null ? 'muted' : null)));
    }
    return rows;
  }

  function renderEncoders(encoders) {
    var box = $('encoders');
    var list = Array.isArray(encoders) ? encoders : [];
    if (list.length === 0) {
      box.replaceChildren(el('span', { class: 'muted', text: 'Not probed yet (the first hardware probe runs at start).' }));
      return;
    }
    var rows = list.map(function (e) {
      e = e || {};
      return el('tr', null, [
        el('td', null, [el('b', { text: str(e.backend) })]),
        el('td', { class: 'mono', text: str(e.device) }),
        el('td', { text: str(e.codec) }),
        el('td', null, [el('span', { class: 'pill ' + (e.usable ? 'ok' : 'no'), text: e.usable ? 'usable' : 'not usable' })]),
        el('td', { class: 'c-reason' }, [str(e.reason, ''),
          e.details ? el('div', { class: 'details', text: e.details }) : null,
          e.encoder ? el('div', { class: 'details mono', text: 'ffmpeg: ' + e.encoder }) : null])
      ]);
    });
    var head = el('tr', null, ['Backend', 'Device', 'Codec', 'Proof', 'Reason / details'].map(function (h) { return el('th', { text: h }); }));
    box.replaceChildren(el('div', { class: 'table-wrap' }, [el('table', { class: 'enc' }, [el('thead', null, [head]), el('tbody', null, rows)])]));
  }

  function renderEvents(answer) {
    var box = $('events');
    if (answer instanceof ApiError) {
      if (!box.querySelector('.events')) box.replaceChildren(el('div', { class: 'empty', text: 'events unavailable: ' + answer.message }));
      return;
    }
    var list = answer && Array.isArray(answer.events) ? answer.events.slice() : [];
    list.sort(function (a, b) {
      var ta = parseTime(a && a.time), tb = parseTime(b && b.time);
      if (isFinite(ta) && isFinite(tb) && ta !== tb) return tb - ta;
      return (Number(b && b.id) || 0) - (Number(a && a.id) || 0);
    });
    if (list.length === 0) { box.replaceChildren(el('div', { class: 'empty', text: 'No events yet.' })); return; }
    var items = list.map(function (ev) {
      ev = ev || {};
      var level = ['info', 'warning', 'error'].indexOf(ev.level) >= 0 ? ev.level : 'info';
      return el('li', null, [
        el('span', { class: 't', text: fmtWhen(ev.time), title: str(ev.time, '') }),
        el('span', null, [el('span', { class: 'pill ' + level, text: str(ev.level, 'info') })]),
        el('span', { class: 'what' }, [
          ev.camera ? el('span', { class: 'cam-ref', text: ev.camera }) : null,
          ev.kind ? el('span', { class: 'kind', text: ev.kind }) : null,
          str(ev.message, '')
        ])
      ]);
    });
    box.replaceChildren(el('ul', { class: 'events' }, items));
  }

  // ---------- Status loop ----------

  var statusBusy = false;

  function refreshStatus() {
    if (statusBusy) return Promise.resolve();
    statusBusy = true;
    var status = request('api/v1/status', 'json');
    var events = request('api/v1/events?limit=20', 'json').catch(function (e) { return e instanceof ApiError ? e : new ApiError(0, 'error', String(e)); });
    return Promise.all([status, events]).then(function (answers) {
      var st = answers[0] || {};
      unauthorized = false;
      networkProblem = null;
      lastStatusAt = Date.now();
      renderHeader(st);
      renderCameras(st);
      renderStorage(st.storage);
      renderCloud(st.cloud);
      renderUploads(st.uploads);
      renderDevice(st.device, st.software);
      renderEncoders(st.encoders);
      renderEvents(answers[1]);
      renderBanner();
      cards.forEach(function (card) {
        refreshTimeline(card, false);
        if (!card.snapshotAt && !card.snapshotBusy) refreshSnapshot(card);
      });
      if (!rendered) {
        rendered = true;
        document.body.setAttribute('data-ready', '1');
      }
    }, function (error) {
      if (error && error.status === 401) {
        setText($('cams-empty') || document.createElement('i'), 'Token required.');
        $('agent-state').replaceChildren(el('i', { class: 'dot warn' }), 'locked');
      } else {
        networkProblem = error && error.message ? String(error.message) : 'request failed';
        if (error && error.status) networkProblem = 'HTTP ' + error.status + ': ' + networkProblem;
        var st = $('agent-state');
        st.replaceChildren(el('i', { class: 'dot bad' }), 'unreachable');
      }
      renderBanner();
    }).then(function () { statusBusy = false; });
  }

  function schedule(fn, ms) {
    var run = function () {
      Promise.resolve().then(fn).catch(function () {}).then(function () { setTimeout(run, ms); });
    };
    setTimeout(run, ms);
  }

  takeTokenFromFragment();
  window.addEventListener('hashchange', function () {
    if (/token=/.test(location.hash)) { takeTokenFromFragment(); unauthorized = false; renderBanner(); refreshStatus(); }
  });
  document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'visible') { refreshStatus(); snapshotTick(); } });
  refreshStatus();
  schedule(refreshStatus, STATUS_MS);
  setInterval(snapshotTick, SNAPSHOT_MS);
})();
</script>
</body>
</html>
"""#
}
