// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  // Filters apply as soon as a choice changes; the Filter button remains.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (el) {
    el.addEventListener("change", function () { el.form.requestSubmit(); });
  });
  // One click queues one scan: disable the button while the form posts.
  document.querySelectorAll("form.scan-now").forEach(function (form) {
    form.addEventListener("submit", function () {
      var b = form.querySelector("button");
      if (b) { b.disabled = true; b.textContent = "Queuing…"; }
    });
  });
  // Show each UTC time in the reader's own time zone on hover.
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) { t.title = d.toLocaleString(); }
  });
})();
