// fleetadmin's maps: draws what the server ships as JSON, with the vendored Leaflet.
// - [data-map="car"]: one position; [data-map="route"]: a route with stops and a replay;
//   [data-map="fleet"]: the fleet, clustered, and its list; htmx loads the batches.
// - Data comes from <script type="application/json"> (json_script) or JSON answers; every
//   popup and list entry is built with textContent, so a car named `${...}`, "</script>" or
//   "<img onerror>" is shown as text, never run. No inline handlers, no eval: strict CSP.
// - Maps in regions htmx swaps in (the car page's panel) start on htmx:load.
(function () {
  "use strict";

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  // One formatter for the page: toLocaleString builds a new one on every call, which the
  // fleet list's count (said again after every batch) paid each time.
  var numberFormat = null;
  function number(value) {
    if (!numberFormat) {
      numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined);
    }
    return numberFormat.format(Number(value));
  }

  // A position as every screen writes it (fleetadmin/web/coordinates.py): "48.13710, 11.57500",
  // a decimal point in every language (people paste it into other tools), never localized.
  var COORDINATE_DECIMALS = 5;
  function coordinates(lat, lon) {
    return Number(lat).toFixed(COORDINATE_DECIMALS) + ", " + Number(lon).toFixed(COORDINATE_DECIMALS);
  }

  // A map with the tile layer the server configured (options built by folium). Markers and
  // paths are vector layers or our own icons: they show even when no tile can load.
  // Whoever asks their system for less motion gets maps that jump to a view instead of
  // gliding, and clusters that split without flying apart.
  var STILL = Boolean(window.matchMedia
    && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  var NO_ANIMATION = { zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false };

  function baseMap(element, config) {
    var tiles = config.tiles.options;
    var options = Object.assign({}, config.map, { maxZoom: tiles.maxZoom || 19 },
      STILL ? NO_ANIMATION : {});
    var map = L.map(element, options).setView(config.center, config.map.zoom || 12);
    var layer = L.tileLayer(config.tiles.url, tiles).addTo(map);
    // Metric only where the server says so (German users); miles too for English.
    L.control.scale(config.scale || {}).addTo(map);
    // No tiles (a proxy, no internet): the page's own notice, if it has one, says so once;
    // the markers are ours and show all the same.
    var notice = document.getElementById(element.id + "-tiles-failed");
    if (notice) {
      layer.once("tileerror", function () {
        notice.hidden = false;
        element.setAttribute("data-tiles-failed", "true");
      });
    }
    element.leafletMap = map;
    element.setAttribute("data-map-ready", "true");
    return map;
  }

  // A popup's content: one line per entry, optionally a link; text only.
  function popupContent(lines, link) {
    var box = document.createElement("div");
    box.className = "map-popup";
    lines.forEach(function (line, index) {
      if (!line) return;
      var p = document.createElement(index === 0 ? "strong" : "p");
      p.textContent = line;
      box.appendChild(p);
    });
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      box.appendChild(a);
    }
    return box;
  }

  function dot(latlng, className, title) {
    return L.circleMarker(latlng, { radius: 8, className: className, weight: 3, fillOpacity: 0.9 })
      .bindTooltip(title || "");
  }

  // --- one car's position ------------------------------------------------------------------

  function initCar(element) {
    var data = readJson(element.dataset.configId);
    var map = baseMap(element, data.config);
    var marker = data.marker;
    dot([marker.lat, marker.lon], "map-car", marker.title)
      .bindPopup(popupContent([marker.title, coordinates(marker.lat, marker.lon)]))
      .addTo(map);
  }

  // --- a route and its replay -------------------------------------------------------------

  function initRoute(element) {
    var data = readJson(element.dataset.configId);
    var map = baseMap(element, data.config);
    var points = data.points;
    var path = points.map(function (p) { return [p[0], p[1]]; });
    // One line per part of the route: nothing is drawn across a gap in the data (one SVG
    // path all the same, with a break where the data has one).
    var parts = (data.segments || [[0, points.length - 1]]).map(function (range) {
      return path.slice(range[0], range[1] + 1);
    });
    var line = L.polyline(parts, { className: "map-path", weight: 4 }).addTo(map);
    element.setAttribute("data-parts", String(parts.length));
    dot(path[0], "map-start", data.start_label).addTo(map);
    dot(path[path.length - 1], "map-end", data.end_label).addTo(map);
    data.stops.forEach(function (stop) {
      dot([stop.lat, stop.lon], "map-stop", stop.label)
        .bindPopup(popupContent([stop.label, coordinates(stop.lat, stop.lon)])).addTo(map);
    });
    if (path.length > 1) map.fitBounds(line.getBounds(), { padding: [20, 20] });
    var car = L.circleMarker(path[0], { radius: 7, className: "map-car", weight: 3, fillOpacity: 1 })
      .addTo(map);
    var controls = document.querySelector('[data-replay="' + element.id + '"]');
    if (controls) replay(controls, map, car, points, data.clock);
  }

  function pad(value, width) {
    var text = String(value);
    while (text.length < width) text = "0" + text;
    return text;
  }

  // Moment t (epoch ms) as the server writes times (maps.views.replay_clock): its format's
  // d, m, Y, H and i, in the user's zone at t, and the zone's abbreviation.
  function clockText(clock, t) {
    var zone = clock.zones[0];
    clock.zones.forEach(function (z) { if (z[0] <= t) zone = z; });
    var wall = new Date(t + zone[1]);  // read with the UTC getters: the zone's wall clock
    var parts = {
      d: pad(wall.getUTCDate(), 2), m: pad(wall.getUTCMonth() + 1, 2),
      Y: pad(wall.getUTCFullYear(), 4), H: pad(wall.getUTCHours(), 2),
      i: pad(wall.getUTCMinutes(), 2),
    };
    return clock.format.replace(/[dmYHi]/g, function (c) { return parts[c]; }) + " " + zone[2];
  }

  // points: [lat, lon, epoch ms, odometer, the sample's time as the server writes times].
  function replay(controls, map, car, points, clock) {
    var play = controls.querySelector("#replay-play");
    var speed = controls.querySelector("#replay-speed");
    var scrub = controls.querySelector("#replay-scrub");
    var output = controls.querySelector("#replay-time");
    var start = points[0][2];
    var end = points[points.length - 1][2];
    var span = Math.max(end - start, 1);
    var now = start;
    var playing = false;
    var last = null;
    scrub.max = String(Math.ceil(span / 60000));  // one step per minute of the route

    // The index of the last sample at or before t (0 before the first).
    function sampleAt(t) {
      var lo = 0;
      var hi = points.length - 1;
      if (t >= points[hi][2]) return hi;
      while (hi - lo > 1) {
        var mid = (lo + hi) >> 1;
        if (points[mid][2] <= t) lo = mid; else hi = mid;
      }
      return lo;
    }

    function positionAt(t, i) {
      var a = points[i];
      var b = points[Math.min(i + 1, points.length - 1)];
      if (a[5] !== b[5]) return [a[0], a[1]];  // across a gap: where it was last seen
      var f = Math.min(Math.max((t - a[2]) / Math.max(b[2] - a[2], 1), 0), 1);
      return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
    }

    function show(follow) {
      var i = sampleAt(now);
      var latlng = positionAt(now, i);
      car.setLatLng(latlng);
      scrub.value = String(Math.round((now - start) / 60000));
      // In the user's zone and the app's format, never the browser's; without a clock (a
      // format the script cannot write) the time of the sample last passed.
      output.textContent = clock && clock.format ? clockText(clock, now) : points[i][4];
      // The map follows the car when it leaves the middle of the view.
      if (follow && !map.getBounds().pad(-0.2).contains(latlng)) {
        map.panTo(latlng, { animate: !STILL });
      }
    }

    function setPlaying(value) {
      playing = value;
      play.textContent = playing ? play.dataset.labelPause : play.dataset.labelPlay;
      play.setAttribute("aria-pressed", playing ? "true" : "false");
      controls.setAttribute("data-playing", playing ? "true" : "false");
      last = null;
      if (playing) {
        if (now >= end) now = start;
        requestAnimationFrame(frame);
      }
    }

    function frame(stamp) {
      if (!playing) return;
      if (last !== null) {
        // 1× = one minute of the route per second.
        now = Math.min(end, now + (stamp - last) * 60 * Number(speed.value));
      }
      last = stamp;
      show(true);
      if (now >= end) { setPlaying(false); return; }
      requestAnimationFrame(frame);
    }

    function moveBy(minutes) {
      now = Math.max(start, Math.min(end, now + minutes * 60000));
      show(true);
    }

    play.addEventListener("click", function () { setPlaying(!playing); });
    scrub.addEventListener("input", function () {
      now = start + Number(scrub.value) * 60000;
      show(true);
    });
    controls.addEventListener("keydown", function (event) {
      var tag = event.target.tagName;
      if (event.key === " " && tag !== "BUTTON" && tag !== "SELECT") {
        event.preventDefault();
        setPlaying(!playing);
      } else if ((event.key === "ArrowLeft" || event.key === "ArrowRight") &&
                 tag !== "INPUT" && tag !== "SELECT") {
        event.preventDefault();
        var step = Math.max(1, Math.round(span / 60000 / 100));  // 1 % of the route
        moveBy(event.key === "ArrowLeft" ? -step : step);
      }
    });
    controls.setAttribute("data-ready", "true");
    show(false);
  }

  // --- the fleet: markers and the list beside the map ------------------------------------
  // htmx loads the batches (maps/views.fleet_batch) and writes the status and any problem at
  // the top of the map; each batch brings its cars as JSON (<script id="fleet-batch-…">),
  // read here once: a marker on the map and a row in the list per car, kept in sync.

  // Fold a text for finding: lower case, without accents, so "muller" finds "Müller".
  function folded(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // A focusable row gets the focus itself (Enter shows its car), any other its link.
  function focusRow(li) {
    (li.tabIndex >= 0 ? li : li.querySelector("a") || li).focus();
  }

  // The list beside the fleet map: every car in the order the batches bring them, but only
  // the first `pageSize` of those the filter matches laid out as rows ("Show more" adds as
  // many again). 10,000 rows laid out as they arrived were most of the browser's time
  // (docs/benchmarks.md, issue 18); every car stays reachable through the filter.
  function CarList(list, pageSize, labels, rowFor) {
    this.list = list;
    this.rowFor = rowFor;  // (car) -> its row, a new <li>
    this.pageSize = Math.max(1, Number(pageSize) || 200);
    this.labels = labels;
    this.all = [];       // entries {car, key, row}: every car, in order
    this.byId = {};      // car id -> its entry
    this.query = "";     // the filter, folded
    this.matching = this.all;  // the entries the filter matches (all of them without one)
    this.limit = this.pageSize;
    this.shown = [];     // the entries laid out as rows, the first of `matching`
    this.count = document.getElementById("fleet-list-count");
    this.moreButton = document.getElementById("fleet-more");
    this.filterText = "";
  }

  // What the filter looks in: name and plate, folded (and the plate without spaces and
  // dashes). Made when first filtered, not for each of 10,000 cars as they arrive.
  function findKey(car) {
    var plate = folded(car.plate);
    return folded(car.name) + "\n" + plate + "\n" + plate.replace(/[\s-]+/g, "");
  }

  CarList.prototype.matches = function (entry) {
    if (!this.query) return true;
    if (entry.key === null) entry.key = findKey(entry.car);
    return entry.key.indexOf(this.query) >= 0;
  };

  // A car of a batch, or one asked again (which keeps its name and plate); returns the car
  // as it is now. Its row, if shown, is drawn anew at once; others wait for render().
  CarList.prototype.put = function (item) {
    var entry = this.byId[item.id];
    if (entry) {
      entry.car = Object.assign({ name: entry.car.name, plate: entry.car.plate }, item);
      if (entry.row) {
        var row = this.rowFor(entry.car);
        entry.row.replaceWith(row);
        entry.row = row;
      }
      return entry.car;
    }
    entry = { car: item, row: null, key: null };  // key: see findKey
    this.all.push(entry);
    this.byId[item.id] = entry;
    if (this.matching !== this.all && this.matches(entry)) this.matching.push(entry);
    return item;
  };

  // Lay out the rows still missing up to the limit, and say how many are shown.
  CarList.prototype.render = function () {
    var end = Math.min(this.limit, this.matching.length);
    var fragment = document.createDocumentFragment();
    var first = null;
    for (var i = this.shown.length; i < end; i++) {
      var entry = this.matching[i];
      entry.row = this.rowFor(entry.car);
      fragment.appendChild(entry.row);
      this.shown.push(entry);
      first = first || entry.row;
    }
    this.list.appendChild(fragment);
    this.say();
    return first;
  };

  CarList.prototype.say = function () {
    var labels = this.labels;
    var shown = this.shown.length;
    var total = this.matching.length;
    var text;
    if (!this.query) {
      text = fill(labels.list_shown, { shown: number(shown), total: number(total) });
    } else if (!total) {
      text = fill(labels.list_none, { term: this.filterText });
    } else {
      text = fill(labels.list_matching, { shown: number(shown), total: number(total),
                                          filter: this.filterText });
    }
    this.count.textContent = this.all.length ? text : "";
    var left = total - shown;
    this.moreButton.hidden = left <= 0;
    if (left > 0) {
      this.moreButton.textContent = fill(labels.list_more,
                                         { count: number(Math.min(left, this.pageSize)) });
    }
  };

  CarList.prototype.filter = function (text) {
    var query = folded(text).trim();
    this.filterText = text.trim();
    if (query === this.query) { this.say(); return; }
    this.query = query;
    this.matching = query ? this.all.filter(this.matches, this) : this.all;
    this.shown.forEach(function (entry) { entry.row = null; });
    this.shown = [];
    this.limit = this.pageSize;
    this.list.textContent = "";
    this.render();
  };

  // Another page of rows; returns the first of them.
  CarList.prototype.more = function () {
    this.limit += this.pageSize;
    return this.render();
  };

  CarList.prototype.rowOf = function (id) {
    var entry = this.byId[id];
    return entry ? entry.row : null;
  };

  function initFleet(element) {
    var data = readJson(element.dataset.configId);
    var labels = data.labels;
    var map = baseMap(element, data.config);
    var cluster = L.markerClusterGroup({
      chunkedLoading: true, maxClusterRadius: 50, animate: !STILL,
      chunkProgress: function (done, total) { if (done === total) markActive(); },
    });
    map.addLayer(cluster);
    var list = document.getElementById("fleet-list");
    var markers = {};   // car id -> its marker
    var cars = new CarList(list, data.list_rows, labels, rowFor);
    var extent = null;  // [south, west, north, east] of every marker so far
    var located = 0;
    var fitting = false;
    var moved = false;  // the user moved the map: batches no longer refit it
    var active = null;  // the highlighted marker's (or cluster's) icon
    var activeId = null;  // the car whose marker is highlighted (its icon may be redrawn)

    map.on("dragstart zoomstart", function () { if (!fitting) moved = true; });

    function fit() {
      if (moved || !extent) return;
      fitting = true;
      // Padding: a pin at the edge of the fleet shows whole, not cut off.
      map.fitBounds([[extent[0], extent[1]], [extent[2], extent[3]]],
                    { padding: [32, 32], maxZoom: 15, animate: false });
      fitting = false;
    }

    function popupFor(car) {
      return function () {
        var lines = [car.name];
        if (car.plate) lines.push(labels.plate + ": " + car.plate);
        if (car.time) lines.push(car.time + (car.age ? " (" + car.age + ")" : ""));
        lines.push(labels["band_" + car.band] + "; " + labels["lock_" + car.lock]);
        lines.push(coordinates(car.lat, car.lon));
        return popupContent(lines, { href: car.url, text: labels.open_car });
      };
    }

    // The marker's shape and colour tell the position's age, its fill open or closed (see
    // the legend and maps.css); the words are in it too, for screen readers.
    function pinFor(band, lock) {
      var pin = document.createElement("span");
      pin.className = "fleet-pin band-" + band + " lock-" + lock;
      var words = document.createElement("span");
      words.className = "visually-hidden";
      words.textContent = labels["band_" + band] + "; " + labels["lock_" + lock];
      pin.appendChild(words);
      return pin;
    }

    // One icon per band and lock state, shared by the markers that have them; each builds
    // its pin only when Leaflet draws a marker with it (one element cannot be in two places).
    // Two elements and an icon per car up front, for 10,000 cars mostly inside clusters and
    // never drawn, were a good part of the map's script time and garbage.
    var PinIcon = L.DivIcon.extend({
      createIcon: function (oldIcon) {
        this.options.html = pinFor(this.options.band, this.options.lock);
        return L.DivIcon.prototype.createIcon.call(this, oldIcon);
      },
    });
    var icons = {};
    function iconFor(car) {
      var key = car.band + " " + car.lock;
      if (!icons[key]) {
        // Leaflet places the outer element (by transform); the shape is the inner one.
        icons[key] = new PinIcon({
          className: "fleet-marker", band: car.band, lock: car.lock, iconSize: [18, 18],
          iconAnchor: [9, 9], popupAnchor: [0, -9],
        });
      }
      return icons[key];
    }

    function rowFor(car) {
      var li = document.createElement("li");
      li.className = "fleet-car";
      li.setAttribute("data-car", String(car.id));
      li.setAttribute("data-state", car.state);
      var pin = document.createElement("span");
      pin.setAttribute("aria-hidden", "true");
      pin.className = "fleet-pin " + (car.state === "located"
        ? "band-" + car.band + " lock-" + car.lock : "band-none lock-none");
      li.appendChild(pin);
      var a = document.createElement("a");
      a.href = car.url;
      a.textContent = car.name;
      li.appendChild(a);
      if (car.plate) {
        var plate = document.createElement("span");
        plate.className = "muted";
        plate.textContent = " " + car.plate;
        li.appendChild(plate);
      }
      var facts = document.createElement("span");
      facts.className = "fleet-car-facts";
      if (car.state === "located") {
        li.tabIndex = 0;  // focusable: Enter shows the car on the map
        facts.textContent = [car.age || labels["band_" + car.band], labels["lock_" + car.lock]]
          .join(" · ");
      } else {
        facts.textContent = car.reason || "";  // why it is not on the map
      }
      li.appendChild(facts);
      return li;
    }

    function highlight(id, on) {
      activeId = on ? id : null;
      markActive();
    }

    function markActive() {
      if (active) { active.classList.remove("fleet-active"); active = null; }
      var marker = activeId && markers[activeId];
      if (!marker) return;
      // Inside a cluster, the cluster stands for it.
      var shown = cluster.getVisibleParent(marker);
      var icon = shown && shown.getElement && shown.getElement();
      if (icon) { icon.classList.add("fleet-active"); active = icon; }
    }
    // The clusters draw new icons after a zoom or a move (the fit once the last batch is
    // in, too) and as chunks of markers go in: the highlight moves to the new icon.
    cluster.on("animationend", markActive);
    map.on("zoomend moveend", markActive);

    // A marker's popup, bound on its first click (or Enter on its row): 10,000 popups and
    // their handlers made up front cost the map's first seconds, and most are never opened.
    function withPopup(marker) {
      if (!marker.getPopup()) {
        marker.bindPopup(popupFor(marker.car));
        marker.on("popupopen", rowShown.bind(null, marker.car.id));
      }
      return marker;
    }
    // A marker's click (or Enter on it) reaches the cluster group: the first one binds its
    // popup and opens it; later ones the popup's own handler opens.
    cluster.on("click", function (event) {
      var marker = event.propagatedFrom || event.layer;
      if (marker && marker.car && !marker.getPopup()) withPopup(marker).openPopup();
    });

    function show(id) {
      var marker = markers[id];
      if (!marker) return;
      cluster.zoomToShowLayer(marker, function () {
        map.panTo(marker.getLatLng(), { animate: !STILL });
        withPopup(marker).openPopup();
        highlight(id, true);
      });
    }

    function rowOf(event) {
      var li = event.target.closest && event.target.closest("li.fleet-car");
      return li && list.contains(li) ? li : null;
    }

    list.addEventListener("mouseover", function (event) {
      var li = rowOf(event);
      if (li) highlight(li.dataset.car, true);
    });
    list.addEventListener("mouseleave", function () { highlight(null, false); });
    list.addEventListener("focusin", function (event) {
      var li = rowOf(event);
      if (li) highlight(li.dataset.car, true);
    });
    list.addEventListener("keydown", function (event) {
      var li = rowOf(event);
      if (!li) return;
      // Enter on the row shows the car on the map; on its link it opens the car's page.
      if (event.key === "Enter" && event.target === li) {
        event.preventDefault();
        show(li.dataset.car);
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        // Up and down move from row to row (Tab still goes through each row's link).
        var next = event.key === "ArrowDown" ? li.nextElementSibling : li.previousElementSibling;
        if (next) { event.preventDefault(); focusRow(next); }
      }
    });
    // And the other way: a marker's popup marks the car's row in the list (if it is among
    // the rows shown; the popup itself tells the car's name and plate).
    function rowShown(id) {
      var current = list.querySelector(".fleet-car.fleet-active");
      if (current) current.classList.remove("fleet-active");
      var row = cars.rowOf(id);
      if (row) {
        row.classList.add("fleet-active");
        row.scrollIntoView({ block: "nearest" });
      }
    }

    // The filter box: the list shows the cars whose name or plate holds what is typed; Enter
    // shows the first of them on the map (and moves there), Down moves into the list.
    var filter = document.getElementById("fleet-filter");
    filter.addEventListener("input", function () { cars.filter(filter.value); });
    filter.addEventListener("keydown", function (event) {
      var first = list.firstElementChild;
      if (!first || (event.key !== "Enter" && event.key !== "ArrowDown")) return;
      event.preventDefault();
      focusRow(first);
      if (event.key === "Enter") show(first.dataset.car);
    });
    document.getElementById("fleet-more").addEventListener("click", function () {
      var first = cars.more();
      if (first) focusRow(first);  // on to the rows that came, not back to the top
    });

    function addCars(batch) {
      var added = [];
      batch.forEach(function (item) {
        var car = cars.put(item);
        if (car.state !== "located" || markers[car.id]) return;
        var marker = L.marker([car.lat, car.lon], { title: car.name || "", icon: iconFor(car) });
        marker.car = car;  // its popup is bound when first asked for (withPopup)
        markers[car.id] = marker;
        added.push(marker);
        // Plain numbers: a LatLngBounds extended per car made two objects a car.
        if (!extent) extent = [car.lat, car.lon, car.lat, car.lon];
        if (car.lat < extent[0]) extent[0] = car.lat;
        if (car.lon < extent[1]) extent[1] = car.lon;
        if (car.lat > extent[2]) extent[2] = car.lat;
        if (car.lon > extent[3]) extent[3] = car.lon;
        located += 1;
      });
      cars.render();
      cluster.addLayers(added);
      element.setAttribute("data-located", String(located));
    }

    // Every batch (and every retry of cars) that htmx has put into the page, read once.
    function readBatches() {
      var scripts = document.querySelectorAll('script[id^="fleet-batch-"]');
      Array.prototype.forEach.call(scripts, function (script) {
        var batch = JSON.parse(script.textContent);
        script.remove();
        addCars(batch.cars);
        // Fitted to the first cars at once, and to the whole fleet when the last are in
        // (refitting after every batch would redraw every cluster each time).
        if (batch.start === 0 || batch.last) fit();
        if (batch.last) element.setAttribute("data-loaded", "true");
      });
    }

    document.body.addEventListener("htmx:afterSettle", readBatches);
    readBatches();

    // A batch that got no answer of fleetadmin's (the network, a proxy's error page): the
    // page's notice says so, and Retry asks the same batch again. fleetadmin's own answers,
    // problems included, carry the status region and are swapped in as they are.
    var noAnswer = document.getElementById("fleet-no-answer");
    var lost = null;  // the URL of the batch that got no answer
    function unanswered(event) {
      var target = event.detail.target;
      if (!target || target.id !== "fleet-next" || !event.detail.pathInfo) return false;
      lost = event.detail.pathInfo.requestPath;
      noAnswer.hidden = false;
      return true;
    }
    document.body.addEventListener("htmx:sendError", unanswered);
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var xhr = event.detail.xhr;
      if (xhr && xhr.status >= 400 && xhr.responseText.indexOf('id="fleet-status"') < 0 &&
          unanswered(event)) {
        event.detail.shouldSwap = false;
      }
    });
    document.getElementById("fleet-no-answer-retry").addEventListener("click", function () {
      noAnswer.hidden = true;
      if (lost) htmx.ajax("GET", lost, { target: "#fleet-next", swap: "outerHTML" });
    });
  }

  // --- start every map on the page, and those htmx swaps in --------------------------------

  var starters = { car: initCar, route: initRoute, fleet: initFleet };

  function start(root) {
    if (typeof L === "undefined" || !root.querySelectorAll) return;
    var elements = Array.prototype.slice.call(root.querySelectorAll("[data-map]"));
    if (root.matches && root.matches("[data-map]")) elements.push(root);
    elements.forEach(function (element) {
      if (element.dataset.mapStarted) return;
      element.dataset.mapStarted = "true";
      var starter = starters[element.dataset.map];
      if (starter) starter(element);
    });
  }

  document.addEventListener("htmx:load", function (event) { start(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { start(document); });
  } else {
    start(document);
  }
})();
