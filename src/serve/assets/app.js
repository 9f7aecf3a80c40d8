// kaohe serve: a little plain JavaScript. Every form also works without it.
"use strict";
(function () {
  // Drag and drop onto the upload form: the dropped files become the chosen files.
  var drop = document.getElementById("drop");
  var input = document.getElementById("file");
  var chosen = document.getElementById("chosen");
  function show() {
    if (!input || !chosen) return;
    var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
    chosen.textContent = names.length ? "已选择：" + names.join("、") : "";
  }
  if (drop && input) {
    ["dragenter", "dragover"].forEach(function (e) {
      drop.addEventListener(e, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (e) {
      drop.addEventListener(e, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (ev) {
      ev.preventDefault();
      if (ev.dataTransfer && ev.dataTransfer.files.length) { input.files = ev.dataTransfer.files; show(); }
    });
    input.addEventListener("change", show);
  }
  // A run in progress: ask for its progress until it is done, then show the result.
  var progress = document.getElementById("progress");
  if (progress) {
    var stage = document.getElementById("stage"), count = document.getElementById("count"), bar = document.getElementById("bar");
    var poll = function () {
      fetch("/api/run", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
        if (!s.running || s.programme !== progress.dataset.programme) { location.replace(location.pathname + "#run"); location.reload(); return; }
        stage.textContent = s.stage;
        count.textContent = s.of ? s.done + "/" + s.of : "";
        bar.max = Math.max(s.of, 1); bar.value = s.done;
        setTimeout(poll, 500);
      }).catch(function () { setTimeout(poll, 1500); });
    };
    setTimeout(poll, 500);
  }
})();
