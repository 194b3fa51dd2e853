// The cars screens' small behaviours: "/" focuses the search, the action dialog opens and
// closes, and focus goes back to what opened it. Everything else is HTML and htmx attributes
// (htmx itself keeps focus on a swapped control that has an id, e.g. sort and page links).
// Served from our static files under the nonce CSP: no inline handlers, no eval.
(function () {
  "use strict";

  var DIALOG_ID = "car-dialog";
  var openerId = null;        // the element that opened the dialog, refocused when it closes

  function isTyping(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  // "/" jumps to the search box (as on GitHub, GitLab, MDN), unless one is typing.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    var dialog = document.getElementById(DIALOG_ID);
    if (dialog && dialog.open) return;
    var search = document.getElementById("car-search-q");
    if (!search) return;
    event.preventDefault();
    search.focus();
    search.select();
  });

  function restoreFocus() {
    var target = openerId && document.getElementById(openerId);
    if (target) target.focus();
    openerId = null;
  }

  // Remember who asked for the dialog's content.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    var source = event.detail.elt;
    if (target && target.id === DIALOG_ID) {
      var dialog = document.getElementById(DIALOG_ID);
      if (!(dialog && dialog.open) && source && source.id) openerId = source.id;
    }
  });

  // New content: open a dialog that arrived with something in it (data-open).
  document.addEventListener("htmx:load", function (event) {
    var element = event.detail.elt;
    if (!element || element.id !== DIALOG_ID) return;
    if (element.hasAttribute("data-open") && !element.open) {
      element.showModal();
      // Focus the first field with an error, else what the template marked autofocus,
      // else the first field.
      var first = element.querySelector("[aria-invalid=true]") ||
        element.querySelector("[autofocus]") ||
        element.querySelector("input:not([type=hidden]), textarea, select, button");
      if (first) first.focus();
    }
  });

  // The action is done: an empty, closed dialog replaced the open one.
  document.addEventListener("htmx:afterSettle", function () {
    var dialog = document.getElementById(DIALOG_ID);
    if (dialog && !dialog.open && !dialog.hasAttribute("data-open") && openerId) {
      restoreFocus();
    }
  });

  // Cancel buttons in the dialog; Escape is the dialog's own (the "cancel" event).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-close-dialog]");
    if (!button) return;
    var dialog = button.closest("dialog");
    if (dialog) dialog.close();
  });

  // "close" does not bubble: listen in the capture phase.
  document.addEventListener("close", function (event) {
    if (event.target && event.target.id === DIALOG_ID) restoreFocus();
  }, true);
})();
