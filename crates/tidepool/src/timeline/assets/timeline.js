"use strict";
(function () {
  var errors = [];
  window.addEventListener("error", function (event) { errors.push(String(event.message)); report(); });
  var data = JSON.parse(document.getElementById("timeline-data").textContent);
  var LANE = 28, AXIS = 24, ARROWS_MAX = 3000, NEAR = 5;
  var FAULT_COLORS = { partition: "#f0a030", clog: "#7b61ff", reset: "#e05050", "refused connect": "#e07020",
    kill: "#c62828", "power loss": "#8b0000", wipe: "#000000", "clock step": "#2080a0",
    "chaos window ends": "#2e7d32" };
  var plot = document.getElementById("plot"), canvas = document.getElementById("canvas");
  var ctx = canvas.getContext("2d"), tooltip = document.getElementById("tooltip");
  var status = document.getElementById("status"), mark = document.getElementById("failure-mark");
  var end = Math.max(1, data.end_ns), view = fit(), drawn = { arrows: 0, step: 1 };
  var logsByLane = data.hosts.map(function () { return []; });
  data.logs.forEach(function (log) { if (log.host !== null) logsByLane[log.host].push(log); });

  // The whole run, with a margin so that a failure at its very end shows.
  function fit() { return { from: -end * 0.01, to: end * 1.03 }; }
  function fmt(ns) {
    if (ns >= 1e9) return (ns / 1e9).toFixed(3) + " s";
    if (ns >= 1e6) return (ns / 1e6).toFixed(3) + " ms";
    if (ns >= 1e3) return (ns / 1e3).toFixed(1) + " us";
    return ns + " ns";
  }
  function width() { return plot.clientWidth; }
  function x(t) { return (t - view.from) / (view.to - view.from) * width(); }
  function time(px) { return view.from + px / width() * (view.to - view.from); }
  function y(lane) { return AXIS + lane * LANE + LANE / 2; }

  function labels() {
    var box = document.getElementById("labels");
    data.hosts.forEach(function (lane) {
      var div = document.createElement("div");
      div.className = "lane-label";
      div.textContent = lane.name;
      div.title = lane.name + ": " + lane.incarnations.length + " incarnation(s)";
      div.setAttribute("data-lane", lane.name);
      box.appendChild(div);
    });
  }

  function axis() {
    var span = view.to - view.from, step = Math.pow(10, Math.floor(Math.log10(span / 8)));
    if (span / step > 16) step *= 5; else if (span / step > 8) step *= 2;
    ctx.fillStyle = "#596273"; ctx.strokeStyle = "#e4e7ed"; ctx.font = "11px sans-serif";
    for (var t = Math.ceil(view.from / step) * step; t <= view.to; t += step) {
      var px = x(t);
      ctx.beginPath(); ctx.moveTo(px, AXIS - 6); ctx.lineTo(px, canvas.height); ctx.stroke();
      ctx.fillText(fmt(t), px + 3, 12);
    }
  }

  function lanes() {
    data.hosts.forEach(function (lane, index) {
      var top = AXIS + index * LANE;
      ctx.fillStyle = "#eceef2"; ctx.fillRect(0, top + 4, width(), LANE - 8);
      lane.incarnations.forEach(function (inc) {
        var a = Math.max(0, x(inc[0])), b = Math.min(width(), x(inc[1]));
        if (b < 0 || a > width()) return;
        ctx.fillStyle = inc[2] % 2 ? "#cfe3f7" : "#d7efd9";
        ctx.fillRect(a, top + 4, Math.max(1, b - a), LANE - 8);
        if (b - a > 24) { ctx.fillStyle = "#3d4b63"; ctx.font = "10px sans-serif"; ctx.fillText("#" + inc[2], a + 3, top + 15); }
      });
    });
  }

  function faults() {
    data.faults.forEach(function (fault) {
      var top = AXIS + fault.host * LANE, color = FAULT_COLORS[fault.kind] || "#a04080";
      if (fault.end_ns !== null) {
        var a = x(fault.time_ns), b = x(fault.end_ns);
        if (b < 0 || a > width()) return;
        ctx.fillStyle = color; ctx.globalAlpha = 0.35;
        ctx.fillRect(a, top + 2, Math.max(2, b - a), LANE - 4); ctx.globalAlpha = 1;
        return;
      }
      var px = x(fault.time_ns);
      if (px < -4 || px > width() + 4) return;
      ctx.fillStyle = color;
      ctx.beginPath(); ctx.moveTo(px, top + 2); ctx.lineTo(px - 4, top + 10); ctx.lineTo(px + 4, top + 10); ctx.fill();
    });
  }

  function messages() {
    var visible = data.messages.filter(function (m) {
      var stop = m[3] === null || m[3] > 1.8e19 ? m[2] : m[3];
      return stop >= view.from && m[2] <= view.to;
    });
    var step = Math.max(1, Math.ceil(visible.length / ARROWS_MAX));
    drawn = { arrows: 0, step: step, visible: visible.length };
    ctx.lineWidth = 1;
    for (var i = 0; i < visible.length; i += step) {
      var m = visible[i], lost = m[3] === null || m[3] > 1.8e19;
      var x1 = x(m[2]), y1 = y(m[0]), x2 = lost ? x1 + 8 : x(m[3]), y2 = lost ? y1 + (y(m[1]) > y1 ? 8 : -8) : y(m[1]);
      ctx.strokeStyle = lost ? "#c62828" : "rgba(40,70,140,0.55)";
      ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
      if (!lost) {
        var angle = Math.atan2(y2 - y1, x2 - x1);
        ctx.beginPath(); ctx.moveTo(x2, y2);
        ctx.lineTo(x2 - 6 * Math.cos(angle - 0.4), y2 - 6 * Math.sin(angle - 0.4));
        ctx.lineTo(x2 - 6 * Math.cos(angle + 0.4), y2 - 6 * Math.sin(angle + 0.4));
        ctx.fillStyle = ctx.strokeStyle; ctx.fill();
      }
      drawn.arrows++;
    }
  }

  function logTicks() {
    ctx.fillStyle = "#8893a6";
    logsByLane.forEach(function (list, lane) {
      var top = AXIS + lane * LANE + LANE - 7, last = -10;
      list.forEach(function (log) {
        var px = x(log.time_ns);
        if (px < 0 || px > width() || px - last < 2) return;
        last = px;
        ctx.fillStyle = log.level === "ERROR" ? "#c62828" : log.level === "WARN" ? "#e07020" : "#8893a6";
        ctx.fillRect(px, top, 1.5, 4);
      });
    });
  }

  function failure() {
    if (!data.failure) { mark.style.display = "none"; return; }
    var px = x(data.failure.time_ns), f = data.failure;
    ctx.strokeStyle = "#c62828"; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
    ctx.beginPath(); ctx.moveTo(px, AXIS); ctx.lineTo(px, canvas.height); ctx.stroke(); ctx.setLineDash([]);
    if (f.host !== null) { ctx.fillStyle = "rgba(198,40,40,0.25)"; ctx.fillRect(px - 6, AXIS + f.host * LANE, 12, LANE); }
    mark.style.display = px < 0 || px > width() ? "none" : "block";
    mark.style.left = px + "px";
    mark.style.top = (f.host === null ? AXIS : AXIS + f.host * LANE) + "px";
    mark.style.height = (f.host === null ? data.hosts.length * LANE : LANE) + "px";
  }

  function draw() {
    var ratio = window.devicePixelRatio || 1, w = width(), h = AXIS + data.hosts.length * LANE + 4;
    canvas.width = w * ratio; canvas.height = h * ratio;
    canvas.style.width = w + "px"; canvas.style.height = h + "px";
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    axis(); lanes(); faults(); messages(); logTicks(); failure();
    var zoom = document.getElementById("zoom-note");
    zoom.textContent = "showing " + fmt(Math.max(0, view.from)) + " to " + fmt(view.to) +
      (drawn.step > 1 ? "; thinned at this zoom: 1 arrow in " + drawn.step + " of " + drawn.visible + " drawn (zoom in for all)" : "");
    report();
  }

  function report() {
    status.setAttribute("data-rendered", "1");
    status.setAttribute("data-lanes", String(data.hosts.length));
    status.setAttribute("data-lane-names", data.hosts.map(function (l) { return l.name; }).join(","));
    status.setAttribute("data-messages", String(data.messages.length));
    status.setAttribute("data-arrows-drawn", String(drawn.arrows));
    status.setAttribute("data-faults", String(data.faults.length));
    status.setAttribute("data-logs", String(data.logs.length));
    status.setAttribute("data-failure", data.failure ? "1" : "0");
    status.setAttribute("data-errors", String(errors.length));
    status.textContent = errors.join("\n");
  }

  function zoomAt(px, factor) {
    var t = time(px), span = (view.to - view.from) * factor;
    span = Math.min(end * 1.05, Math.max(span, 100));
    view.from = t - (px / width()) * span; view.to = view.from + span;
    draw();
  }

  function near(px, py) {
    var lane = Math.floor((py - AXIS) / LANE), t = time(px), slack = (view.to - view.from) / width() * NEAR, lines = [];
    if (lane < 0 || lane >= data.hosts.length) return "";
    var host = data.hosts[lane];
    lines.push(host.name + " at " + fmt(Math.max(0, Math.round(t))));
    host.incarnations.forEach(function (inc) { if (t >= inc[0] && t <= inc[1]) lines.push("incarnation #" + inc[2] + " (" + fmt(inc[0]) + " to " + fmt(inc[1]) + ")"); });
    if (data.failure && Math.abs(data.failure.time_ns - t) <= slack * 2)
      lines.push("FAILED: " + data.failure.kind + " at " + data.failure.origin + "\n  " + data.failure.reason);
    data.faults.forEach(function (f) {
      if (f.host !== lane) return;
      var stop = f.end_ns === null ? f.time_ns : f.end_ns;
      if (t >= f.time_ns - slack && t <= stop + slack) lines.push(f.kind + " at " + fmt(f.time_ns) + (f.end_ns !== null ? " until " + fmt(f.end_ns) : ""));
    });
    var shown = 0;
    data.messages.forEach(function (m) {
      if (shown >= 5) return;
      var lost = m[3] === null || m[3] > 1.8e19;
      if ((m[0] === lane && Math.abs(m[2] - t) <= slack) || (!lost && m[1] === lane && Math.abs(m[3] - t) <= slack)) {
        lines.push(data.hosts[m[0]].name + " -> " + data.hosts[m[1]].name + ": " + m[4] + " bytes, sent " + fmt(m[2]) + (lost ? ", never delivered" : ", delivered " + fmt(m[3])));
        shown++;
      }
    });
    logsByLane[lane].forEach(function (log) {
      if (Math.abs(log.time_ns - t) <= slack && lines.length < 24) lines.push(fmt(log.time_ns) + " " + log.level + " " + log.text);
    });
    return lines.join("\n");
  }

  var dragging = null;
  plot.addEventListener("wheel", function (event) {
    event.preventDefault();
    zoomAt(event.offsetX, event.deltaY > 0 ? 1.25 : 0.8);
  }, { passive: false });
  plot.addEventListener("mousedown", function (event) { dragging = { x: event.clientX, from: view.from, to: view.to }; plot.style.cursor = "grabbing"; });
  window.addEventListener("mouseup", function () { dragging = null; plot.style.cursor = "grab"; });
  window.addEventListener("mousemove", function (event) {
    if (dragging) {
      var shift = (event.clientX - dragging.x) / width() * (dragging.to - dragging.from);
      view.from = dragging.from - shift; view.to = dragging.to - shift; draw(); return;
    }
    var box = plot.getBoundingClientRect();
    var px = event.clientX - box.left, py = event.clientY - box.top;
    var text = px >= 0 && py >= 0 && px <= box.width && py <= box.height ? near(px, py) : "";
    tooltip.style.display = text ? "block" : "none";
    if (text) { tooltip.textContent = text; tooltip.style.left = (event.clientX + 14) + "px"; tooltip.style.top = (event.clientY + 14) + "px"; }
  });
  document.getElementById("fit").onclick = function () { view = fit(); draw(); };
  document.getElementById("zoom-in").onclick = function () { zoomAt(width() / 2, 0.5); };
  document.getElementById("zoom-out").onclick = function () { zoomAt(width() / 2, 2); };
  document.getElementById("to-failure").onclick = function () {
    if (!data.failure) return;
    var span = Math.max(1e6, end / 50);
    view = { from: data.failure.time_ns - span * 0.8, to: data.failure.time_ns + span * 0.2 }; draw();
  };
  window.addEventListener("resize", draw);
  labels();
  draw();
})();
