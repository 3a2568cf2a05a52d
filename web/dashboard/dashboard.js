// Keuzespiegel advisor dashboard: polls the workshop summary every 5 s and draws inline SVG charts.
// No libraries, no CDN; all text goes in through textContent (never innerHTML).
"use strict";

(function () {
  const REFRESH_MS = 5000;
  const API = "/dashboard/api/workshops";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const COLOR = /^#[0-9a-fA-F]{6}$/; // persona colours come with the summary (personas/*.yml)

  const $ = (id) => document.getElementById(id);
  let current = null;
  let timer = null;

  function el(tag, attrs, parent, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = String(text);
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(tag, className, parent, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    if (parent) parent.appendChild(node);
    return node;
  }

  // A persona's colour as an SVG fill attribute, or a CSS class when the summary gives none.
  function personaFill(p) {
    return COLOR.test(p.color || "") ? { fill: p.color } : { class: "bar-unknown" };
  }

  function decimal(value) {
    return value.toFixed(1).replace(".", ",");
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function status(text) {
    $("status").textContent = text;
  }

  async function api(path, options) {
    const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
    if (response.status === 401) {
      window.location.reload(); // shows the login form
      throw new Error("niet ingelogd");
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || "fout " + response.status);
    return body;
  }

  // ---- workshops ------------------------------------------------------------------------------

  async function loadWorkshops(select) {
    const data = await api(API);
    const box = $("ws-select");
    while (box.options.length > 1) box.remove(1);
    for (const w of data.workshops) {
      const option = document.createElement("option");
      option.value = w.code;
      option.textContent = w.code + " - " + w.name;
      box.appendChild(option);
    }
    const wanted = select || window.location.hash.slice(1).toUpperCase();
    if (wanted && data.workshops.some((w) => w.code === wanted)) {
      box.value = wanted;
      choose(wanted);
    }
  }

  function choose(code) {
    current = code || null;
    if (timer) clearInterval(timer);
    $("main").hidden = !current;
    $("empty").hidden = !!current;
    if (!current) return;
    if (window.location.hash.slice(1) !== current) history.replaceState(null, "", "#" + current);
    const base = API + "/" + encodeURIComponent(current);
    $("dl-csv").href = base + "/export.csv";
    $("dl-png").href = base + "/report.png";
    $("dl-pdf").href = base + "/report.pdf";
    refresh();
    timer = setInterval(refresh, REFRESH_MS);
  }

  async function refresh() {
    if (!current) return;
    const code = current;
    try {
      const summary = await api(API + "/" + encodeURIComponent(code) + "/summary");
      if (code !== current) return;
      render(summary);
      status("Bijgewerkt om " + new Date().toLocaleTimeString("nl-NL"));
    } catch (error) {
      status("Kon de cijfers niet ophalen (" + error.message + "), nieuwe poging over 5 seconden.");
    }
  }

  // ---- rendering ------------------------------------------------------------------------------

  function render(s) {
    $("join-code").textContent = s.workshop.code;
    $("join-link").textContent = s.workshop.open ? s.workshop.link : "Gesloten: nieuwe leerlingen kunnen niet meer meedoen";
    $("workshop-name").textContent = s.workshop.name;
    $("ws-state").textContent = s.workshop.open ? "Open" : "Gesloten";
    $("ws-state").className = "state " + (s.workshop.open ? "open" : "closed");
    $("ws-close").hidden = !s.workshop.open;
    $("n-started").textContent = s.started;
    $("n-finished").textContent = s.finished;
    $("n-progress").textContent = s.in_progress;
    let note = "Anoniem: aantallen onder de " + s.min_count + " staan als \u201c<" + s.min_count + "\u201d, " +
      "en de grafieken schuiven per " + s.min_count + " leerlingen die klaar zijn";
    note += s.shown !== s.finished ? " (nu: de eerste " + s.shown + " van " + s.finished + ")." : ".";
    if (s.demo_left_out) note += " Demo-gesprekken tellen niet mee (" + s.demo_left_out + ").";
    $("privacy").textContent = note;
    drawPersonas(s);
    drawScatter(s);
    drawFeedback(s);
    drawQuestions(s);
    drawDemoButtons(s.workshop);
  }

  function drawPersonas(s) {
    const svg = $("persona-chart");
    clear(svg);
    if (!s.group_large_enough) {
      el("text", { x: 260, y: 150, "text-anchor": "middle", class: "hint" }, svg,
        "Nog minder dan " + s.min_count + " leerlingen klaar");
      return;
    }
    // A count below the minimum arrives as "<3": drawn as a small grey stub, never at its true size.
    const max = Math.max(1, ...s.personas.map((p) => (typeof p.count === "number" ? p.count : 0)));
    const rowHeight = 300 / s.personas.length;
    s.personas.forEach((p, i) => {
      const y = i * rowHeight + rowHeight / 2;
      const known = typeof p.count === "number";
      const width = known ? (p.count / max) * 330 : 14;
      el("text", { x: 90, y: y + 10, "text-anchor": "end", class: "bar-name" }, svg, p.name);
      el("rect", Object.assign({ x: 105, y: y - 28, width: Math.max(width, 2), height: 56, rx: 6 },
        known ? personaFill(p) : { class: "bar-hidden" }), svg);
      el("text", { x: 115 + width, y: y + 12, class: "bar-count" }, svg, p.count);
    });
  }

  function drawScatter(s) {
    const svg = $("scatter-chart");
    clear(svg);
    const m = { left: 60, right: 20, top: 20, bottom: 60 };
    const w = 520 - m.left - m.right;
    const h = 440 - m.top - m.bottom;
    const x = (v) => m.left + v * w;
    const y = (v) => m.top + (1 - v) * h;
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      el("line", { x1: x(t), x2: x(t), y1: y(0), y2: y(1), class: "grid" }, svg);
      el("line", { x1: x(0), x2: x(1), y1: y(t), y2: y(t), class: "grid" }, svg);
    }
    el("rect", { x: x(0), y: y(1), width: w, height: h, class: "frame" }, svg);
    // One name per score: the labels pupils read (content/questionnaire.yml), sent with the summary.
    const labels = s.dimensions || {};
    el("text", { x: m.left + w / 2, y: 440 - 15, "text-anchor": "middle", class: "axis" }, svg,
      (labels.exploration || "exploration") + " \u2192");
    el("text", { x: 20, y: m.top + h / 2, "text-anchor": "middle", class: "axis",
      transform: "rotate(-90 20 " + (m.top + h / 2) + ")" }, svg, (labels.commitment || "commitment") + " \u2192");
    for (const p of s.points) {
      el("circle", { cx: x(p.exploration), cy: y(p.commitment), r: 9, class: "point" }, svg);
    }
    for (const p of s.personas) {
      if (typeof p.exploration !== "number" || typeof p.commitment !== "number") continue;
      const cx = x(p.exploration);
      const cy = y(p.commitment);
      el("path", Object.assign({ d: star(cx, cy, 16, 7), class: "persona" }, personaFill(p)), svg);
      el("text", { x: cx + (p.exploration > 0.8 ? -20 : 20), y: cy - 14,
        "text-anchor": p.exploration > 0.8 ? "end" : "start", class: "persona-name" }, svg, p.name);
    }
    if (!s.group_large_enough) {
      el("text", { x: m.left + w / 2, y: m.top + h / 2, "text-anchor": "middle", class: "hint" }, svg,
        "Punten verschijnen vanaf " + s.min_count + " leerlingen");
    }
  }

  // "Herken je jezelf?": the mean rating and how often each rating was given, only from 3 ratings on.
  // The pupils' own words never reach the dashboard; only how many ratings came with some.
  function drawFeedback(s) {
    const f = s.feedback;
    const chart = $("fb-chart");
    const list = $("fb-personas");
    clear(chart);
    clear(list);
    const enough = !!(f && f.enough);
    $("fb-figures").hidden = !enough;
    $("fb-empty").hidden = enough;
    if (!enough) {
      $("fb-empty").textContent = "Nog minder dan " + (f ? f.min_count : s.min_count) + " leerlingen gaven een cijfer.";
      $("fb-note").textContent = "";
      return;
    }
    $("fb-mean").textContent = decimal(f.mean);
    const ratings = ["1", "2", "3", "4", "5"];
    const numbers = ratings.map((r) => (typeof f.counts[r] === "number" ? f.counts[r] : 0));
    const max = Math.max(1, ...numbers);
    const slot = 520 / ratings.length;
    ratings.forEach((r, i) => {
      const count = f.counts[r];
      const known = typeof count === "number";
      const height = known ? (count / max) * 130 : 10;
      const x = i * slot + slot / 2;
      el("rect", { x: x - 30, y: 160 - Math.max(height, 2), width: 60, height: Math.max(height, 2), rx: 4,
        class: known ? "bar" : "bar-hidden" }, chart);
      el("text", { x: x, y: 150 - height, "text-anchor": "middle", class: known ? "count" : "count hidden-count" },
        chart, count);
      el("text", { x: x, y: 190, "text-anchor": "middle", class: "axis" }, chart, r);
    });
    const names = Object.fromEntries(s.personas.map((p) => [p.id, p]));
    for (const entry of f.personas) {
      const persona = names[entry.id] || { id: entry.id, name: entry.id };
      const item = html("li", "", list);
      const swatch = el("svg", { class: "swatch", viewBox: "0 0 10 10", "aria-hidden": "true" }, item);
      el("circle", Object.assign({ cx: 5, cy: 5, r: 5 }, personaFill(persona)), swatch);
      item.appendChild(document.createTextNode(persona.name + ": "));
      html("strong", "", item, entry.mean === null ? "<" + f.min_count : decimal(entry.mean));
    }
    let note = "Over " + f.rated + " cijfers; ze schuiven per " + f.min_count + " mee.";
    note += " Met een toelichting erbij: " + f.with_text + ".";
    $("fb-note").textContent = note;
  }

  function star(cx, cy, outer, inner) {
    const points = [];
    for (let i = 0; i < 10; i++) {
      const r = i % 2 === 0 ? outer : inner;
      const a = Math.PI / 5 * i - Math.PI / 2;
      points.push((cx + r * Math.cos(a)).toFixed(1) + "," + (cy + r * Math.sin(a)).toFixed(1));
    }
    return "M" + points.join("L") + "Z";
  }

  function drawQuestions(s) {
    const box = $("questions");
    clear(box);
    for (const q of s.questions) {
      const card = html("div", "card question", box);
      html("h3", "", card, q.text);
      if (q.multi) html("div", "note", card, "Meer antwoorden mogelijk");
      const rowHeight = 34;
      const svg = el("svg", { viewBox: "0 0 520 " + q.options.length * rowHeight, role: "img",
        "aria-label": q.text }, card);
      const numbers = q.options.map((o) => (typeof o.count === "number" ? o.count : 0));
      const max = Math.max(1, ...numbers);
      q.options.forEach((o, i) => {
        const y = i * rowHeight;
        const label = el("text", { x: 225, y: y + 22, "text-anchor": "end", class: "option" }, svg,
          shorten(o.label, 25));
        el("title", {}, label, o.label);
        if (typeof o.count === "number") {
          const width = (o.count / max) * 240;
          el("rect", { x: 235, y: y + 5, width: Math.max(width, 1), height: 24, rx: 4, class: "bar" }, svg);
          el("text", { x: 243 + width, y: y + 23, class: "count" }, svg, o.count);
        } else {
          el("rect", { x: 235, y: y + 5, width: 14, height: 24, rx: 4, class: "bar-hidden" }, svg);
          el("text", { x: 257, y: y + 23, class: "count hidden-count" }, svg, o.count);
        }
      });
    }
  }

  function shorten(text, max) {
    return text.length > max ? text.slice(0, max - 1) + "\u2026" : text;
  }

  function drawDemoButtons(workshop) {
    const box = $("demo-buttons");
    if (box.dataset.code === workshop.code) return;
    box.dataset.code = workshop.code;
    clear(box);
    for (const demo of workshop.demo_links) {
      const a = html("a", "button demo", box, demo.label);
      a.href = demo.url;
      a.target = "_blank";
      a.rel = "noopener";
    }
  }

  // ---- wiring ---------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("ws-select").addEventListener("change", (event) => choose(event.target.value));
    $("ws-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = $("ws-name").value.trim();
      if (!name) return;
      try {
        const created = await api(API, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ name: name }),
        });
        $("ws-name").value = "";
        await loadWorkshops(created.code);
        status("Workshop " + created.code + " aangemaakt.");
      } catch (error) {
        status("Aanmaken lukte niet: " + error.message);
      }
    });
    $("ws-close").addEventListener("click", async () => {
      if (!current) return;
      const code = current;
      if (!window.confirm("Workshop " + code + " sluiten? Nieuwe leerlingen kunnen dan niet meer meedoen. " +
        "De cijfers blijven staan.")) return;
      try {
        await api(API + "/" + encodeURIComponent(code) + "/close", { method: "POST" });
        status("Workshop " + code + " is gesloten.");
        refresh();
      } catch (error) {
        status("Sluiten lukte niet: " + error.message);
      }
    });
    window.addEventListener("hashchange", () => {
      const code = window.location.hash.slice(1).toUpperCase();
      if (code && code !== current) {
        $("ws-select").value = code;
        choose(code);
      }
    });
    loadWorkshops().catch((error) => status("Kon de workshops niet laden: " + error.message));
  });
})();
