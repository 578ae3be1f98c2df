// The desk's editor, made quicker: toolbar shortcuts for the article
// blocks, a live preview rendered by the server, and autosave. Everything
// here is optional; the form works without it.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;
  var body = document.getElementById("body_markdown");
  var preview = document.getElementById("preview");
  var status = form.querySelector(".autosave-status");
  var toolbar = form.querySelector(".toolbar");

  var snippets = {
    subhead: "\n## Subhead\n\n",
    figure: "\n```figure\nsrc: media:KEY\nalt: What the picture shows\ncaption: \ncredit: Photo: \n```\n\n",
    pullquote: "\n```pullquote\nA sentence from the text, repeated large.\n-- Who said it\n```\n\n",
    embed: "\n```embed\nhttps://\nOptional caption\n```\n\n"
  };
  var keys = { "2": "subhead", "f": "figure", "q": "pullquote", "e": "embed" };

  function insert(name) {
    var text = snippets[name];
    if (!text) return;
    var start = body.selectionStart, end = body.selectionEnd;
    body.setRangeText(text, start, end, "end");
    body.focus();
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  if (toolbar) {
    toolbar.hidden = false;
    toolbar.addEventListener("click", function (e) {
      var b = e.target.closest("[data-insert]");
      if (b) { e.preventDefault(); insert(b.getAttribute("data-insert")); }
    });
  }
  body.addEventListener("keydown", function (e) {
    if (e.ctrlKey && e.altKey && keys[e.key.toLowerCase()]) {
      e.preventDefault();
      insert(keys[e.key.toLowerCase()]);
    }
  });

  function encoded() {
    return new URLSearchParams(new FormData(form));
  }

  var previewTimer = null;
  function refreshPreview() {
    if (!preview) return;
    fetch(preview.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: encoded()
    }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) preview.innerHTML = html; })
      .catch(function () {});
  }
  body.addEventListener("input", function () {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 600);
  });

  var autosaveUrl = form.getAttribute("data-autosave");
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  function autosave() {
    if (!autosaveUrl || !dirty) return;
    dirty = false;
    fetch(autosaveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
      body: encoded()
    }).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (j) {
        if (status) {
          var t = new Date(j.saved_at);
          status.textContent = "Autosaved at " + t.toLocaleTimeString() + (j.stale ? " — someone else has saved since you opened this" : "");
        }
      })
      .catch(function () { dirty = true; if (status) status.textContent = "Autosave failed; your text is still here."; });
  }
  if (autosaveUrl) setInterval(autosave, 20000);
})();
