// Canyu sales: the countdown (on the server's clock), the reservation with
// its proof-of-work puzzle, and the purchase with an idempotency key that
// survives retries. Without JavaScript the buy form still works.
(function () {
  "use strict";
  var root = document.querySelector("[data-sale]");
  if (!root) { return; }
  var sale = root.dataset.sale;
  // how far this device's clock is from the server's
  var skew = Date.parse(root.dataset.now) - Date.now();
  function serverNow() { return Date.now() + skew; }
  var result = root.querySelector(".sale-result");

  function show(text, ok) {
    result.hidden = false;
    result.className = "sale-result alert " + (ok ? "alert-ok" : "alert-error");
    result.textContent = text;
  }

  // countdown to the opening; at zero the buy button opens
  var cd = root.querySelector("[data-countdown]");
  var buyButton = root.querySelector("[data-buy] button[type=submit]");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Date.parse(cd ? cd.dataset.countdown : (buyButton && buyButton.dataset.opens) || 0) - serverNow();
    if (cd) {
      var s = Math.max(0, Math.floor(left / 1000));
      var d = Math.floor(s / 86400);
      cd.querySelector("[data-countdown-text]").textContent =
        (d > 0 ? d + "d " : "") + pad(Math.floor(s % 86400 / 3600)) + ":" + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
    }
    if (left <= 0) {
      if (buyButton) { buyButton.disabled = false; }
      if (cd) {
        cd.classList.add("countdown-done");
        var state = root.querySelector(".sale-state");
        if (state && state.dataset.openLabel) {
          state.textContent = state.dataset.openLabel;
          state.className = "sale-state sale-state-open";
        }
      }
      return;
    }
    setTimeout(tick, Math.min(250, left));
  }
  tick();

  function request(method, url, body, headers, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("Content-Type", "application/json");
    Object.keys(headers || {}).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
    xhr.onload = function () {
      var data = {};
      try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      done(xhr.status, data);
    };
    xhr.onerror = function () { done(0, {}); };
    xhr.send(body ? JSON.stringify(body) : null);
  }

  // proof of work: find a nonce so SHA-256(challenge ":" nonce) starts
  // with `bits` zero bits; batches keep the page responsive
  function zeroBits(buf) {
    var b = new Uint8Array(buf), n = 0;
    for (var i = 0; i < b.length; i++) {
      if (b[i] === 0) { n += 8; continue; }
      for (var m = 0x80; m && !(b[i] & m); m >>= 1) { n++; }
      return n;
    }
    return n;
  }
  function solve(challenge, bits, done) {
    var enc = new TextEncoder(), nonce = 0;
    function batch() {
      var tries = [];
      for (var i = 0; i < 256; i++, nonce++) {
        tries.push((function (n) {
          return crypto.subtle.digest("SHA-256", enc.encode(challenge + ":" + n)).then(function (h) { return zeroBits(h) >= bits ? n : -1; });
        })(nonce));
      }
      Promise.all(tries).then(function (found) {
        for (var j = 0; j < found.length; j++) { if (found[j] >= 0) { done(String(found[j])); return; } }
        setTimeout(batch, 0);
      });
    }
    batch();
  }

  var reserveForm = root.querySelector("[data-reserve]");
  if (reserveForm) {
    reserveForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var button = reserveForm.querySelector("button");
      var status = reserveForm.querySelector("[data-reserve-status]");
      var picked = reserveForm.querySelector("input[name=answer]:checked");
      button.disabled = true;
      status.textContent = root.dataset.msgSolving;
      request("GET", "/api/sales/" + sale + "/challenge", null, {}, function (code, c) {
        if (code !== 200) { show(c.message || root.dataset.msgNetwork, false); button.disabled = false; return; }
        solve(c.challenge, c.bits, function (nonce) {
          status.textContent = root.dataset.msgSending;
          request("POST", "/api/sales/" + sale + "/reservations",
            { challenge: c.challenge, nonce: nonce, answer: picked ? picked.value : "" }, {}, function (code2, r) {
              if (code2 === 200 || code2 === 201) {
                show(root.dataset.msgReserved.replace("%d", r.number), true);
                setTimeout(function () { location.reload(); }, 1200);
              } else {
                show(r.message || root.dataset.msgNetwork, false);
                button.disabled = false;
              }
            });
        });
      });
    });
  }

  var buyForm = root.querySelector("[data-buy]");
  if (buyForm) {
    buyForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var key = buyForm.querySelector("input[name=key]").value;
      var q = buyForm.querySelector("input[name=quantity]");
      var body = { quantity: q ? parseInt(q.value, 10) || 1 : 1 };
      buyButton.disabled = true;
      var attempt = 0;
      (function send() {
        // the same key on every retry: a purchase that landed is returned, never repeated
        request("POST", "/api/sales/" + sale + "/orders", body, { "Idempotency-Key": key }, function (code, r) {
          if (code === 0 && attempt++ < 5) {
            show(root.dataset.msgNetwork, false);
            setTimeout(send, 300 * attempt + Math.random() * 300);
            return;
          }
          if (code === 201) {
            show(root.dataset.msgOrder, true);
            setTimeout(function () { location.href = "/sales/" + sale; }, 800); // the page opens with the flash
            return;
          }
          show(r.message || root.dataset.msgNetwork, false);
          // a new attempt is a new request
          buyForm.querySelector("input[name=key]").value = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
          buyButton.disabled = code === 409 && r.data && r.data.code === "sold_out";
        });
      })();
    });
  }
})();
