// A conversation's page takes its new messages as they arrive: the live hub
// tells the conversation's latest number (dm:<id>.seq), the page fetches the
// messages after the last it shows.
(function () {
  "use strict";
  var box = document.querySelector(".conversation[data-conversation]");
  if (!box) { return; }
  var id = box.dataset.conversation;
  var list = box.querySelector(".messages");
  var last = parseInt(box.dataset.last, 10) || 0;
  var busy = false;

  function add(m) {
    if (document.getElementById("m" + m.seq)) { return; }
    var li = document.createElement("li");
    li.className = "message" + (m.mine ? " mine" : "");
    li.id = "m" + m.seq;
    var meta = document.createElement("div");
    meta.className = "message-meta";
    var who = document.createElement("strong");
    who.textContent = m.author.name;
    var when = document.createElement("time");
    when.dateTime = m.created;
    when.textContent = new Date(m.created).toLocaleString(document.documentElement.lang || undefined,
      { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    meta.appendChild(who);
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(when);
    var body = document.createElement("div");
    body.className = "message-body prose";
    body.innerHTML = m.html; // rendered and sanitized by the server's markdown renderer
    li.appendChild(meta);
    li.appendChild(body);
    list.appendChild(li);
  }

  function fetchNew() {
    if (busy) { return; }
    busy = true;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/api/messages/" + encodeURIComponent(id) + "?after=" + last);
    xhr.onload = function () {
      busy = false;
      if (xhr.status !== 200) { return; }
      var msgs = JSON.parse(xhr.responseText).messages || [];
      msgs.forEach(function (m) { add(m); last = Math.max(last, m.seq); });
      if (msgs.length) { list.lastElementChild.scrollIntoView({ block: "nearest" }); }
    };
    xhr.onerror = function () { busy = false; };
    xhr.send();
  }

  document.addEventListener("canyu:live", function (ev) {
    var snap = ev.detail;
    if (snap.channel === "dm:" + id && snap.data && snap.data.seq > last) { fetchNew(); }
  });
  if (list.lastElementChild) { list.lastElementChild.scrollIntoView({ block: "nearest" }); }
})();
