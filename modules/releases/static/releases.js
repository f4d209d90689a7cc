// Orange Friday: progressive enhancement only; every page works without it.
(function () {
  "use strict";

  // The compose form: find forum needs and link them to a change.
  var search = document.querySelector("[data-topic-search]");
  var rows = document.querySelector(".item-rows");
  if (search && rows) {
    var input = search.querySelector("input"), hits = search.querySelector(".topic-hits");
    var target = rows.querySelector("[data-topics]"), timer = null;
    rows.addEventListener("focusin", function (ev) {
      var row = ev.target.closest("[data-item-row]");
      if (row) { target = row.querySelector("[data-topics]"); }
    });
    search.hidden = false;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2) { hits.textContent = ""; return; }
        fetch("/api/forum/search?kind=request,bug&q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
          .then(function (body) {
            if (input.value.trim() !== q) { return; }
            hits.textContent = "";
            (body.items || []).forEach(function (it) {
              var li = document.createElement("li"), a = document.createElement("a"), b = document.createElement("button");
              a.href = it.url; a.target = "_blank"; a.rel = "noopener";
              a.textContent = it.title + " (+" + it.metoo + ")";
              b.type = "button"; b.className = "btn btn-ghost btn-sm";
              b.textContent = search.dataset.addLabel;
              b.addEventListener("click", function () {
                if (!target) { return; }
                var ids = target.value.split(/[\s,]+/).filter(Boolean);
                if (ids.indexOf(it.id) < 0) { ids.push(it.id); }
                target.value = ids.join(" ");
                target.focus();
              });
              li.appendChild(a); li.appendChild(b); hits.appendChild(li);
            });
          })
          .catch(function () { search.hidden = true; }); // no forum on this site
      }, 250);
    });

    // one more empty row
    var add = document.querySelector("[data-add-row]");
    if (add) {
      add.hidden = false;
      add.addEventListener("click", function () {
        var all = rows.querySelectorAll("[data-item-row]"), last = all[all.length - 1];
        var next = all.length, copy = last.cloneNode(true);
        copy.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
          ["name", "id", "for"].forEach(function (attr) {
            var v = el.getAttribute(attr);
            if (v) { el.setAttribute(attr, v.replace(/^item_\d+_/, "item_" + next + "_")); }
          });
          if (el.matches("input[type=hidden], textarea, input[data-topics], input[type=file]")) { el.value = ""; }
          if (el.matches("input[type=checkbox]")) { el.checked = false; }
        });
        copy.querySelectorAll(".error-text").forEach(function (el) { el.remove(); });
        copy.querySelectorAll(".field-error").forEach(function (el) { el.classList.remove("field-error"); });
        rows.appendChild(copy);
        copy.querySelector("textarea").focus();
      });
    }
  }

  // The share link selects itself.
  document.querySelectorAll(".share-link").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });
})();
