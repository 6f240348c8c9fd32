/// The status page served at `/`: one self-contained HTML document (no CDN,
/// no build step), kept in pieces by what they hold: the markup here, the
/// style in StatusPageHTML+Style.swift, the script in three parts
/// (StatusPageHTML+Script*.swift). `text` is them joined, in order.
enum StatusPageHTML {
    static let text = [head, style, body, scriptBase, scriptCameras, scriptPanels].joined(separator: "\n")

    /// From the doctype to the title.
    static let head = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>camgate</title>
"""#

    /// The page's markup, between the style and the script.
    static let body = #"""
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

"""#
}
