// Spanish texts of the visual e-mail editor's dialogs (django-prose-editor reads
// window.gettext when its module loads; Django's own JavaScript catalog wins if present).
(function () {
  var es = {
    "URL": "Dirección (URL)",
    "Title": "Título",
    "Open in new window": "Abrir en una ventana nueva",
    "Edit Link": "Editar enlace",
    "Cancel": "Cancelar",
    "Insert": "Insertar",
    "Update": "Actualizar",
    "Start at": "Empezar en",
    "List type": "Tipo de lista",
    "List properties": "Propiedades de la lista",
    "Bullets": "Viñetas",
    "Decimal numbers": "Números",
    "Lowercase letters": "Letras minúsculas",
    "Uppercase letters": "Letras mayúsculas",
    "Lowercase Roman numerals": "Números romanos en minúscula",
    "Uppercase Roman numerals": "Números romanos en mayúscula",
    "Toggle fullscreen": "Pantalla completa",
  };
  if (!window.gettext) {
    window.gettext = function (text) { return es[text] || text; };
  }
})();
