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

// Personalization tags: a chip of the "Campos para personalizar" list inserts its tag where
// the author was writing (the visual e-mail editor, or the last text field of the form).
var lastField = null;
document.addEventListener("focusin", function (event) {
  var form = document.getElementById("editor-form");
  var target = event.target;
  if (!form || !form.contains(target) || target.closest(".preview-section")) return;
  if (target.closest(".ProseMirror")) {
    lastField = target.closest(".prose-editor").querySelector("textarea");
  } else if (target.matches("textarea, input[type=text]")) {
    lastField = target;
  }
});
document.addEventListener("click", function (event) {
  var chip = event.target.closest("[data-insert-tag]");
  if (!chip) return;
  var tag = chip.getAttribute("data-insert-tag");
  var field = lastField || document.querySelector("textarea[data-mail-editor]") ||
    document.getElementById("id_body");
  if (!field) return;
  if (field.mailEditor) {
    field.mailEditor.chain().focus().insertContent(tag).run();
    return;
  }
  field.focus();
  field.setRangeText(tag, field.selectionStart, field.selectionEnd, "end");
  field.dispatchEvent(new Event("input", { bubbles: true }));
  field.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
});

// E-mail preview widths: desktop (600 px) or mobile (375 px); the choice survives a new preview.
var mailWidth = "600";
function showMailWidth(root) {
  root.querySelectorAll("iframe.mail").forEach(function (frame) {
    frame.classList.toggle("mail-mobile", mailWidth === "375");
  });
  root.querySelectorAll("[data-mail-width]").forEach(function (button) {
    button.setAttribute("aria-pressed", String(button.getAttribute("data-mail-width") === mailWidth));
  });
}
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-mail-width]");
  if (!button) return;
  mailWidth = button.getAttribute("data-mail-width");
  showMailWidth(document);
});
document.addEventListener("htmx:afterSettle", function () { showMailWidth(document); });
