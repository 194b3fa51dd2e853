// fleetadmin's maps: draws what the server ships as JSON, with the vendored Leaflet.
// - [data-map="car"]: one position; [data-map="route"]: a route with stops and a replay;
//   [data-map="fleet"]: the fleet, fetched in batches from data-batch-url, clustered.
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

  function number(value) {
    return Number(value).toLocaleString(document.documentElement.lang || undefined);
  }

  // A position as every screen writes it (fleetadmin/web/coordinates.py): "48.13710, 11.57500",
  // a decimal point in every language (people paste it into other tools), never localized.
  var COORDINATE_DECIMALS = 5;
  function coordinates(lat, lon) {
    return Number(lat).toFixed(COORDINATE_DECIMALS) + ", " + Number(lon).toFixed(COORDINATE_DECIMALS);
  }

  // A map with the tile layer the server configured (options built by folium). Markers and
  // paths are vector layers or our own icons: they show even when no tile can load.
  function baseMap(element, config) {
    var tiles = config.tiles.options;
    var options = Object.assign({}, config.map, { maxZoom: tiles.maxZoom || 19 });
    var map = L.map(element, options).setView(config.center, config.map.zoom || 12);
    L.tileLayer(config.tiles.url, tiles).addTo(map);
    L.control.scale().addTo(map);
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
      if (follow && !map.getBounds().pad(-0.2).contains(latlng)) map.panTo(latlng);
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

  // --- the fleet, in batches --------------------------------------------------------------

  function initFleet(element) {
    var data = readJson(element.dataset.configId);
    var labels = data.labels;
    var map = baseMap(element, data.config);
    var cluster = L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 50 });
    map.addLayer(cluster);
    var progress = document.getElementById("fleet-progress");
    var progressText = document.getElementById("fleet-progress-text");
    var failedBox = document.getElementById("fleet-failed");
    var failedText = document.getElementById("fleet-failed-text");
    var retry = document.getElementById("fleet-retry");
    var failedDetail = document.getElementById("fleet-failed-detail");
    var failedSaid = document.getElementById("fleet-failed-said");
    var failedSettings = document.getElementById("fleet-failed-settings");
    var unlocatedBox = document.getElementById("fleet-unlocated");
    var unlocatedText = document.getElementById("fleet-unlocated-text");
    var unlocatedList = document.getElementById("fleet-unlocated-list");
    var cars = {};       // id -> the car's JSON (name and plate from its batch)
    var failed = {};     // id -> true, while it could not be located
    var total = null;
    var done = 0;
    var located = 0;
    var unlocated = 0;
    var fitted = false;
    var failedStart = null;  // where the batch that could not be loaded starts
    var failedProblem = null;  // the batch's problem as the server described it, if it did

    function status() {
      var failedIds = Object.keys(failed);
      var count = total === null ? done : total;
      progress.max = Math.max(count, 1);
      progress.value = done;
      progressText.textContent = done < count
        ? fill(labels.progress, { done: number(done), total: number(count) })
        : fill(labels.finished, { located: number(located), total: number(count) });
      element.setAttribute("data-located", String(located));
      failedBox.hidden = failedIds.length === 0 && failedStart === null;
      // A batch's problem says what includes/problem.html says: what happened, what to do,
      // flinkey's sentence, and Settings or Retry (not both: a retry cannot fix the set-up).
      var problem = failedStart !== null ? failedProblem : null;
      if (failedStart !== null) {
        failedText.textContent = [failedStart ? labels.batch_failed : labels.first_batch_failed,
                                  problem && problem.headline, problem && problem.advice]
          .filter(Boolean).join(" ");
      } else if (failedIds.length) {
        failedText.textContent = fill(failedIds.length === 1 ? labels.failed_one : labels.failed,
                                      { count: number(failedIds.length) });
      }
      failedSaid.textContent = (problem && problem.detail) || "";
      failedDetail.hidden = !failedSaid.textContent;
      failedSettings.hidden = !(problem && problem.setup_needed);
      retry.hidden = Boolean(problem && problem.retry === false);
      failedBox.className = "alert " +
        (problem && (problem.setup_needed || problem.missing) ? "info" : "error");
      unlocatedBox.hidden = unlocated === 0;
      unlocatedText.textContent = fill(unlocated === 1 ? labels.unlocated_one : labels.unlocated,
                                       { count: number(unlocated) });
    }

    function popupFor(car) {
      return function () {
        var lines = [car.name];
        if (car.plate) lines.push(labels.plate + ": " + car.plate);
        if (car.time) lines.push(car.time + (car.age ? " (" + car.age + ")" : ""));
        lines.push(coordinates(car.lat, car.lon));
        return popupContent(lines, { href: car.url, text: labels.open });
      };
    }

    function addCars(list) {
      var markers = [];
      list.forEach(function (item) {
        var car = Object.assign(cars[item.id] || {}, item);
        cars[item.id] = car;
        if (car.state === "failed") {
          failed[car.id] = true;
          return;
        }
        delete failed[car.id];
        if (car.state === "located") {
          var marker = L.marker([car.lat, car.lon], { title: car.name || "", alt: car.name || "" });
          marker.bindPopup(popupFor(car));
          markers.push(marker);
          located += 1;
        } else {
          unlocated += 1;
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = car.url;
          a.textContent = car.name;
          li.appendChild(a);
          var why = { no_device: labels.no_device, no_answer: labels.no_answer }[car.state];
          li.appendChild(document.createTextNode(" — " + (why || labels.no_position)));
          unlocatedList.appendChild(li);
        }
      });
      cluster.addLayers(markers);
      if (!fitted && located > 0) {
        map.fitBounds(cluster.getBounds(), { padding: [20, 20], maxZoom: 15 });
        fitted = true;
      }
    }

    function get(url) {
      return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) {
              var error = new Error((body.problem && body.problem.headline) || "");
              error.problem = body.problem || null;
              throw error;
            }
            return body;
          });
        });
    }

    function withParam(name, value) {
      var base = element.dataset.batchUrl;
      return base + (base.indexOf("?") >= 0 ? "&" : "?") + name + "=" + encodeURIComponent(value);
    }

    // The first batch is the batch URL as it is; each answer says where the next one starts.
    function batchUrl(start) {
      return start ? withParam("start", start) : element.dataset.batchUrl;
    }

    function loadBatch(start) {
      element.setAttribute("aria-busy", "true");
      get(batchUrl(start)).then(function (body) {
        if (body.total !== null && body.total !== undefined) total = body.total;
        if (body.as_of) {
          // From the fleet store: how old it is, and "Refresh now" (the page's own form).
          var asOf = document.getElementById("fleet-as-of");
          document.getElementById("fleet-as-of-text").textContent = body.as_of;
          if (asOf) asOf.hidden = false;
        }
        failedStart = null;
        done += body.cars.length;
        addCars(body.cars);
        status();
        if (body.next !== null && body.next !== undefined) {
          loadBatch(body.next);
        } else {
          total = done;
          status();
          element.setAttribute("aria-busy", "false");
          element.setAttribute("data-loaded", "true");
        }
      }).catch(function (error) {
        failedStart = start;
        // No problem for an answer that is not ours (a proxy's page, the network): Retry.
        failedProblem = (error && error.problem) || null;
        status();
        element.setAttribute("aria-busy", "false");
      });
    }

    retry.addEventListener("click", function () {
      if (failedStart !== null) {
        var start = failedStart;
        failedStart = null;
        status();
        loadBatch(start);
        return;
      }
      var ids = Object.keys(failed);
      if (!ids.length) return;
      retry.disabled = true;
      get(withParam("ids", ids.join(","))).then(function (body) {
        addCars(body.cars);
      }).catch(function () { /* still failed: the count stays */ }).then(function () {
        retry.disabled = false;
        status();
      });
    });

    status();
    loadBatch(0);
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
