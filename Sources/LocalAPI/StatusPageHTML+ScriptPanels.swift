extension StatusPageHTML {
    /// The panels (storage, cloud, uploads, device, encoders, events), the status loop, and the end of the document.
    static let scriptPanels = #"""
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
