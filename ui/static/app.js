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
