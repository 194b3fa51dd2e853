// fleetadmin's small behaviours, for every screen. Everything else is HTML and htmx attributes.
// - "/" focuses the page's search box (the element with aria-keyshortcuts="/").
// - The one dialog (#dialog, templates/includes/dialog.html) opens when it arrives with
//   data-open, focuses its first useful field, and gives focus back to what opened it.
// - A form marked data-confirm-discard asks before Escape or Cancel throws away what was typed.
// - Phones: the header's "Menu" toggle folds the menu open and shut; Escape shuts it and
//   gives focus back to the toggle.
// - Typed confirmations (deleting cars): a form's [data-confirm-submit] button stays disabled
//   until its [data-confirm-expected] field holds that text (blanks around it forgiven). The
//   server checks again; without script the button is simply enabled.
// - Bulk selection (car list): "select all on this page" ticks and unticks every row's box.
// Served from our static files under the nonce CSP: no inline handlers, no eval.
(function () {
  "use strict";

  var DIALOG_ID = "dialog";
  var openerId = null;       // the element that opened the dialog, refocused when it closes
  var snapshot = null;       // the dialog form's values when it opened (to see what changed)

  function dialog() { return document.getElementById(DIALOG_ID); }

  function isTyping(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  // "/" jumps to the search box (as on GitHub, GitLab, MDN), unless one is typing.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    var open = dialog();
    if (open && open.open) return;
    var search = document.querySelector('[aria-keyshortcuts="/"]');
    if (!search) return;
    event.preventDefault();
    search.focus();
    if (search.select) search.select();
  });

  function guardedForm(element) {
    return element && element.querySelector("form[data-confirm-discard]");
  }

  function formState(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") pairs.push(name + "=" + value);
    });
    return pairs.join("&");
  }

  // True when closing may go ahead: nothing typed, or the person agreed to discard it.
  function mayDiscard(element) {
    var form = guardedForm(element);
    if (!form || snapshot === null || formState(form) === snapshot) return true;
    return window.confirm(form.getAttribute("data-confirm-discard"));
  }

  function restoreFocus() {
    var target = openerId && document.getElementById(openerId);
    if (target) target.focus();
    openerId = null;
  }

  // The header's menu toggle (phones): open and shut in place, and say so to screen readers.
  // Without script its link opens the menu through :target instead.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".menu-toggle");
    if (!toggle) return;
    event.preventDefault();
    setMenuOpen(toggle, toggle.getAttribute("aria-expanded") !== "true");
  });

  function setMenuOpen(toggle, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    document.getElementById(toggle.getAttribute("aria-controls")).classList.toggle("open", open);
  }

  // Escape shuts the open menu, as it would a disclosure anywhere, and puts focus on the
  // toggle (focus may be on a link inside the menu, which is about to vanish). An open
  // dialog takes Escape for itself.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) return;  // e.g. a list's own Escape
    var open = dialog();
    if (open && open.open) return;
    var toggle = document.querySelector('.menu-toggle[aria-expanded="true"]');
    if (!toggle) return;
    setMenuOpen(toggle, false);
    toggle.focus();
  });

  // Remember who asked for the dialog's content.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    var source = event.detail.elt;
    if (target && target.id === DIALOG_ID) {
      var open = dialog();
      if (!(open && open.open) && source && source.id) openerId = source.id;
    }
  });

  // Typed confirmations: compared as text (never parsed as HTML), like the server does.
  function syncConfirm(form) {
    if (!form) return;
    var field = form.querySelector("[data-confirm-expected]");
    var buttons = form.querySelectorAll("[data-confirm-submit]");
    if (!field || !buttons.length) return;
    var ready = field.value.trim() === field.getAttribute("data-confirm-expected").trim();
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = !ready;
  }
  function syncConfirmsIn(root) {
    if (!root || !root.querySelectorAll) return;
    var fields = root.querySelectorAll("[data-confirm-expected]");
    for (var i = 0; i < fields.length; i++) syncConfirm(fields[i].form);
  }
  document.addEventListener("input", function (event) {
    if (event.target && event.target.hasAttribute &&
        event.target.hasAttribute("data-confirm-expected")) syncConfirm(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () { syncConfirmsIn(document); });
  document.addEventListener("htmx:load", function (event) { syncConfirmsIn(event.detail.elt); });

  // "Select all on this page": every row's box of the same form follows it; a row's box
  // unticked by hand unticks it again.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || !box.form) return;
    var rows = box.form.querySelectorAll("input[type=checkbox][data-select-row]");
    if (box.hasAttribute("data-select-all")) {
      for (var i = 0; i < rows.length; i++) rows[i].checked = box.checked;
    } else if (box.hasAttribute("data-select-row")) {
      var all = box.form.querySelector("input[type=checkbox][data-select-all]");
      if (all) {
        var every = true;
        for (var j = 0; j < rows.length; j++) every = every && rows[j].checked;
        all.checked = every;
      }
    }
  });

  // New content: open a dialog that arrived with something in it (data-open).
  document.addEventListener("htmx:load", function (event) {
    var element = event.detail.elt;
    if (!element || element.id !== DIALOG_ID) return;
    if (element.hasAttribute("data-open") && !element.open) {
      element.showModal();
      var form = guardedForm(element);
      // A form sent back with errors keeps the values of when it first opened.
      if (snapshot === null || !form) snapshot = form ? formState(form) : null;
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
    var open = dialog();
    if (open && !open.open && !open.hasAttribute("data-open")) {
      snapshot = null;
      if (openerId) restoreFocus();
    }
  });

  // Cancel buttons in the dialog.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-close-dialog]");
    if (!button) return;
    var element = button.closest("dialog");
    if (element && mayDiscard(element)) element.close();
  });

  // Escape fires "cancel" on the dialog; it does not bubble, so listen in the capture phase.
  document.addEventListener("cancel", function (event) {
    if (event.target && event.target.id === DIALOG_ID && !mayDiscard(event.target)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("close", function (event) {
    if (event.target && event.target.id === DIALOG_ID) {
      snapshot = null;
      restoreFocus();
    }
  }, true);
})();
