/*
 * Keuzespiegel web chat widget. Vanilla JS, no dependencies, no build step.
 *
 * Embed with ONE script tag:
 *   <script src="https://<server>/widget/keuzespiegel.js" data-bot-url="https://<rasa>"
 *           data-workshop="" data-primary-color="#0b5394" data-title="Keuzespiegel" defer></script>
 * The page URL may add ?workshop=CODE and ?demo=joost|luuk|tim.
 *
 * Talks to Rasa's REST channel (docs/architecture.md). All message text is rendered with
 * textContent, never as HTML. The widget lives in an open shadow root so school site styles
 * do not leak in (and ours do not leak out).
 */
(function () {
  "use strict";

  const script = document.currentScript || document.querySelector('script[src*="keuzespiegel.js"]');
  if (!script || window.__keuzespiegelLoaded) {
    return;
  }
  window.__keuzespiegelLoaded = true;

  const REQUEST_TIMEOUT_MS = 15000;
  // How often a message that got "busy" (429 with Retry-After) is sent again before the pupil sees an error.
  const BUSY_RETRIES = 3;
  const DEMO_DELAY_MS = 700;
  const ID = /^[a-z][a-z0-9_-]{0,31}$/; // persona ids come from the server (personas/*.yml), never from here
  const DEFAULT_PRIMARY = "#0b5394";
  const SVG_NS = "http://www.w3.org/2000/svg";

  const TEXT = {
    launcher: "Chat met Keuzespiegel",
    restart: "Opnieuw beginnen",
    close: "Sluiten",
    inputLabel: "Je bericht",
    placeholder: "Typ je antwoord…",
    send: "Verstuur",
    typing: "Keuzespiegel typt…",
    error: "Het lukt nu even niet om de chatbot te bereiken. Probeer het zo nog eens.",
    retry: "Opnieuw proberen",
    demo: "DEMO",
    demoExplain: "antwoorden van ",
    introWhat: "Je beantwoordt zo'n tien korte vragen. Daarna zie je op wie van drie oud-studenten je lijkt.",
    introStored: "Je antwoorden worden zonder naam bewaard en na een tijdje gewist. ",
    privacy: "Lees meer over je privacy",
    multiGroup: "Kies één of meer antwoorden, en dan Klaar",
    multiDone: "Klaar",
    keepTitle: "Bewaar je uitkomst",
    keepText: "Print je uitkomst, of bewaar hem als PDF. Handig voor een gesprek met je mentor of decaan.",
    keepOpen: "Mijn keuzespiegel",
    keepPdf: "Download als PDF",
    keepError: "Je uitkomst bewaren lukt nu even niet.",
    progress: (index, total, phase) => {
      return "Vraag " + index + " van " + total + (phase ? " · " + phase : "");
    },
  };

  // ---------- configuration ----------

  const params = new URLSearchParams(window.location.search);
  const baseUrl = new URL(".", script.src).href;
  const botUrl = (script.getAttribute("data-bot-url") || "http://localhost:5005").replace(/\/+$/, "");
  const title = script.getAttribute("data-title") || "Keuzespiegel";
  const primary = validColor(script.getAttribute("data-primary-color")) || DEFAULT_PRIMARY;
  const urlDemo = (params.get("demo") || "").toLowerCase();
  const urlWorkshop = cleanWorkshop(params.get("workshop") || script.getAttribute("data-workshop") || "");
  const STORAGE_KEY = "keuzespiegel:v1:" + botUrl;
  const PRIVACY_URL = new URL("../info/privacy.html", baseUrl).href;
  const RESULT_API = new URL("../api/mijn-keuzespiegel", baseUrl).href;

  function cleanWorkshop(code) {
    code = String(code || "").trim().toUpperCase();
    return /^[A-Z0-9_-]{1,32}$/.test(code) ? code : "";
  }

  function validColor(value) {
    value = String(value || "").trim();
    if (/^#[0-9a-fA-F]{6}$/.test(value)) return value.toLowerCase();
    if (/^#[0-9a-fA-F]{3}$/.test(value)) {
      return ("#" + value[1] + value[1] + value[2] + value[2] + value[3] + value[3]).toLowerCase();
    }
    return null;
  }

  // WCAG relative luminance and contrast ratio, used to pick readable text on the school's colour.
  function luminance(hex) {
    const rgb = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  }

  function contrast(a, b) {
    const la = luminance(a);
    const lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  // ---------- state (sessionStorage) ----------

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.prototype.map
      .call(bytes, (b) => {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function freshState(keep) {
    return {
      sender: newId(),
      items: [],
      progress: null,
      started: false,
      open: keep ? keep.open : false,
      workshop: keep ? keep.workshop : "",
      demo: keep ? keep.demo : "",
    };
  }

  function loadState() {
    try {
      const raw = window.sessionStorage.getItem(STORAGE_KEY);
      if (raw) {
        const parsed = JSON.parse(raw);
        if (parsed && typeof parsed.sender === "string" && Array.isArray(parsed.items)) {
          return parsed;
        }
      }
    } catch (e) {
      /* storage blocked or corrupt: start fresh */
    }
    return freshState(null);
  }

  function saveState() {
    try {
      window.sessionStorage.setItem(
        STORAGE_KEY,
        JSON.stringify(state, (key, value) => {
          return key.charAt(0) === "_" ? undefined : value; // DOM references stay out
        })
      );
    } catch (e) {
      /* private mode or full: the chat still works, it just is not restored */
    }
  }

  let state = loadState();
  if (urlWorkshop) state.workshop = urlWorkshop;
  if (ID.test(urlDemo)) state.demo = urlDemo;
  saveState();

  // ---------- DOM helpers ----------

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach((key) => {
        if (attrs[key] !== null && attrs[key] !== undefined) node.setAttribute(key, attrs[key]);
      });
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach((key) => {
      node.setAttribute(key, String(attrs[key]));
    });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function num(value) {
    const n = Number(value);
    if (!isFinite(n)) return 0;
    return Math.min(1, Math.max(0, n));
  }

  function pct(value) {
    return Math.round(num(value) * 100) + "%";
  }

  // ---------- build the widget ----------

  const host = el("div", { id: "keuzespiegel-widget" });
  const root = host.attachShadow({ mode: "open" });
  const style = el("link", { rel: "stylesheet", href: baseUrl + "keuzespiegel.css" });
  root.appendChild(style);

  const onPrimary = contrast(primary, "#ffffff") >= 4.5 ? "#ffffff" : "#111111";
  host.style.setProperty("--ks-primary", primary);
  host.style.setProperty("--ks-on-primary", onPrimary);

  const launcher = el("button", {
    type: "button",
    class: "ks-launcher",
    "aria-expanded": "false",
    "aria-controls": "ks-panel",
    "data-testid": "launcher",
  });
  const icon = svg("svg", { viewBox: "0 0 24 24", width: 22, height: 22, "aria-hidden": "true", class: "ks-launcher-icon" });
  icon.appendChild(
    svg("path", {
      d: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
      fill: "currentColor",
    })
  );
  launcher.appendChild(icon);
  launcher.appendChild(el("span", { class: "ks-launcher-text" }, TEXT.launcher));

  const panel = el("section", {
    id: "ks-panel",
    class: "ks-panel",
    role: "dialog",
    "aria-modal": "false",
    "aria-labelledby": "ks-title",
    "data-testid": "panel",
    hidden: "",
  });

  const header = el("header", { class: "ks-header" });
  const titleBox = el("div", { class: "ks-title-box" });
  titleBox.appendChild(el("h2", { id: "ks-title", class: "ks-title" }, title));
  const progressLine = el("p", { class: "ks-progress", "data-testid": "progress" });
  titleBox.appendChild(progressLine);
  header.appendChild(titleBox);
  const restartButton = el("button", { type: "button", class: "ks-restart", "data-testid": "restart" }, TEXT.restart);
  header.appendChild(restartButton);
  const closeButton = el("button", {
    type: "button",
    class: "ks-close",
    "aria-label": TEXT.close,
    "data-testid": "close",
  });
  closeButton.appendChild(el("span", { "aria-hidden": "true" }, "×"));
  header.appendChild(closeButton);
  panel.appendChild(header);

  const demoBanner = el("p", { class: "ks-demo", "data-testid": "demo-banner", hidden: "" });
  panel.appendChild(demoBanner);

  const scroller = el("div", { class: "ks-scroller" });
  // The first screen: what will happen and what is stored, before the first question.
  const intro = el("div", { class: "ks-intro-box", "data-testid": "intro" });
  intro.appendChild(el("p", null, TEXT.introWhat));
  const stored = el("p", null, TEXT.introStored);
  stored.appendChild(
    el("a", { href: PRIVACY_URL, target: "_blank", rel: "noopener", "data-testid": "privacy-link" }, TEXT.privacy)
  );
  stored.appendChild(document.createTextNode("."));
  intro.appendChild(stored);
  scroller.appendChild(intro);
  const log = el("div", {
    class: "ks-log",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": "Gesprek",
    "data-testid": "messages",
  });
  scroller.appendChild(log);
  const typing = el("div", { class: "ks-typing", "data-testid": "typing", hidden: "" });
  typing.appendChild(el("span", { class: "ks-sr-only" }, TEXT.typing));
  for (let d = 0; d < 3; d++) typing.appendChild(el("span", { class: "ks-dot", "aria-hidden": "true" }));
  scroller.appendChild(typing);
  const errorBox = el("div", { class: "ks-error", role: "alert", "data-testid": "error", hidden: "" });
  const errorText = el("p", null, TEXT.error);
  const retryButton = el("button", { type: "button", class: "ks-retry", "data-testid": "retry" }, TEXT.retry);
  errorBox.appendChild(errorText);
  errorBox.appendChild(retryButton);
  scroller.appendChild(errorBox);
  panel.appendChild(scroller);

  const form = el("form", { class: "ks-form", "data-testid": "form" });
  form.setAttribute("novalidate", "");
  const inputLabel = el("label", { for: "ks-input", class: "ks-sr-only" }, TEXT.inputLabel);
  const input = el("input", {
    id: "ks-input",
    class: "ks-input",
    type: "text",
    autocomplete: "off",
    maxlength: "1000",
    placeholder: TEXT.placeholder,
    "data-testid": "input",
  });
  const sendButton = el("button", { type: "submit", class: "ks-send", "data-testid": "send" }, TEXT.send);
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendButton);
  panel.appendChild(form);

  root.appendChild(launcher);
  root.appendChild(panel);

  // ---------- rendering ----------

  let busy = false;
  let pending = null; // {message, display, unlocked: [items]} of the request that failed, for "Opnieuw proberen"
  let demoAnswers = null;
  let demoTimer = null;

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function renderProgress() {
    const p = state.progress;
    if (p && p.total) {
      progressLine.textContent = TEXT.progress(p.index, p.total, p.phase);
      progressLine.hidden = false;
      progressLine.setAttribute("data-question", p.question || "");
    } else {
      progressLine.textContent = "";
      progressLine.hidden = true;
      progressLine.removeAttribute("data-question");
    }
  }

  function renderDemoBanner() {
    if (state.demo) {
      const name = state.demo.charAt(0).toUpperCase() + state.demo.slice(1);
      demoBanner.textContent = "";
      demoBanner.appendChild(el("strong", null, TEXT.demo));
      demoBanner.appendChild(document.createTextNode(" · " + TEXT.demoExplain + name));
      demoBanner.hidden = false;
    } else {
      demoBanner.hidden = true;
    }
  }

  function bubble(who, text) {
    const row = el("div", { class: "ks-row ks-row-" + who });
    const b = el("p", { class: "ks-bubble ks-" + who, "data-testid": who === "bot" ? "bot-message" : "user-message" });
    if (who === "bot") b.appendChild(el("span", { class: "ks-sr-only" }, title + ": "));
    else b.appendChild(el("span", { class: "ks-sr-only" }, "Jij: "));
    b.appendChild(el("span", { class: "ks-text" }, text));
    row.appendChild(b);
    return row;
  }

  function isDontKnow(payload) {
    return /\.dont_know$/.test(optionOf(payload) || "");
  }

  function multiPayload(item) {
    const ids = item.selected.map((i) => {
      return (optionOf(item.buttons[i].payload) || "").split(".").slice(1).join(".");
    });
    // Written exactly like the bot's own button payloads (bot/core/turn.py button_payload).
    return '/inform{"option": ' + JSON.stringify(item.question + "." + ids.join(",")) + "}";
  }

  function sendMulti(item) {
    if (item.used || busy || !item.selected.length) return;
    const titles = item.selected.map((i) => {
      return item.buttons[i].title;
    });
    send(multiPayload(item), titles.join("; "), { buttons: item, chosen: -1 });
  }

  // A question that allows several answers: the options toggle, "Klaar" sends them together.
  // "Weet ik niet" still answers at once.
  function renderMultiButtons(item) {
    const group = el("div", { class: "ks-quick ks-multi", role: "group", "aria-label": TEXT.multiGroup, "data-testid": "quick-replies" });
    const done = el("button", { type: "button", class: "ks-quick-reply ks-done", "data-testid": "multi-done" }, TEXT.multiDone);
    item.buttons.forEach((button, i) => {
      const direct = isDontKnow(button.payload);
      const b = el(
        "button",
        {
          type: "button",
          class: "ks-quick-reply" + (direct ? "" : " ks-toggle"),
          "data-testid": "quick-reply",
          "data-payload": button.payload,
          "aria-pressed": direct ? null : "false",
        },
        button.title
      );
      b.addEventListener("click", (event) => {
        if (item.used || busy) return;
        if (direct) {
          send(button.payload, button.title, { buttons: item, chosen: i });
          if (event.detail === 0) input.focus();
          return;
        }
        const at = item.selected.indexOf(i);
        if (at >= 0) item.selected.splice(at, 1);
        else item.selected.push(i);
        item.selected.sort((a, c) => {
          return a - c;
        });
        updateButtons(item);
        saveState();
      });
      group.appendChild(b);
    });
    done.addEventListener("click", (event) => {
      sendMulti(item);
      if (event.detail === 0) input.focus();
    });
    group.appendChild(done);
    item._el = group;
    updateButtons(item);
    return group;
  }

  function renderButtons(item) {
    if (item.multi) return renderMultiButtons(item);
    const scale = item.buttons.every((button) => {
      return /^\/(skip_)?feedback\b/.test(button.payload);
    });
    const group = el("div", {
      class: "ks-quick" + (scale ? " ks-scale" : ""),
      role: "group",
      "aria-label": "Kies een antwoord",
      "data-testid": "quick-replies",
    });
    item.buttons.forEach((button, i) => {
      const b = el(
        "button",
        { type: "button", class: "ks-quick-reply", "data-testid": "quick-reply", "data-payload": button.payload },
        button.title
      );
      b.disabled = !!item.used;
      if (item.used && item.chosen === i) b.classList.add("ks-chosen");
      b.addEventListener("click", (event) => {
        if (item.used || busy) return;
        send(button.payload, button.title, { buttons: item, chosen: i });
        // The button is now disabled and loses focus; keyboard users go on in the text field.
        // (Not after a tap: that would pop up the phone's keyboard.)
        if (event.detail === 0) input.focus();
      });
      group.appendChild(b);
    });
    item._el = group;
    return group;
  }

  function updateButtons(item) {
    if (!item._el) return;
    if (item.multi) {
      Array.prototype.forEach.call(item._el.querySelectorAll("[data-testid=quick-reply]"), (b, i) => {
        const on = item.selected.indexOf(i) >= 0;
        b.disabled = !!item.used;
        if (b.hasAttribute("aria-pressed")) b.setAttribute("aria-pressed", on ? "true" : "false");
        b.classList.toggle("ks-selected", on && !item.used);
        b.classList.toggle("ks-chosen", !!item.used && (on ? item.chosen === -1 : item.chosen === i));
      });
      const done = item._el.querySelector("[data-testid=multi-done]");
      done.disabled = !!item.used || !item.selected.length;
      return;
    }
    Array.prototype.forEach.call(item._el.querySelectorAll("button"), (b, i) => {
      b.disabled = !!item.used;
      b.classList.toggle("ks-chosen", !!item.used && item.chosen === i);
    });
  }

  function renderItem(item) {
    if (item.kind === "bot") return bubble("bot", item.text);
    if (item.kind === "user") return bubble("user", item.text);
    if (item.kind === "buttons") return renderButtons(item);
    if (item.kind === "reveal") return renderReveal(item.data, item);
    return null;
  }

  function appendItem(item) {
    state.items.push(item);
    const node = renderItem(item);
    if (node) log.appendChild(node);
    return node;
  }

  function markReveal() {
    panel.classList.toggle(
      "ks-has-reveal",
      state.items.some((item) => {
        return item.kind === "reveal";
      })
    );
  }

  function renderAll() {
    markReveal();
    log.textContent = "";
    state.items.forEach((item) => {
      const node = renderItem(item);
      if (node) log.appendChild(node);
    });
    renderProgress();
    renderDemoBanner();
  }

  // ---------- the reveal ----------

  // An honest heading per fit (the payload's `fit`); with diffusion or too few answers the name is only the nearest.
  const FIT_KICKER = {
    good: "Jij lijkt het meest op",
    weak: "Je lijkt een beetje op",
    diffusion: "Je lijkt nog op geen van de drie. Het dichtst bij zit",
    insufficient: "Nog te weinig antwoorden. Het dichtst bij zit",
  };
  const FIT_TEXT = {
    good: "Je antwoorden passen goed bij zijn manier van kiezen.",
    weak: "Je lijkt ook op een van de anderen. Je past niet precies in één hokje, en dat is prima.",
    diffusion: "Je bent nog aan het zoeken. Dat is heel gewoon. Kijk eens hoe hij het deed.",
    insufficient: "Je koos vaak 'weet ik niet'. Daarom kunnen we nog niet zeggen op wie je lijkt.",
  };

  // One name per score, from the payload (content/questionnaire.yml `dimensions`); nothing is named here.
  function dimensionLabel(data, key) {
    const dims = data && data.dimensions;
    const entry = dims && typeof dims === "object" ? dims[key] : null;
    const label = entry && typeof entry === "object" ? entry.label : entry;
    return typeof label === "string" && label ? label : key;
  }

  function renderKeep(item) {
    const keep = el("div", { class: "ks-keep", "data-testid": "keep" });
    keep.appendChild(el("h4", null, TEXT.keepTitle));
    keep.appendChild(el("p", null, TEXT.keepText));
    const links = el("p", { class: "ks-keep-links" });
    keep.appendChild(links);
    function show() {
      links.textContent = "";
      if (item.link) {
        links.appendChild(
          el("a", { href: item.link.page, target: "_blank", rel: "noopener", class: "ks-keep-open", "data-testid": "keep-open" }, TEXT.keepOpen)
        );
        links.appendChild(el("a", { href: item.link.pdf, class: "ks-keep-pdf", "data-testid": "keep-pdf", download: "mijn-keuzespiegel.pdf" }, TEXT.keepPdf));
      } else if (item.linkFailed) {
        links.appendChild(el("span", { class: "ks-note", "data-testid": "keep-error" }, TEXT.keepError));
      }
    }
    item._show = show; // a later redraw of the card takes over
    show();
    if (!item.link && !item.linkFailed && !item._fetching) {
      item._fetching = true;
      fetchLink(item, state.sender, 2, () => {
        item._fetching = false;
        item._show();
      });
    }
    return keep;
  }

  // The links to "Mijn keuzespiegel" carry a token the web server makes from the chat id; they never hold the id.
  function fetchLink(item, sender, tries, done) {
    fetch(RESULT_API, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ sender: sender }),
      credentials: "omit",
    })
      .then((r) => {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then((link) => {
        if (sender !== state.sender) return;
        item.link = { page: new URL(link.page, baseUrl).href, pdf: new URL(link.pdf, baseUrl).href };
        saveState();
        done();
      })
      .catch(() => {
        if (sender !== state.sender) return;
        if (tries > 1) {
          setTimeout(() => {
            fetchLink(item, sender, tries - 1, done);
          }, 1500);
          return;
        }
        item.linkFailed = true;
        done();
      });
  }

  function renderReveal(data, item) {
    const personaId = ID.test(String(data.persona || "")) ? data.persona : null;
    const card = el("article", { class: "ks-card", "data-testid": "persona-card", "data-persona": personaId || "" });

    const main = el("div", { class: "ks-card-main" });
    card.appendChild(main);
    const top = el("div", { class: "ks-card-top" });
    if (personaId) {
      const portrait = top.appendChild(
        el("img", {
          class: "ks-portrait",
          src: baseUrl + "portraits/" + personaId + ".svg",
          alt: "Tekening van " + (data.name || ""),
          width: "96",
          height: "96",
          "data-testid": "persona-portrait",
        })
      );
      portrait.addEventListener("error", () => {
        portrait.remove(); // an alumnus without a drawing yet
      });
    }
    const heading = el("div", { class: "ks-card-heading" });
    const fit = FIT_TEXT[data.fit] ? data.fit : "weak";
    heading.appendChild(el("p", { class: "ks-card-kicker", "data-testid": "persona-kicker" }, FIT_KICKER[fit]));
    heading.appendChild(el("h3", { class: "ks-card-name", "data-testid": "persona-name" }, data.name || ""));
    if (data.status_label) {
      heading.appendChild(el("p", { class: "ks-status", "data-testid": "persona-status" }, data.status_label));
    }
    top.appendChild(heading);
    main.appendChild(top);

    main.appendChild(el("p", { class: "ks-fit ks-fit-" + fit, "data-testid": "persona-fit", "data-fit": fit }, FIT_TEXT[fit]));
    if (data.status_explain) main.appendChild(el("p", { class: "ks-explain" }, data.status_explain));
    const cardInfo = data.card || {};
    if (cardInfo.intro) main.appendChild(el("p", { class: "ks-intro" }, cardInfo.intro));

    card.appendChild(renderPlot(data));

    if (Array.isArray(cardInfo.phases) && cardInfo.phases.length) {
      const phases = el("div", { class: "ks-phases", "data-testid": "persona-phases" });
      phases.appendChild(el("h4", null, "Zo ging het bij " + (data.name || "hem")));
      cardInfo.phases.forEach((phase) => {
        const details = el("details", { class: "ks-phase", "data-testid": "persona-phase-" + (phase.id || "") });
        details.appendChild(el("summary", null, phase.title || ""));
        details.appendChild(el("p", null, phase.text || ""));
        phases.appendChild(details);
      });
      card.appendChild(phases);
    }
    if (Array.isArray(cardInfo.next_steps) && cardInfo.next_steps.length) {
      const steps = el("div", { class: "ks-steps", "data-testid": "persona-next-steps" });
      steps.appendChild(el("h4", null, "Wat kun je nu doen?"));
      const list = el("ul");
      cardInfo.next_steps.forEach((step) => {
        // A step is a text, or {text, link: {title, url}} with a link a school can set.
        const li = el("li", null, typeof step === "string" ? step : (step && step.text) || "");
        const link = step && typeof step === "object" ? step.link : null;
        if (link && typeof link.url === "string" && /^https?:\/\//.test(link.url)) {
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("a", { href: link.url, target: "_blank", rel: "noopener noreferrer" }, link.title || link.url));
        }
        list.appendChild(li);
      });
      steps.appendChild(list);
      card.appendChild(steps);
    }
    if (item) card.appendChild(renderKeep(item));
    if (data.demo) card.appendChild(el("p", { class: "ks-note" }, "Dit is een demo-gesprek."));
    return card;
  }

  // Colours come with each alumnus in the payload (personas/*.yml, their only home). An alumnus without one is
  // drawn in the muted text colour (4.5:1 or more on the plot background); "Jij" has its own colour.
  const NEUTRAL_COLOR = "#4a4f57";
  const YOU_COLOR = "#b3261e";

  function renderPlot(data) {
    // Plot area inside a 340 x 300 viewBox.
    const L = 52, R = 326, T = 16, B = 246;
    const W = R - L, H = B - T;
    function px(x) {
      return L + num(x) * W;
    }
    function py(y) {
      return B - num(y) * H;
    }

    const figure = el("figure", { class: "ks-plot" });
    const descId = "ks-plot-desc-" + Math.random().toString(36).slice(2, 8);
    const plot = svg("svg", {
      viewBox: "0 0 340 300",
      role: "img",
      "aria-labelledby": descId,
      "data-testid": "plot",
      class: "ks-plot-svg",
    });

    plot.appendChild(svg("rect", { x: L, y: T, width: W, height: H, class: "ks-plot-bg" }));
    // Quadrant lines at 0.5.
    plot.appendChild(svg("line", { x1: px(0.5), y1: T, x2: px(0.5), y2: B, class: "ks-plot-grid" }));
    plot.appendChild(svg("line", { x1: L, y1: py(0.5), x2: R, y2: py(0.5), class: "ks-plot-grid" }));
    // Axes.
    plot.appendChild(svg("line", { x1: L, y1: B, x2: R, y2: B, class: "ks-plot-axis" }));
    plot.appendChild(svg("line", { x1: L, y1: B, x2: L, y2: T, class: "ks-plot-axis" }));
    plot.appendChild(svg("text", { x: L, y: B + 16, class: "ks-plot-tick", "text-anchor": "start" }, "weinig"));
    plot.appendChild(svg("text", { x: R, y: B + 16, class: "ks-plot-tick", "text-anchor": "end" }, "veel"));
    plot.appendChild(svg("text", { x: (L + R) / 2, y: B + 40, class: "ks-plot-label", "text-anchor": "middle", "data-testid": "plot-x-label" }, dimensionLabel(data, "exploration") + " →"));
    const yLabel = svg(
      "text",
      {
        x: 0,
        y: 0,
        class: "ks-plot-label",
        "text-anchor": "middle",
        transform: "translate(18 " + (T + B) / 2 + ") rotate(-90)",
        "data-testid": "plot-y-label",
      },
      dimensionLabel(data, "commitment") + " →"
    );
    plot.appendChild(yLabel);

    const ux = px(data.exploration);
    const uy = py(data.commitment);
    const doubt = num(data.reconsideration);
    const ringR = 11 + doubt * 34;
    const personas = (Array.isArray(data.personas) ? data.personas : []).filter((p) => {
      return p && ID.test(String(p.id || ""));
    });
    const colors = {};
    personas.forEach((p) => {
      colors[p.id] = validColor(p.color) || NEUTRAL_COLOR;
    });
    const xName = dimensionLabel(data, "exploration");
    const yName = dimensionLabel(data, "commitment");
    const doubtName = dimensionLabel(data, "reconsideration");
    // Boxes already used in the plot: the ring, the persona dots, then the labels as they are placed.
    const taken = [{ x1: ux - ringR, x2: ux + ringR, y1: uy - ringR, y2: uy + ringR }];
    personas.forEach((p) => {
      taken.push({ x1: px(p.exploration) - 9, x2: px(p.exploration) + 9, y1: py(p.commitment) - 9, y2: py(p.commitment) + 9 });
    });

    function inside(box) {
      return box.x1 >= L - 2 && box.x2 <= 338 && box.y1 >= 0 && box.y2 <= B;
    }

    // "Jij" goes above, below, right or left of the ring: the first place clear of the dots.
    const youSpots = [
      { x: ux, y: uy - ringR - 5, anchor: "middle", box: { x1: ux - 14, x2: ux + 14, y1: uy - ringR - 19, y2: uy - ringR - 2 } },
      { x: ux, y: uy + ringR + 16, anchor: "middle", box: { x1: ux - 14, x2: ux + 14, y1: uy + ringR + 2, y2: uy + ringR + 19 } },
      { x: ux + ringR + 4, y: uy + 5, anchor: "start", box: { x1: ux + ringR + 2, x2: ux + ringR + 32, y1: uy - 10, y2: uy + 7 } },
      { x: ux - ringR - 4, y: uy + 5, anchor: "end", box: { x1: ux - ringR - 32, x2: ux - ringR - 2, y1: uy - 10, y2: uy + 7 } },
    ].filter((o) => {
      return inside(o.box);
    });

    function overlap(box) {
      return taken.reduce((sum, t) => {
        const w = Math.min(box.x2, t.x2) - Math.max(box.x1, t.x1);
        const h = Math.min(box.y2, t.y2) - Math.max(box.y1, t.y1);
        return sum + (w > 0 && h > 0 ? w * h : 0);
      }, 0);
    }

    const youSpot = youSpots.reduce((best, o) => {
      return best === null || overlap(o.box) < overlap(best.box) ? o : best;
    }, null) || { x: ux, y: uy - ringR - 5, anchor: "middle", box: null };
    if (youSpot.box) taken.push(youSpot.box);

    function labelPlace(cx, cy, name) {
      const w = 9 * String(name).length + 4;
      const options = [
        { x: cx + 11, y: cy + 5, anchor: "start", box: { x1: cx + 9, x2: cx + 11 + w, y1: cy - 9, y2: cy + 7 } },
        { x: cx - 11, y: cy + 5, anchor: "end", box: { x1: cx - 11 - w, x2: cx - 9, y1: cy - 9, y2: cy + 7 } },
        { x: cx, y: cy + 22, anchor: "middle", box: { x1: cx - w / 2, x2: cx + w / 2, y1: cy + 9, y2: cy + 25 } },
        { x: cx, y: cy - 12, anchor: "middle", box: { x1: cx - w / 2, x2: cx + w / 2, y1: cy - 25, y2: cy - 9 } },
      ].filter((o) => {
        return inside(o.box);
      });
      // The first place without overlap, else the one that overlaps least.
      const chosen = options.reduce((best, o) => {
        return best === null || overlap(o.box) < overlap(best.box) ? o : best;
      }, null) || { x: cx + 11, y: cy + 5, anchor: "start", box: null };
      if (chosen.box) taken.push(chosen.box);
      return chosen;
    }

    const lines = [];
    personas.forEach((p) => {
      const g = svg("g", { "data-testid": "plot-persona-" + p.id, class: "ks-plot-persona" });
      const cx = px(p.exploration);
      const cy = py(p.commitment);
      const name = p.name || p.id;
      g.appendChild(svg("circle", { cx: cx, cy: cy, r: 7, fill: colors[p.id], class: "ks-plot-dot" }));
      const place = labelPlace(cx, cy, name);
      g.appendChild(
        svg("text", { x: place.x, y: place.y, "text-anchor": place.anchor, class: "ks-plot-name", fill: colors[p.id] }, name)
      );
      plot.appendChild(g);
      lines.push(name + ": " + xName.toLowerCase() + " " + pct(p.exploration) + ", " + yName.toLowerCase() + " " + pct(p.commitment));
    });

    const you = svg("g", {
      "data-testid": "plot-you",
      "data-exploration": num(data.exploration),
      "data-commitment": num(data.commitment),
      "data-reconsideration": doubt,
      class: "ks-plot-you",
    });
    you.appendChild(svg("circle", { cx: ux, cy: uy, r: ringR, class: "ks-plot-doubt", "data-testid": "plot-twijfel" }));
    you.appendChild(svg("circle", { cx: ux, cy: uy, r: 9, fill: YOU_COLOR, class: "ks-plot-you-dot" }));
    you.appendChild(svg("text", { x: youSpot.x, y: youSpot.y, "text-anchor": youSpot.anchor, class: "ks-plot-you-label" }, "Jij"));
    plot.appendChild(you);

    const desc =
      "Grafiek. Jij: " + xName.toLowerCase() + " " + pct(data.exploration) + ", " + yName.toLowerCase() + " " +
      pct(data.commitment) + ", " + doubtName.toLowerCase() + " " + pct(doubt) + ". " + lines.join(". ") + ".";
    const title = svg("title", { id: descId }, desc);
    plot.insertBefore(title, plot.firstChild);
    figure.appendChild(plot);

    const legend = el("figcaption", { class: "ks-legend", "data-testid": "plot-legend" });
    const l1 = el("p");
    l1.appendChild(el("span", { class: "ks-key ks-key-you", "aria-hidden": "true" }));
    l1.appendChild(
      document.createTextNode("Jij: " + xName.toLowerCase() + " " + pct(data.exploration) + ", " + yName.toLowerCase() + " " + pct(data.commitment))
    );
    legend.appendChild(l1);
    const l2 = el("p", { "data-testid": "plot-twijfel-legend" });
    l2.appendChild(el("span", { class: "ks-key ks-key-doubt", "aria-hidden": "true" }));
    l2.appendChild(
      document.createTextNode(
        "Stippelcirkel = " + doubtName.toLowerCase() + ": hoe vaak je een keuze opnieuw bekijkt. Hoe groter de cirkel, hoe meer. Jij: " + pct(doubt) + "."
      )
    );
    legend.appendChild(l2);
    const bar = el("div", { class: "ks-doubt-bar", "aria-hidden": "true" });
    const fill = el("span", { class: "ks-doubt-fill" });
    fill.style.width = Math.round(doubt * 100) + "%";
    bar.appendChild(fill);
    legend.appendChild(bar);
    figure.appendChild(legend);
    return figure;
  }

  // ---------- talking to Rasa ----------

  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    sendButton.disabled = value;
    if (value) scrollToBottom();
  }

  function showError(show) {
    errorBox.hidden = !show;
    if (show) scrollToBottom();
  }

  function openButtonItems() {
    return state.items.filter((item) => {
      return item.kind === "buttons" && !item.used;
    });
  }

  /**
   * Send one message. display: the pupil bubble text (null for the automatic "hoi").
   * opts.buttons / opts.chosen: the quick-reply group that was clicked; opts.typed: text from the field.
   */
  function send(message, display, opts) {
    opts = opts || {};
    if (busy) return;
    clearTimeout(demoTimer);
    showError(false);
    const locked = openButtonItems();
    locked.forEach((item) => {
      item.used = true;
      item.chosen = item === opts.buttons ? opts.chosen : null;
      updateButtons(item);
    });
    let userItem = null;
    if (display) {
      userItem = { kind: "user", text: display };
      appendItem(userItem);
    }
    state.started = true;
    setBusy(true);
    scrollToBottom();

    // One id per message, kept when it is sent again: the server then answers the copy without taking it
    // as the answer to the next question (bot/plugins/replay.py).
    opts.messageId = opts.messageId || newId();
    const sender = state.sender;

    function deliver(again, busyRetries) {
      const body = { sender: sender, message: message, metadata: { message_id: opts.messageId } };
      if (state.workshop) body.metadata.workshop = state.workshop;
      if (state.demo) body.metadata.demo = true;
      if (again) body.metadata.retry = true;

      const controller = typeof AbortController === "function" ? new AbortController() : null;
      const timer = setTimeout(() => {
        if (controller) controller.abort();
      }, REQUEST_TIMEOUT_MS);

      fetch(botUrl + "/webhooks/rest/webhook", {
        method: "POST",
        // The sender header lets a load balancer keep one pupil's messages on one Rasa server.
        headers: { "Content-Type": "application/json", "X-Keuzespiegel-Sender": sender },
        body: JSON.stringify(body),
        signal: controller ? controller.signal : undefined,
        credentials: "omit",
      })
        .then((response) => {
          // Retry-After is readable across origins because the channel exposes it; 3 s if a proxy hid it.
          const wait = Number(response.headers.get("Retry-After")) || 3;
          if (response.status === 429 && busyRetries < BUSY_RETRIES && wait > 0 && wait <= 10) {
            // The server is busy for a moment: send the same message again by itself, still "typing".
            clearTimeout(timer);
            setTimeout(() => {
              if (sender === state.sender) deliver(again, busyRetries + 1);
            }, wait * 1000);
            return undefined;
          }
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json().then((replies) => {
            clearTimeout(timer);
            if (sender !== state.sender) return; // restarted meanwhile
            setBusy(false);
            pending = null;
            if (opts.typed !== undefined && input.value === opts.typed) input.value = "";
            handleReplies(Array.isArray(replies) ? replies : []);
          });
        })
        .catch(() => {
          clearTimeout(timer);
          if (sender !== state.sender) return;
          setBusy(false);
          // Undo: the message was not delivered. Remove its bubble, unlock the quick replies.
          if (userItem) {
            const i = state.items.indexOf(userItem);
            if (i >= 0) state.items.splice(i, 1);
            renderAll();
          }
          locked.forEach((item) => {
            item.used = false;
            item.chosen = null;
            updateButtons(item);
          });
          pending = { message: message, display: display, opts: Object.assign({}, opts, { retry: true }) };
          saveState();
          showError(true);
        });
    }
    deliver(Boolean(opts.retry), 0);
    saveState();
  }

  function handleReplies(replies) {
    let question = null;
    let revealNode = null;
    let firstNew = null;
    let lastButtons = null;
    replies.forEach((reply) => {
      if (!reply || typeof reply !== "object") return;
      let node = null;
      if (typeof reply.text === "string" && reply.text) {
        node = appendItem({ kind: "bot", text: reply.text });
        firstNew = firstNew || node;
      }
      if (Array.isArray(reply.buttons) && reply.buttons.length) {
        const buttons = reply.buttons
          .filter((b) => {
            return b && typeof b.payload === "string";
          })
          .map((b) => {
            return { title: String(b.title || b.payload), payload: b.payload };
          });
        if (buttons.length) {
          lastButtons = { kind: "buttons", buttons: buttons, used: false, chosen: null };
          appendItem(lastButtons);
        }
      }
      const custom = reply.custom;
      if (custom && typeof custom === "object") {
        if (custom.type === "question") {
          question = custom;
          const total = Number(custom.total) || 0;
          const index = Math.max(1, Math.min(total, Number(custom.index) || 1)); // 1-based
          state.progress = {
            index: index,
            total: total,
            phase: String(custom.phase_title || ""),
            question: String(custom.question || ""),
          };
        } else if (custom.type === "reveal") {
          state.progress = null;
          revealNode = appendItem({ kind: "reveal", data: custom });
        }
      }
    });
    if (question && question.multi === true && lastButtons && !lastButtons.used) {
      // The buttons came before the question's payload: redraw them as toggles with "Klaar".
      lastButtons.multi = true;
      lastButtons.question = String(question.question || "");
      lastButtons.selected = [];
      const old = lastButtons._el;
      const fresh = renderButtons(lastButtons);
      if (old && old.parentNode) old.parentNode.replaceChild(fresh, old);
    }
    renderProgress();
    markReveal();
    saveState();
    if (revealNode) {
      scroller.scrollTop = Math.max(0, revealNode.offsetTop - 8); // not scrollIntoView: it scrolls the page too
    } else {
      scrollToBottom();
    }
    if (state.demo && question) scheduleDemoAnswer(question);
  }

  // ---------- demo mode ----------

  function loadDemoAnswers() {
    if (demoAnswers) return Promise.resolve(demoAnswers);
    return fetch(new URL("../api/demo/" + encodeURIComponent(state.demo), baseUrl).href, { credentials: "omit" })
      .then((r) => {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then((data) => {
        demoAnswers = (data && data.answers) || {};
        return demoAnswers;
      });
  }

  function optionOf(payload) {
    const m = /"option"\s*:\s*"([^"]*)"/.exec(String(payload || ""));
    return m ? m[1] : null;
  }

  function scheduleDemoAnswer(question) {
    clearTimeout(demoTimer);
    demoTimer = setTimeout(() => {
      loadDemoAnswers()
        .then((answers) => {
          const payload = answers[question.question];
          if (!payload || busy) return;
          // Click the matching quick reply when it is there, so the bubble shows its title.
          const wanted = optionOf(payload);
          const groups = openButtonItems();
          const group = groups[groups.length - 1];
          if (group && group.multi && wanted && !isDontKnow(payload)) {
            // Every option of the answer is toggled on, then "Klaar".
            const ids = wanted.split(".").slice(1).join(".").split(",");
            group.selected = [];
            group.buttons.forEach((b, i) => {
              const id = (optionOf(b.payload) || "").split(".").slice(1).join(".");
              if (ids.indexOf(id) >= 0 && !isDontKnow(b.payload)) group.selected.push(i);
            });
            updateButtons(group);
            if (group.selected.length) {
              sendMulti(group);
              return;
            }
          }
          if (group) {
            for (let i = 0; i < group.buttons.length; i++) {
              const b = group.buttons[i];
              if (b.payload === payload || (wanted && optionOf(b.payload) === wanted)) {
                send(b.payload, b.title, { buttons: group, chosen: i });
                return;
              }
            }
          }
          // No matching quick reply (or no group): the bubble still names every option, by title when known.
          const titles = {};
          (group ? group.buttons : []).forEach((b) => {
            titles[(optionOf(b.payload) || "").split(".").slice(1).join(".")] = b.title;
          });
          const shown = wanted
            ? wanted
                .split(".")
                .slice(1)
                .join(".")
                .split(",")
                .map((id) => {
                  return titles[id] || id;
                })
                .join("; ")
            : payload;
          send(payload, shown, {});
        })
        .catch(() => {
          pending = { demoQuestion: question };
          showError(true);
        });
    }, DEMO_DELAY_MS);
  }

  // ---------- open, close, restart ----------

  function isOpen() {
    return !panel.hidden;
  }

  function openPanel(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    host.classList.add("ks-is-open");
    state.open = true;
    saveState();
    scrollToBottom();
    if (focus !== false) input.focus();
    if (!state.started && !busy) send("hoi", null, {});
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    host.classList.remove("ks-is-open");
    state.open = false;
    saveState();
    launcher.focus();
  }

  function restart() {
    clearTimeout(demoTimer);
    state = freshState(state);
    state.open = true;
    busy = false;
    setBusy(false);
    pending = null;
    showError(false);
    input.value = "";
    renderAll();
    saveState();
    send("hoi", null, {});
    input.focus();
  }

  launcher.addEventListener("click", () => {
    if (isOpen()) closePanel();
    else openPanel(true);
  });
  closeButton.addEventListener("click", closePanel);
  restartButton.addEventListener("click", restart);
  retryButton.addEventListener("click", () => {
    if (!pending) {
      showError(false);
      return;
    }
    const p = pending;
    pending = null;
    if (p.demoQuestion) {
      showError(false);
      scheduleDemoAnswer(p.demoQuestion);
      return;
    }
    // The same message again; a clicked quick-reply group was unlocked by the failure and is locked again.
    send(p.message, p.display, p.opts);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    send(text, text, { typed: input.value });
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closePanel();
    }
  });
  // Esc also closes when focus fell back to the page body (e.g. a used quick reply got disabled).
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen() && (document.activeElement === document.body || !document.activeElement)) {
      closePanel();
    }
  });

  function mount() {
    document.body.appendChild(host);
    renderAll();
    if (state.open || state.demo) openPanel(false);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
