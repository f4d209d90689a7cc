// Canyu "what's new" badge for a brand's own site:
//   <script src="https://club.example.com/releases/widget.js" data-product="phone" async></script>
// It shows a link to the product's releases with the number of releases
// published since this browser last opened them. Options (data-*):
// product (a slug, required), channel (stable), label ("What's new").
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !me.dataset.product) { return; }
  var base = new URL(me.src).origin, product = me.dataset.product, channel = me.dataset.channel || "stable";
  var key = "canyu-seen-" + base + "-" + product + "-" + channel;
  var seen = null;
  try { seen = localStorage.getItem(key); } catch (e) { /* storage off: count everything */ }
  var a = document.createElement("a");
  a.className = "canyu-whats-new";
  a.href = base + "/releases?product=" + encodeURIComponent(product);
  a.textContent = me.dataset.label || "What's new";
  a.style.cssText = "display:inline-flex;align-items:center;gap:6px;font:600 14px/1.4 system-ui,sans-serif;color:#e05a00;text-decoration:none";
  var badge = document.createElement("span");
  badge.style.cssText = "min-width:18px;height:18px;padding:0 5px;border-radius:9px;background:#ff6900;color:#fff;font-size:11px;line-height:18px;text-align:center;display:none";
  a.appendChild(badge);
  a.addEventListener("click", function () {
    try { localStorage.setItem(key, new Date().toISOString()); } catch (e) { /* nothing to remember with */ }
  });
  me.parentNode.insertBefore(a, me.nextSibling);
  var url = base + "/api/releases/whats-new?product=" + encodeURIComponent(product) + "&channel=" + encodeURIComponent(channel);
  if (seen) { url += "&since=" + encodeURIComponent(seen); }
  fetch(url).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
    if (!body || !body.unseen) { return; }
    badge.textContent = body.unseen > 9 ? "9+" : String(body.unseen);
    badge.style.display = "inline-block";
    a.title = body.releases[0].version + " · " + body.releases[0].title;
  }).catch(function () { /* the badge stays a plain link */ });
})();
