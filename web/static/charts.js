// The household page's small charts (uPlot, /static/vendor/uplot.min.js): every element with data-chart has
// data-x (seconds since 1970) and data-y (comma-separated numbers). The same numbers are on the page as a
// list or table, which is what shows without JavaScript; the chart is only a picture of them.
(function () {
  "use strict";
  if (typeof window.uPlot !== "function") return;
  var LEVELS = ["", "waakvlam", "licht", "intensief", "crisis"];
  var MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];
  function numbers(text) { return text ? text.split(",").map(Number) : []; }
  function day(seconds) { var d = new Date(seconds * 1000); return d.getDate() + " " + MONTHS[d.getMonth()]; }
  function draw(el) {
    var xs = numbers(el.getAttribute("data-x")), ys = numbers(el.getAttribute("data-y"));
    if (xs.length < 2) return;
    var intensity = el.getAttribute("data-chart") === "intensity";
    var width = Math.max(200, el.clientWidth || 300);
    var options = {
      width: width, height: 140, legend: { show: false }, cursor: { show: false }, select: { show: false },
      scales: { x: { time: false }, y: { range: intensity ? [0.5, 4.5] : [0.5, 5.5] } },
      axes: [
        { values: function (u, splits) { return splits.map(day); }, space: 70 },
        { splits: function () { return intensity ? [1, 2, 3, 4] : [1, 2, 3, 4, 5]; },
          values: function (u, splits) { return splits.map(function (v) { return intensity ? LEVELS[v] : String(v); }); },
          size: intensity ? 72 : 30 }
      ],
      series: [{}, {
        stroke: "#154273", width: 2,
        paths: intensity ? window.uPlot.paths.stepped({ align: 1 }) : undefined,
        points: { show: !intensity, size: 7, fill: "#154273" }
      }]
    };
    var chart = new window.uPlot(options, [xs, ys], el);
    window.addEventListener("resize", function () { chart.setSize({ width: Math.max(200, el.clientWidth), height: 140 }); });
  }
  function start() { Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
