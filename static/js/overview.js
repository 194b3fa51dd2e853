// The home page's two charts (events per day, fleet kilometres per day), drawn with the
// vendored Chart.js from the figures the page carries as JSON (json_script
// #overview-charts): no inline script, and every label is data, never markup. Each chart's
// figures are also in the table under it, for screen readers and without script. While the
// chart days are being prepared (overview.charts) the charts region arrives later, by
// htmx's poll: it is drawn when htmx has put it in the page (htmx:load).
(function () {
  "use strict";

  var OPENED = "#0b5cad", CLOSED = "#8fb3dc", KM = "#1a7f37";

  function bars(canvas, labels, datasets, stacked) {
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: stacked, ticks: { autoSkip: true, maxRotation: 0 } },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
        },
        plugins: { legend: { display: datasets.length > 1 } }
      }
    });
  }

  function draw() {
    var source = document.getElementById("overview-charts");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var events = document.getElementById("chart-events");
    if (events && !events.dataset.drawn) {
      bars(events, data.labels, [
        { label: data.events.names.opened, data: data.events.opened, backgroundColor: OPENED },
        { label: data.events.names.closed, data: data.events.closed, backgroundColor: CLOSED }
      ], true);
      events.dataset.drawn = "true";
    }
    var km = document.getElementById("chart-km");
    if (km && !km.dataset.drawn) {
      bars(km, data.labels, [
        { label: data.km.name, data: data.km.values, backgroundColor: KM }
      ], false);
      km.dataset.drawn = "true";
    }
  }

  // A region htmx swapped in (the charts once prepared); the drawn ones are left as they are.
  document.addEventListener("htmx:load", function (event) {
    var added = event.target;
    if (added && added.querySelector && added.querySelector("#overview-charts")) { draw(); }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
