// flow168: a little progressive enhancement; every page works without it.
(function () {
  "use strict";
  // "Back" links (no inline script: the Content-Security-Policy forbids it).
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    a.addEventListener("click", function (ev) { if (history.length > 1) { ev.preventDefault(); history.back(); } });
  });
  // Registration: the service categories are for providers only.
  var reg = document.getElementById("register-form");
  if (reg) {
    var box = document.getElementById("categories-box");
    var ent = document.getElementById("enterprise-box");
    var sync = function () {
      var kind = reg.querySelector("input[name=kind]:checked");
      if (kind && kind.value === "provider") { box.removeAttribute("data-hidden"); } else { box.setAttribute("data-hidden", ""); }
      if (ent) {
        if (kind && kind.value === "enterprise") { ent.removeAttribute("data-hidden"); } else { ent.setAttribute("data-hidden", ""); }
      }
    };
    reg.addEventListener("change", sync);
    sync();
  }
  // Tables of items (service items): add a row.
  document.querySelectorAll("[data-add-row]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var table = document.querySelector('table[data-items="' + btn.getAttribute("data-add-row") + '"] tbody');
      var last = table.rows[table.rows.length - 1];
      var n = table.rows.length;
      var row = last.cloneNode(true);
      row.querySelectorAll("input, select, textarea").forEach(function (el) {
        el.name = el.name.replace(/\.(\d+)\.([^.]+)$/, "." + n + ".$2");
        el.value = "";
      });
      row.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
      row.cells[0].textContent = String(n + 1);
      table.appendChild(row);
    });
  });
  // Decisions that need a reason; dangerous admin actions.
  var complete = document.getElementById("complete-form");
  if (complete) {
    complete.addEventListener("submit", function (ev) {
      var btn = ev.submitter;
      var comment = complete.querySelector("textarea[name=comment]");
      if (btn && btn.getAttribute("data-needs-reason") === "1" && comment && !comment.value.trim()) {
        ev.preventDefault();
        comment.focus();
        comment.setAttribute("placeholder", "请填写理由：「" + btn.textContent.trim() + "」必须说明理由");
        comment.classList.add("need");
      }
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
}());
