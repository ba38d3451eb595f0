// The visual e-mail editor: django-prose-editor's ProseMirror/Tiptap build, served by Brief,
// on every textarea[data-mail-editor]. The textarea stays the form field: the editor writes
// its HTML back on each change. Tiptap's injected <style> is off (the CSP forbids it; the
// package's editor.css is linked instead). The textarea keeps a reference to its editor
// (area.mailEditor) so editor.js can insert a personalization tag at the cursor.
import {
  Blockquote, Bold, BulletList, Document, Dropcursor, Editor, Gapcursor, HardBreak, Heading,
  History, HorizontalRule, Italic, Link, ListItem, Menu, OrderedList, Paragraph, Strike, Text,
  Underline,
} from "../django_prose_editor/editor.js";

// Titles of the toolbar buttons (the package writes them in English).
var TITLES = {
  "bold": "Negrita",
  "italic": "Cursiva",
  "underline": "Subrayado",
  "strike": "Tachado",
  "unordered list": "Lista con viñetas",
  "ordered list": "Lista numerada",
  "blockquote": "Cita",
  "horizontal rule": "Línea divisoria",
  "insert link": "Insertar enlace",
  "remove link": "Quitar enlace",
  "paragraph": "Párrafo",
  "undo": "Deshacer",
  "redo": "Rehacer",
};

function translateMenu(wrapper) {
  wrapper.querySelectorAll("button[title]").forEach(function (button) {
    var spanish = TITLES[button.title];
    if (spanish) {
      button.title = spanish;
      button.setAttribute("aria-label", spanish);
    }
  });
}

function create(area) {
  var disabled = area.hasAttribute("disabled");
  var label = document.querySelector("label[for='" + area.id + "']");
  var wrapper = document.createElement("div");
  wrapper.className = "prose-editor" + (disabled ? " disabled" : "");
  area.before(wrapper);
  wrapper.append(area);
  var editor = new Editor({
    element: wrapper,
    editable: !disabled,
    injectCSS: false,
    content: area.value,
    extensions: [
      Document, Paragraph, Text, HardBreak, Dropcursor, Gapcursor, History, Menu,
      Heading.configure({ levels: [1, 2, 3] }), Bold, Italic, Underline, Strike,
      BulletList, OrderedList, ListItem, Blockquote, HorizontalRule,
      Link.configure({ openOnClick: false }),
    ],
    editorProps: {
      attributes: {
        "role": "textbox",
        "aria-multiline": "true",
        "aria-label": label ? label.textContent.trim() : "Cuerpo del correo",
        "class": "mail-editor",
      },
    },
    onUpdate: function (props) {
      var html = props.editor.getHTML();
      area.value = /^<(\w+)(\s[^>]*)?><\/\1>$/i.test(html) ? "" : html;
      area.dispatchEvent(new Event("input", { bubbles: true }));
    },
  });
  if (label) {
    // the label now names the editable area: a click on it puts the cursor there
    label.addEventListener("click", function (event) {
      event.preventDefault();
      editor.commands.focus("end");
    });
  }
  // the toolbar is built after the editor: translate its buttons as they appear
  new MutationObserver(function () { translateMenu(wrapper); })
    .observe(wrapper, { childList: true, subtree: true });
  translateMenu(wrapper);
  area.mailEditor = editor;
  wrapper.dataset.ready = "true";
  return editor;
}

document.querySelectorAll("textarea[data-mail-editor]").forEach(create);
