/* Tables wider than the screen scroll inside their ".table-wrap" (the page itself never
   scrolls sideways). A wrapper that scrolls must be reachable by keyboard (WCAG 2.1.1), so
   while it overflows it becomes focusable, a region named after its table's caption when the
   caption adds a name; when it fits again it goes back to a plain box. Wrappers that htmx
   swaps in and screens that change size are handled too. */
(function () {
  "use strict";

  function text(element) {
    return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function label(wrap) {
    // The caption names the region, unless the section around it has that name already
    // (two landmarks of one name tell a screen reader's user nothing).
    var section = wrap.parentElement.closest("[aria-labelledby]");
    var sectionName = section ? text(document.getElementById(section.getAttribute("aria-labelledby"))) : "";
    var name = text(wrap.querySelector("caption"));
    return name === sectionName ? "" : name;
  }

  function mark(wrap) {
    var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    if (scrolls && !wrap.hasAttribute("tabindex")) {
      var name = label(wrap);
      wrap.setAttribute("tabindex", "0");
      if (name) {
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", name);
      }
      wrap.setAttribute("data-scrolls", "");
    } else if (!scrolls && wrap.hasAttribute("data-scrolls")) {
      ["tabindex", "role", "aria-label", "data-scrolls"].forEach(function (attribute) {
        wrap.removeAttribute(attribute);
      });
    }
  }

  var resized = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      mark(entry.target);
    });
  });

  function watch(node) {
    if (node.nodeType !== Node.ELEMENT_NODE) {
      return;
    }
    var wraps = Array.prototype.slice.call(node.querySelectorAll(".table-wrap"));
    var around = node.closest(".table-wrap");  // rows swapped into a table
    if (around) {
      wraps.push(around);
    }
    wraps.forEach(function (wrap) {
      resized.observe(wrap);
      mark(wrap);
    });
  }

  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(watch);
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
  watch(document.documentElement);
})();
