extension StatusPageHTML {
    /// The camera cards: details, snapshots, the recording and motion timelines.
    static let scriptCameras = #"""
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
    if (cam.motion_source) rows.push(kvRow('Motion from', str(cam.motion_source), /failed/.test(cam.motion_source) ? 'err' : null));
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

"""#
}
