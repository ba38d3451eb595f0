// The SLA countdown of the brief header: the server renders the due time, the risk and the
// time left; this refreshes the time left and the colour every 30 s, with the same rule as
// sla.risk() (overdue once due; at risk within data-at-risk seconds). No inline script: CSP.
(function () {
  "use strict";
  var box = document.getElementById("ans-vence");
  if (!box || box.dataset.paused) return;
  var due = Date.parse(box.dataset.due);
  var within = Number(box.dataset.atRisk) * 1000;
  var left = box.querySelector(".left");
  var css = { overdue: "late", at_risk: "warn", ok: "ok" };
  var words = { overdue: "vencido", at_risk: "en riesgo", ok: "a tiempo" };

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    if (days) return days + " d " + hours + " h";
    if (hours) return hours + " h " + (minutes % 60) + " min";
    return (minutes % 60) + " min";
  }
  function tick() {
    var ms = due - Date.now();
    var risk = ms <= 0 ? "overdue" : ms <= within ? "at_risk" : "ok";
    box.classList.remove("ok", "warn", "late");
    box.classList.add(css[risk]);
    box.dataset.risk = risk;
    left.textContent = ms <= 0
      ? words[risk] + " hace " + span(ms)
      : "quedan " + span(ms) + " · " + words[risk];
  }
  tick();
  window.setInterval(tick, 30000);
})();
