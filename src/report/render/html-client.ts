/**
 * The script of the HTML report, run in the reader's browser: it builds the
 * page from the embedded layout with `textContent` only (no app value ever
 * reaches `innerHTML`) and draws each chart with uPlot. Plain ES2015 in a
 * string, as it runs in the browser and not in Node.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
  "use strict";
  var layout = JSON.parse(document.getElementById("report-data").textContent);
  var root = document.getElementById("report");
  var COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];
  var BYTES = ["B", "KiB", "MiB", "GiB", "TiB"];

  function el(tag, text, className) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (className) e.className = className;
    return e;
  }

  function num(v) {
    return Number(v.toPrecision(3)).toLocaleString("en-US");
  }

  function formatter(unit) {
    if (unit === "1") return function (v) { return num(v * 100) + "%"; };
    if (unit === "s") return function (v) { return Math.abs(v) < 1 ? num(v * 1000) + " ms" : num(v) + " s"; };
    if (unit === "By" || unit === "By/s") {
      return function (v) {
        var i = 0;
        while (Math.abs(v) >= 1024 && i < BYTES.length - 1) { v /= 1024; i++; }
        return num(v) + " " + BYTES[i] + (unit === "By/s" ? "/s" : "");
      };
    }
    var bare = unit.replace(/[{}]/g, "");
    return function (v) { return num(v) + " " + bare; };
  }

  function chartData(chart) {
    var times = {};
    chart.series.forEach(function (s) {
      s.points.forEach(function (p) { times[p[0]] = true; });
    });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var data = [xs.map(function (t) { return t / 1000; })];
    chart.series.forEach(function (s) {
      var at = {};
      s.points.forEach(function (p) { at[p[0]] = p[1]; });
      data.push(xs.map(function (t) { return t in at ? at[t] : null; }));
    });
    return data;
  }

  function drawChart(figure, chart) {
    var fmt = formatter(chart.unit);
    var width = Math.max(320, Math.min(960, root.clientWidth - 16));
    var series = [{}].concat(chart.series.map(function (s, i) {
      return {
        label: s.label,
        stroke: COLORS[i % COLORS.length],
        width: 2,
        spanGaps: false,
        points: { show: s.points.length < 3 },
        value: function (u, v) { return v === null || v === undefined ? "-" : fmt(v); }
      };
    }));
    var plot = new uPlot({
      width: width,
      height: 240,
      series: series,
      scales: { x: { time: true } },
      axes: [
        {},
        { size: 80, values: function (u, ticks) { return ticks.map(fmt); } }
      ]
    }, chartData(chart), figure);
    figure.setAttribute("data-chart-id", chart.id);
    figure.setAttribute("data-series", String(chart.series.length));
    return plot;
  }

  function table(block) {
    var t = el("table");
    var head = t.createTHead().insertRow();
    block.columns.forEach(function (c) { head.appendChild(el("th", c)); });
    var body = t.createTBody();
    block.rows.forEach(function (row) {
      var tr = body.insertRow();
      row.forEach(function (cell, i) { tr.appendChild(el("td", cell, i === 0 ? "label" : "num")); });
    });
    return t;
  }

  root.appendChild(el("h1", layout.title));
  layout.subtitle.forEach(function (s) { root.appendChild(el("p", s, "meta")); });
  var nav = el("nav");
  root.appendChild(nav);
  var current = root;
  layout.blocks.forEach(function (block) {
    if (block.kind === "section") {
      current = el("section");
      current.id = "section-" + block.id;
      current.appendChild(el("h2", block.title));
      root.appendChild(current);
      var link = el("a", block.title);
      link.href = "#" + current.id;
      nav.appendChild(link);
    } else if (block.kind === "heading") {
      current.appendChild(el("h3", block.text));
    } else if (block.kind === "paragraph") {
      current.appendChild(el("p", block.text, block.tone || ""));
    } else if (block.kind === "table") {
      current.appendChild(table(block));
    } else if (block.kind === "chart") {
      var figure = el("figure", null, "chart");
      figure.appendChild(el("figcaption", block.chart.title));
      current.appendChild(figure);
      drawChart(figure, block.chart);
    }
  });
  document.documentElement.setAttribute("data-rendered", "true");
})();
`;
