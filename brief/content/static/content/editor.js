// Content editor: the "Transliterar" button replaces the SMS text with its GSM-7 version
// (computed by the server, shown in the counter) and lets htmx refresh the counter.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-transliterate]");
  if (!button) return;
  var area = document.getElementById("id_body");
  if (!area) return;
  area.value = button.getAttribute("data-text");
  area.dispatchEvent(new Event("input", { bubbles: true }));
  area.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
  area.focus();
});
