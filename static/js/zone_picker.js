// The time-zone picker on Settings (select[data-zone-picker], grouped by region): adds a
// filter field above it, and offers the browser's own zone. Without script the grouped
// select alone works, by keyboard too (type the first letters of a place).
// The words come translated from the select's data-* attributes (fleetadmin/web/time_zones.py).
(function () {
  "use strict";

  function normal(text) { return text.toLowerCase().replace(/_/g, " "); }

  function setUp(select) {
    var filterId = select.id + "-filter";
    var wrapper = document.createElement("div");
    wrapper.className = "zone-filter";
    var label = document.createElement("label");
    label.htmlFor = filterId;
    label.textContent = select.dataset.filterLabel;
    var input = document.createElement("input");
    input.type = "search";
    input.id = filterId;
    input.autocomplete = "off";
    input.setAttribute("aria-controls", select.id);
    var status = document.createElement("p");
    status.className = "hint";
    status.setAttribute("role", "status");
    wrapper.append(label, input, status);
    select.before(wrapper);

    function visibleOptions() {
      return Array.prototype.filter.call(select.options, function (option) { return !option.hidden; });
    }

    input.addEventListener("input", function () {
      var words = normal(input.value.trim()).split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        var any = false;
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
          var text = normal(option.value + " " + option.textContent + " " + group.label);
          var match = words.every(function (word) { return text.indexOf(word) !== -1; });
          option.hidden = !match;
          any = any || match;
        });
        group.hidden = !any;
      });
      var shown = visibleOptions();
      status.textContent = shown.length ? "" : select.dataset.filterEmpty;
      // The one match, or the first: chosen, so Tab then Save keeps what was found.
      if (words.length && shown.length && (shown.length === 1 || (select.selectedOptions[0] || {}).hidden)) {
        select.value = shown[0].value;
      }
    });

    input.addEventListener("keydown", function (event) {
      // Enter or Down: on to the list (Enter would otherwise send the form half done).
      if (event.key === "Enter" || event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });

    offerBrowserZone(select, wrapper, input);
  }

  function offerBrowserZone(select, wrapper, input) {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (error) { return; }
    if (!zone || select.value === zone) return;
    var known = Array.prototype.some.call(select.options, function (option) { return option.value === zone; });
    if (!known) return;
    var hint = document.createElement("p");
    hint.className = "hint zone-browser";
    var name = document.createElement("strong");
    name.textContent = zone;
    var use = document.createElement("button");
    use.type = "button";
    use.className = "link";
    use.textContent = select.dataset.browserUse;
    use.addEventListener("click", function () {
      input.value = "";
      input.dispatchEvent(new Event("input"));
      select.value = zone;
      select.focus();
    });
    hint.append(select.dataset.browserLabel + " ", name, " ", use);
    wrapper.append(hint);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-zone-picker]"), setUp);
  });
})();
