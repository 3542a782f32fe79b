// forcebridge console: progressive enhancement only; every page works without it.
(function () {
  "use strict";

  // Times arrive in UTC; show them in the viewer's zone and keep UTC in the tooltip.
  var format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    second: "2-digit", timeZoneName: "short"
  });
  function localTimes(root) {
    root.querySelectorAll("time[datetime]:not([data-local])").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (!isNaN(at)) { el.textContent = format.format(at); el.setAttribute("data-local", ""); }
    });
  }

  // The connection form shows only the fields of the chosen flow and environment.
  function toggleSections(form) {
    var flow = form.querySelector("[name=auth_flow]");
    var env = form.querySelector("[name=environment]");
    form.querySelectorAll("[data-flows]").forEach(function (el) {
      el.hidden = flow && el.getAttribute("data-flows").split(" ").indexOf(flow.value) < 0;
    });
    form.querySelectorAll("[data-environments]").forEach(function (el) {
      el.hidden = env && el.getAttribute("data-environments").split(" ").indexOf(env.value) < 0;
    });
  }
  // The new-integration form shows the fields of the chosen source's kind (push, sql, files).
  function toggleSource(form) {
    var source = form.querySelector("[name=source]");
    var kind = source ? source.value.split(":")[0] : "";
    form.querySelectorAll("[data-source-kinds]").forEach(function (el) {
      el.hidden = el.getAttribute("data-source-kinds").split(" ").indexOf(kind) < 0;
    });
  }
  function forms(root) {
    root.querySelectorAll("form.connection-form").forEach(function (form) {
      toggleSections(form);
      form.addEventListener("change", function () { toggleSections(form); });
    });
    root.querySelectorAll("form.integration-form").forEach(function (form) {
      toggleSource(form);
      form.addEventListener("change", function () { toggleSource(form); });
    });
  }

  // Charts: each canvas carries its Chart.js configuration as JSON in data-chart.
  function charts(root) {
    if (!window.Chart) { return; }
    root.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach(function (canvas) {
      canvas.setAttribute("data-drawn", "");
      new window.Chart(canvas, JSON.parse(canvas.getAttribute("data-chart")));
    });
  }

  function enhance(root) { localTimes(root); forms(root); charts(root); }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (e) { enhance(e.target); });
  window.forcebridgeConsole = { enhance: enhance };
})();
