// Popcorn: progressive enhancement only, except the door (check-in needs a
// script to scan and answer at once).
(function () {
  "use strict";
  var door = document.querySelector("[data-checkin]");
  if (!door) { return; }
  var form = door.querySelector("[data-checkin-form]"), input = form.querySelector("input[name=code]");
  var result = door.querySelector("[data-checkin-result]"), log = door.querySelector("[data-checkin-log]");
  var count = door.querySelector("[data-checkin-count]"), busy = false, last = "", lastAt = 0;

  function show(ok, title, detail) {
    result.className = "checkin-result " + (ok ? "ok" : "bad");
    result.textContent = "";
    var t = document.createElement("strong");
    t.textContent = title;
    result.appendChild(t);
    if (detail) {
      var d = document.createElement("span");
      d.textContent = detail;
      result.appendChild(d);
    }
    var li = document.createElement("li");
    li.className = ok ? "ok" : "bad";
    li.textContent = new Date().toLocaleTimeString() + " · " + title + (detail ? " · " + detail : "");
    log.insertBefore(li, log.firstChild);
    while (log.children.length > 30) { log.removeChild(log.lastChild); }
    if (navigator.vibrate) { navigator.vibrate(ok ? 80 : [80, 60, 80]); }
  }

  function check(code) {
    code = code.trim();
    if (!code || busy) { return; }
    var now = Date.now();
    if (code === last && now - lastAt < 3000) { return; } // the camera sees one ticket many times
    last = code; lastAt = now; busy = true;
    fetch(form.action, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ code: code })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      var b = res.body || {};
      if (res.ok) {
        show(true, door.dataset.msgOk + ", " + b.name, "");
        if (count && typeof b.checked_in === "number") { count.textContent = b.checked_in; }
      } else {
        var d = b.data || {};
        show(false, b.message || "Error", [d.name, d.at ? new Date(d.at).toLocaleTimeString() : ""].filter(Boolean).join(" · "));
      }
    }).catch(function () {
      show(false, "Network error", "");
    }).then(function () {
      busy = false;
      input.value = "";
      input.focus();
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    check(input.value);
  });

  // the camera: BarcodeDetector where the browser has it, jsQR elsewhere
  var button = door.querySelector("[data-camera]"), box = door.querySelector(".scanner"), video = box.querySelector("video");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  button.hidden = false;
  var canvas = document.createElement("canvas"), ctx = canvas.getContext("2d", { willReadFrequently: true });
  function decoder() {
    if ("BarcodeDetector" in window) {
      var det = new window.BarcodeDetector({ formats: ["qr_code"] });
      return Promise.resolve(function () {
        return det.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : ""; });
      });
    }
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = door.dataset.jsqr;
      s.onload = function () {
        resolve(function () {
          var w = video.videoWidth, h = video.videoHeight;
          if (!w) { return Promise.resolve(""); }
          canvas.width = w; canvas.height = h;
          ctx.drawImage(video, 0, 0, w, h);
          var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
          return Promise.resolve(found ? found.data : "");
        });
      };
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    Promise.all([navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }), decoder()]).then(function (both) {
      video.srcObject = both[0];
      box.hidden = false;
      button.hidden = true;
      return video.play().then(function () {
        var read = both[1];
        (function loop() {
          read().then(function (code) { if (code) { check(code); } }).catch(function () {}).then(function () {
            setTimeout(loop, 150);
          });
        })();
      });
    }).catch(function () {
      button.disabled = false;
      show(false, door.dataset.msgCamera, "");
    });
  });
})();
