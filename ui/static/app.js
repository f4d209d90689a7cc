// Canyu web UI: progressive enhancement only. Every page works without it.
(function () {
  "use strict";

  // Fade the one-time flash message after a while.
  var flash = document.querySelector(".flash");
  if (flash) {
    setTimeout(function () { flash.style.transition = "opacity .4s"; flash.style.opacity = "0"; }, 6000);
    setTimeout(function () { flash.remove(); }, 6500);
  }

  // Buttons of a form that is being sent are disabled, so a double click
  // does not post twice.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.dataset.sending) { ev.preventDefault(); return; }
    form.dataset.sending = "1";
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) {
      b.setAttribute("aria-busy", "true");
    });
  });

  // A "send code" countdown on the phone page: data-cooldown="seconds".
  Array.prototype.forEach.call(document.querySelectorAll("[data-cooldown]"), function (btn) {
    var left = parseInt(btn.dataset.cooldown, 10);
    if (!(left > 0)) { return; }
    var label = btn.textContent;
    btn.disabled = true;
    var timer = setInterval(function () {
      left -= 1;
      if (left <= 0) { clearInterval(timer); btn.disabled = false; btn.textContent = label; return; }
      btn.textContent = label + " (" + left + ")";
    }, 1000);
  });
})();

// "Already asked?" suggestions while typing: an input with
// data-similar="/api/..." fills the element data-similar-target with links.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("input[data-similar]"), function (input) {
    var box = document.getElementById(input.dataset.similarTarget);
    if (!box) { return; }
    var timer = null, last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q === last) { return; }
        last = q;
        if (q.length < 3) { box.textContent = ""; return; }
        var xhr = new XMLHttpRequest();
        xhr.open("GET", input.dataset.similar + "?q=" + encodeURIComponent(q));
        xhr.onload = function () {
          if (xhr.status !== 200 || input.value.trim() !== q) { return; }
          var items = JSON.parse(xhr.responseText).items || [];
          box.textContent = "";
          if (!items.length) { return; }
          var head = document.createElement("p");
          head.className = "similar-head";
          head.textContent = box.dataset.label;
          var ul = document.createElement("ul");
          items.forEach(function (it) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = it.url;
            a.textContent = it.title;
            var n = document.createElement("span");
            n.className = "muted";
            n.textContent = " +" + it.metoo;
            li.appendChild(a);
            li.appendChild(n);
            ul.appendChild(li);
          });
          box.appendChild(head);
          box.appendChild(ul);
        };
        xhr.send();
      }, 250);
    });
  });
})();

// The member's own replies show their author-only tools (.own-only).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-me]"), function (box) {
    Array.prototype.forEach.call(box.querySelectorAll(".post"), function (post) {
      var tools = post.querySelector("[data-author]");
      if (tools && tools.dataset.author === box.dataset.me) { post.classList.add("mine"); }
    });
  });
})();
