extension StatusPageHTML {
    /// The page's style sheet, light and dark.
    static let style = #"""
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
"""#
}
