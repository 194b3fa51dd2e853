// The depots of a "not back at its depot" rule, drawn on a map (templates/alerts/depot_map.html).
// - The form's depot lines ("name, latitude, longitude, radius", one a line) are the source
//   of truth: they are what is posted, and typing them works without this script. The map
//   draws each valid line as a circle and redraws whenever the lines change.
// - A click on the map places the chosen depot's centre (or adds a new depot line); the
//   radius box sets its radius. Both rewrite that depot's line, nothing else.
// - Map options come from the server (folium, fleetadmin/web/map_config.py) via json_script;
//   a depot's name is shown as text (a DOM node), never as HTML. No inline handlers, no eval: strict CSP.
(function () {
  "use strict";

  var DECIMALS = 5;  // as every screen writes a position (fleetadmin/web/coordinates.py)
  var DEFAULT_RADIUS = 250;

  // As maps.js's baseMap: the tile layer and options the server built with folium.
  function baseMap(element, config) {
    var tiles = config.tiles.options;
    var options = Object.assign({}, config.map, { maxZoom: tiles.maxZoom || 19 });
    var map = L.map(element, options).setView(config.center, config.map.zoom || 12);
    L.tileLayer(config.tiles.url, tiles).addTo(map);
    L.control.scale(config.scale || {}).addTo(map);
    return map;
  }

  // One line as alerts.forms.RuleForm.clean_depots_text reads it (the last three commas
  // split it); null when it is not a valid depot.
  function parseLine(line) {
    var parts = line.split(",");
    if (parts.length < 4) return null;
    var numbers = parts.slice(-3).map(function (part) { return Number(part.trim()); });
    var name = parts.slice(0, -3).join(",").trim();
    var lat = numbers[0], lon = numbers[1], radius = numbers[2];
    if (!name || parts.slice(-3).some(function (part) { return !part.trim(); })) return null;
    if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && radius > 0 && radius <= 100000)) {
      return null;
    }
    return { name: name, lat: lat, lon: lon, radius: radius };
  }

  // Leaflet puts a string tooltip in as HTML: a name typed by a user goes in as a text node.
  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function writeLine(depot) {
    return depot.name + ", " + depot.lat.toFixed(DECIMALS) + ", " + depot.lon.toFixed(DECIMALS) +
      ", " + Math.round(depot.radius);
  }

  function init(element) {
    var data = element.dataset.config ? JSON.parse(element.dataset.config) : null;
    var field = document.getElementById(element.dataset.field);
    var editor = document.getElementById("depot-editor");
    if (!data || !field || !editor) return;
    editor.hidden = false;
    var map = baseMap(element, data.config);
    var layer = L.layerGroup().addTo(map);
    var choice = document.getElementById("depot-choice");
    var radius = document.getElementById("depot-radius");
    var readOnly = element.dataset.readOnly === "true" || !choice;
    var chosen = "new";  // the line number of the chosen depot, or "new"

    function lines() { return field.value.split("\n"); }

    function depots() {
      var found = [];
      lines().forEach(function (line, index) {
        var depot = parseLine(line);
        if (depot) { depot.line = index; found.push(depot); }
      });
      return found;
    }

    function chosenDepot(list) {
      for (var i = 0; i < list.length; i++) if (String(list[i].line) === chosen) return list[i];
      return null;
    }

    function setLine(index, text) {
      var all = lines();
      if (index === null) {
        // A new last line (after the last non-empty one).
        while (all.length && !all[all.length - 1].trim()) all.pop();
        all.push(text);
        index = all.length - 1;
      } else {
        all[index] = text;
      }
      field.value = all.join("\n");
      return index;
    }

    function draw(fit) {
      var list = depots();
      if (!chosenDepot(list)) chosen = "new";
      layer.clearLayers();
      list.forEach(function (depot) {
        var isChosen = String(depot.line) === chosen;
        var circle = L.circle([depot.lat, depot.lon], {
          radius: depot.radius, weight: 2, fillOpacity: 0.15,
          className: "depot-circle" + (isChosen ? " depot-chosen" : ""),
        }).bindTooltip(textNode(depot.name));
        circle.on("click", function (event) {
          if (readOnly) return;
          L.DomEvent.stopPropagation(event);
          chosen = String(depot.line);
          draw(false);
        });
        circle.addTo(layer);
      });
      element.setAttribute("data-circles", String(list.length));
      if (!readOnly) {
        var options = [["new", choice.options[0].textContent]].concat(list.map(function (depot) {
          return [String(depot.line), depot.name];
        }));
        while (choice.options.length > 1) choice.remove(1);
        options.slice(1).forEach(function (pair) {
          var option = document.createElement("option");
          option.value = pair[0];
          option.textContent = pair[1];
          choice.appendChild(option);
        });
        choice.value = chosen;
        var depot = chosenDepot(list);
        if (depot && document.activeElement !== radius) radius.value = String(Math.round(depot.radius));
      }
      if (fit && list.length) {
        map.fitBounds(L.featureGroup(layer.getLayers()).getBounds(), { padding: [20, 20], maxZoom: 16 });
      }
    }

    function place(latlng) {
      var list = depots();
      var depot = chosenDepot(list);
      var size = Number(radius.value);
      if (!(size > 0 && size <= 100000)) size = DEFAULT_RADIUS;
      if (depot) {
        depot.lat = latlng.lat;
        depot.lon = latlng.lng;
        setLine(depot.line, writeLine(depot));
      } else {
        var name = data.labels.new_name.replace("%(number)s", String(list.length + 1));
        chosen = String(setLine(null, writeLine({ name: name, lat: latlng.lat, lon: latlng.lng,
                                                   radius: size })));
      }
      draw(false);
    }

    field.addEventListener("input", function () { draw(false); });
    if (!readOnly) {
      map.on("click", function (event) { place(event.latlng); });
      choice.addEventListener("change", function () { chosen = choice.value; draw(false); });
      radius.addEventListener("input", function () {
        var depot = chosenDepot(depots());
        var size = Number(radius.value);
        if (!depot || !(size > 0 && size <= 100000)) return;
        depot.radius = size;
        setLine(depot.line, writeLine(depot));
        draw(false);
      });
    }
    draw(true);
    element.setAttribute("data-map-ready", "true");
  }

  function start() {
    if (typeof L === "undefined") return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-depot-map]"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
