extension StatusPageHTML {
    /// The script's start: DOM helpers, formatting, the API token and requests, the banner and the header.
    static let scriptBase = #"""
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

"""#
}
