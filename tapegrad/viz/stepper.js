/* tapegrad backprop stepper: steps through the forward and backward passes of
   one computation graph.  Reads its data from the JSON in #tapegrad-data;
   draws with the inline Graphviz SVG when present, else with a simple layered
   layout of its own.  State lives in the DOM for tests: #app carries
   data-mode, data-step and data-current-node; #adjoint shows the current
   adjoint (data-value holds the full number). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("tapegrad-data").textContent);
  var app = document.getElementById("app");
  var state = { mode: "backward", step: 0, timer: null };
  var SVGNS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* ---- fallback layout: rank = longest path from the leaves ---- */
  function drawFallback(container) {
    var nodes = data.nodes, rank = [], byRank = {}, maxRank = 0;
    nodes.forEach(function (n, i) {
      var r = 0;
      n.args.forEach(function (a) { r = Math.max(r, rank[a] + 1); });
      rank[i] = r;
      (byRank[r] = byRank[r] || []).push(i);
      maxRank = Math.max(maxRank, r);
    });
    var W = 150, H = 78, pos = [], width = 0;
    for (var r = 0; r <= maxRank; r++) {
      (byRank[r] || []).forEach(function (i, j) {
        pos[i] = { x: 70 + j * W, y: 20 + r * H };
        width = Math.max(width, 70 + (j + 1) * W);
      });
    }
    var svg = el("svg", { width: width, height: 40 + (maxRank + 1) * H, id: "graph-svg" });
    nodes.forEach(function (n, i) {
      n.args.forEach(function (a, k) {
        var tx = pos[i].x + (k + 1) * 90 / (n.args.length + 1);
        svg.appendChild(el("line", { x1: pos[a].x + 45, y1: pos[a].y + 30, x2: tx, y2: pos[i].y,
          "class": "edge-line", "marker-end": "url(#arrow)" }));
      });
    });
    var defs = el("defs", {});
    var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
      markerWidth: 6, markerHeight: 6, orient: "auto" });
    marker.appendChild(el("path", { d: "M0,0 L10,5 L0,10 z" }));
    defs.appendChild(marker);
    svg.insertBefore(defs, svg.firstChild);
    nodes.forEach(function (n, i) {
      var g = el("g", { id: "n" + i, "class": "node" });
      g.appendChild(el("title", {}, "n" + i));
      g.appendChild(el("text", { x: pos[i].x - 6, y: pos[i].y + 20, "text-anchor": "end",
        "class": "varname" }, n.name));
      g.appendChild(el("polygon", { points: [pos[i].x, pos[i].y, pos[i].x + 90, pos[i].y,
        pos[i].x + 90, pos[i].y + 30, pos[i].x, pos[i].y + 30].join(" "), fill: "#ffffff",
        stroke: "#000000" }));
      g.appendChild(el("text", { x: pos[i].x + 45, y: pos[i].y + 20, "text-anchor": "middle" },
        n.op));
      svg.appendChild(g);
    });
    container.appendChild(svg);
  }

  function frames() { return state.mode === "forward" ? data.forward : data.backward; }

  function fmt(v) {
    if (v === null || v === undefined) return "?";
    if (typeof v === "string") return v;
    return Number(v.toPrecision(6)).toString();
  }

  function render() {
    var fr = frames(), f = fr[state.step];
    app.setAttribute("data-mode", state.mode);
    app.setAttribute("data-step", String(state.step));
    app.setAttribute("data-current-node", f.name);
    document.getElementById("step-counter").textContent =
      (state.mode === "forward" ? "forward" : "backward") + " step " + (state.step + 1) +
      " of " + fr.length;
    document.getElementById("btn-forward").classList.toggle("active", state.mode === "forward");
    document.getElementById("btn-backward").classList.toggle("active", state.mode === "backward");
    var done = {};
    if (state.mode === "backward") f.done.forEach(function (n) { done[n] = true; });
    else for (var s = 0; s <= state.step; s++) done[fr[s].name] = true;
    data.nodes.forEach(function (n, i) {
      var g = document.getElementById("n" + i);
      if (!g) return;
      g.classList.toggle("current", i === f.node);
      g.classList.toggle("done", !!done[n.name] && i !== f.node);
    });
    var text = document.getElementById("current-text");
    var adj = document.getElementById("adjoint");
    var edges = document.getElementById("edges");
    edges.innerHTML = "";
    text.textContent = f.text;
    if (state.mode === "forward") {
      adj.textContent = f.name + " = " + fmt(f.value);
      adj.setAttribute("data-value", String(f.value));
    } else {
      adj.textContent = "g_" + f.name + " = " + fmt(f.adjoint);
      adj.setAttribute("data-value", String(f.adjoint));
      f.edges.forEach(function (e) {
        var li = document.createElement("li");
        li.textContent = "to " + e.to_name + ": local partial " + e.partial +
          (e.partial_value !== null ? " = " + fmt(e.partial_value) : "") +
          ", sends g_" + f.name + " \u00d7 partial = " + fmt(e.contribution);
        edges.appendChild(li);
      });
    }
    renderTable(f, done);
  }

  function renderTable(f, done) {
    var body = document.getElementById("adjoint-rows");
    body.innerHTML = "";
    data.nodes.forEach(function (n) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-name", n.name);
      var val = "", parts = "";
      if (state.mode === "forward") {
        val = done[n.name] ? fmt(n.value) : "";
      } else if (n.requires_grad) {
        var got = f.accumulated[n.name] || [];
        parts = got.map(function (r) { return fmt(r.value) + " (from " + r.from + ")"; })
          .join(" + ");
        if (n.name === data.output) parts = "1 (seed)";
        val = done[n.name] ? fmt(n.grad) : (got.length ? "\u2026" : "");
      }
      [n.name, n.op, parts, val].forEach(function (t) {
        var td = document.createElement("td");
        td.textContent = t;
        tr.appendChild(td);
      });
      if (done[n.name]) tr.className = "done";
      if (n.name === f.name) tr.className = "current";
      body.appendChild(tr);
    });
    document.getElementById("col-parts").textContent =
      state.mode === "forward" ? "" : "partial adjoints received";
    document.getElementById("col-total").textContent =
      state.mode === "forward" ? "value" : "adjoint g";
  }

  function go(step) {
    var n = frames().length;
    state.step = Math.max(0, Math.min(n - 1, step));
    render();
  }

  function stop() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
    document.getElementById("btn-play").textContent = "Play";
  }

  function play() {
    if (state.timer) { stop(); return; }
    if (state.step >= frames().length - 1) go(0);
    document.getElementById("btn-play").textContent = "Pause";
    state.timer = setInterval(function () {
      if (state.step >= frames().length - 1) { stop(); return; }
      go(state.step + 1);
    }, 900);
  }

  function setMode(mode) { stop(); state.mode = mode; go(0); }

  var container = document.getElementById("graph");
  if (!container.querySelector("svg")) drawFallback(container);
  document.getElementById("btn-forward").addEventListener("click", function () { setMode("forward"); });
  document.getElementById("btn-backward").addEventListener("click", function () { setMode("backward"); });
  document.getElementById("btn-back").addEventListener("click", function () { stop(); go(state.step - 1); });
  document.getElementById("btn-next").addEventListener("click", function () { stop(); go(state.step + 1); });
  document.getElementById("btn-play").addEventListener("click", play);
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowRight") { stop(); go(state.step + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft") { stop(); go(state.step - 1); ev.preventDefault(); }
    else if (ev.key === " ") { play(); ev.preventDefault(); }
  });
  render();
})();
