// The mileage report's per-day chart for one car, drawn with the vendored Chart.js from the
// figures the page carries as JSON (json_script #per-day-chart-data): no inline script,
// every label is data, never markup. The table under it holds the same figures, for screen
// readers and without script.
(function () {
  "use strict";

  var KM = "#1a7f37";

  function draw() {
    var source = document.getElementById("per-day-chart-data");
    var canvas = document.getElementById("per-day-chart");
    if (!source || !canvas || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.name, data: data.values, backgroundColor: KM }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { ticks: { autoSkip: true, maxRotation: 0 } },
          y: { beginAtZero: true }
        },
        plugins: { legend: { display: false } }
      }
    });
    canvas.dataset.drawn = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
