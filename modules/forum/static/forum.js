// The forum: progressive enhancement only; every page works without it.

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
