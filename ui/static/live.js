// Canyu live counters. Any element with data-live="channel.field" shows the
// field's latest value: <span data-live="site.online">3</span>.
// WebSocket first; after repeated failures, polling /api/live/snapshot.
(function () {
  "use strict";
  var els = document.querySelectorAll("[data-live]");
  if (!els.length) { return; }

  var channels = {};
  Array.prototype.forEach.call(els, function (el) {
    channels[el.dataset.live.split(".")[0]] = true;
  });
  var names = Object.keys(channels);
  var versions = {};

  // versions count per server: on a cluster each edge has its own, so a new
  // connection starts afresh, and a poll (which may reach another edge)
  // takes any version but the one it has
  function apply(snap, polled) {
    if (!snap || !snap.channel) { return; }
    var seen = versions[snap.channel] || 0;
    if (polled ? seen === snap.version : seen >= snap.version) { return; }
    versions[snap.channel] = snap.version;
    // a page's own script may follow a channel too (a conversation fetches its new messages)
    document.dispatchEvent(new CustomEvent("canyu:live", { detail: snap }));
    Array.prototype.forEach.call(els, function (el) {
      var parts = el.dataset.live.split(".");
      if (parts[0] !== snap.channel) { return; }
      var v = snap.data;
      for (var i = 1; i < parts.length && v != null; i++) { v = v[parts[i]]; }
      if (v != null && String(v) !== el.textContent) {
        el.textContent = String(v);
        el.classList.toggle("zero", String(v) === "0");
        el.classList.remove("live-bump");
        void el.offsetWidth; // restart the animation
        el.classList.add("live-bump");
      }
    });
  }

  var failures = 0;
  var pollTimer = null;

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/api/live/snapshot?channels=" + encodeURIComponent(names.join(",")));
    xhr.onload = function () {
      if (xhr.status === 200) {
        var all = JSON.parse(xhr.responseText);
        Object.keys(all).forEach(function (k) { apply(all[k], true); });
      }
    };
    xhr.send();
  }

  function startPolling() {
    if (pollTimer) { return; }
    poll();
    pollTimer = setInterval(poll, 5000);
  }

  function connect() {
    if (!("WebSocket" in window)) { startPolling(); return; }
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try { ws = new WebSocket(proto + location.host + "/api/live"); } catch (e) { retry(); return; }
    var opened = false;
    ws.onopen = function () {
      opened = true;
      failures = 0;
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
      versions = {};
      ws.send(JSON.stringify({ type: "subscribe", channels: names }));
    };
    ws.onmessage = function (ev) {
      try { apply(JSON.parse(ev.data)); } catch (e) { /* not a snapshot */ }
    };
    ws.onclose = function () {
      if (!opened) { failures++; }
      retry();
    };
  }

  function retry() {
    if (failures >= 3) { startPolling(); }
    // exponential backoff with jitter: 1 s, 2 s, 4 s ... up to 30 s
    var base = Math.min(30000, 1000 * Math.pow(2, Math.min(failures, 5)));
    setTimeout(connect, base / 2 + Math.random() * base / 2);
  }

  connect();
})();
