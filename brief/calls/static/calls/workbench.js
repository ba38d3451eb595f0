// The call workbench's keyboard: search the typification and pick it with Enter, number keys
// on the list, Ctrl+Enter (or Cmd+Enter) saves from anywhere in the form.
(function () {
  "use strict";
  var form = document.getElementById("gestion");
  if (!form) return;
  var search = document.getElementById("tip-buscar");
  var items = Array.prototype.slice.call(form.querySelectorAll("#tipificaciones li[data-n]"));
  var observations = form.querySelector("textarea[name=observations]");

  function visible() {
    return items.filter(function (li) { return !li.hidden; });
  }
  function pick(li) {
    if (!li) return false;
    var radio = li.querySelector("input[type=radio]");
    radio.checked = true;
    return true;
  }
  function filter() {
    var q = search.value.trim().toLowerCase();
    items.forEach(function (li) {
      li.hidden = q !== "" && (/^\d+$/.test(q) ? li.dataset.n !== q : li.dataset.text.indexOf(q) < 0);
    });
    form.querySelectorAll("#tipificaciones fieldset[data-group]").forEach(function (fs) {
      fs.hidden = !fs.querySelector("li:not([hidden])");
    });
  }
  if (search) {
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        if (pick(visible()[0]) && observations) observations.focus();
      }
    });
  }
  var typed = "";
  var timer = null;
  form.querySelector("#tipificaciones").addEventListener("keydown", function (event) {
    if (!/^\d$/.test(event.key)) return;
    event.preventDefault();
    typed += event.key;
    clearTimeout(timer);
    timer = setTimeout(function () { typed = ""; }, 700);
    var li = items.filter(function (i) { return i.dataset.n === typed; })[0];
    if (pick(li)) li.querySelector("input").focus();
  });
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
  var chosen = form.querySelector("#tipificaciones input:checked");
  if (chosen && form.querySelector(".errorlist")) {
    var bad = form.querySelector(".field .errorlist");
    var target = bad && bad.parentElement.querySelector("input, textarea, select");
    if (target) target.focus();
  }
})();
