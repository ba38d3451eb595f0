/* Bars sized by data: every element with data-width="<percent>" (progress bars, the segments
   of a sweep's status bar) gets that width through the CSSOM. The CSP allows no style
   attributes, but element.style is not one. A MutationObserver also sizes bars that htmx
   swaps in, before they are painted. */
(function () {
  "use strict";

  function size(element) {
    var value = parseFloat(element.getAttribute("data-width"));
    if (isFinite(value)) {
      element.style.width = Math.min(100, Math.max(0, value)) + "%";
    }
  }

  function sizeAll(node) {
    if (node.nodeType !== Node.ELEMENT_NODE) {
      return;
    }
    if (node.hasAttribute("data-width")) {
      size(node);
    }
    node.querySelectorAll("[data-width]").forEach(size);
  }

  new MutationObserver(function (records) {
    records.forEach(function (record) {
      if (record.type === "attributes") {
        size(record.target);
      } else {
        record.addedNodes.forEach(sizeAll);
      }
    });
  }).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["data-width"],
  });
  sizeAll(document.documentElement);
})();
