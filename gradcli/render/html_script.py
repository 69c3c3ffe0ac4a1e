"""The --format html page's script, as text (a Python module, so every install ships it).

It reads the page's data (a JSON block, render/html_page.py), wires the cards (click, Enter or
Space selects; Escape clears), the input sliders and number fields, and the theme toggle.  The
numbers after a slider moves come from the live function gradcli generated for this program
(analysis/code_page.py, in a module script after this one, which hands it over with
gcReady(fn)); this script only formats them: pyRepr spells a double as Python's repr (and so
eval's JSON) does, so the page shows exactly the digits gradcli eval prints.  No library.
"""

JS = r"""
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("gc-data").textContent);
  const N = D.names.length;
  const num = (v) => (typeof v === "string" ? (v === "NaN" ? NaN : v === "Infinity" ? Infinity : -Infinity) : v);
  const S = { values: D.values.map(num), grads: D.grads.map(num), locals: D.locals.map(num), fresh: true,
              fn: null, selected: -1 };
  const $ = (id) => document.getElementById(id);

  function pyRepr(x) {  // Python's repr of a double: shortest round-trip digits, its exponent rules
    if (Number.isNaN(x)) return "NaN";
    if (x === Infinity) return "Infinity";
    if (x === -Infinity) return "-Infinity";
    if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
    const parts = x.toExponential().split("e");
    const sign = parts[0][0] === "-" ? "-" : "";
    const digits = parts[0].replace("-", "").replace(".", "");
    const exp = parseInt(parts[1], 10);
    if (exp < -4 || exp >= 16) {
      const m = digits[0] + (digits.length > 1 ? "." + digits.slice(1) : "");
      return sign + m + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
    }
    if (exp >= digits.length - 1) return sign + digits + "0".repeat(exp - digits.length + 1) + ".0";
    if (exp >= 0) return sign + digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
    return sign + "0." + "0".repeat(-exp - 1) + digits;
  }
  const fmt = (x) => { const t = pyRepr(x); return t.endsWith(".0") ? t.slice(0, -2) : t; };  // explain's numbers

  // The graph's shape: operands, users, and each node's local partials (edges in D.edges' order)
  const users = Array.from({ length: N }, () => []);
  D.operands.forEach((ops, i) => ops.forEach((j) => users[j].push(i)));
  const edgeOf = new Map();  // "i,k" -> position in D.edges / S.locals
  D.edges.forEach((e, p) => edgeOf.set(e[0] + "," + e[1], p));
  const card = (i) => $("gc-n" + i);
  const edgesFrom = new Map();  // node -> its outgoing <path>s
  document.querySelectorAll(".gc-edge").forEach((el) => {
    const a = +el.dataset.from;
    if (!edgesFrom.has(a)) edgesFrom.set(a, []);
    edgesFrom.get(a).push(el);
  });

  function text(tag, content, cls) {
    const el = document.createElement(tag);
    el.textContent = content;
    if (cls) el.className = cls;
    return el;
  }

  // -- selection: the node's paths to the output, its local derivatives, explain's chain rule --
  function select(i) {
    document.querySelectorAll(".gc-path,.gc-selected").forEach((el) => el.classList.remove("gc-path", "gc-selected"));
    S.selected = i;
    if (i < 0) { detail(-1); return; }
    const on = new Uint8Array(N);
    const stack = [i];
    on[i] = 1;
    while (stack.length) {  // every node downstream of i: all of them lie on a path to the output
      const j = stack.pop();
      for (const u of users[j]) if (!on[u]) { on[u] = 1; stack.push(u); }
    }
    for (let j = 0; j < N; j++) {
      if (!on[j]) continue;
      const c = card(j);
      if (c) c.classList.add(j === i ? "gc-selected" : "gc-path");
      for (const el of edgesFrom.get(j) || []) if (on[+el.dataset.to]) el.classList.add("gc-path");
    }
    detail(i);
  }

  function stepText(s) {  // explain's backward step, at the page's current numbers
    const [j, via, k] = s;
    const up = S.grads[via], local = S.locals[edgeOf.get(via + "," + k)];
    const o = D.wrapped[D.out], n = D.wrapped[j], v = D.wrapped[via];
    return "d" + o + "/d" + n + " += d" + o + "/d" + v + " · ∂" + v + "/∂" + n + " = " + fmt(up) + " · " +
      fmt(local) + " = " + fmt(up * local);
  }

  function detail(i) {
    const box = $("gc-detail");
    box.replaceChildren();
    if (i < 0) {
      box.append(text("p", "Select a node (click it, or Tab to it and press Enter) to see its local " +
        "derivatives and the chain-rule steps that give its gradient.", "gc-hint"));
      return;
    }
    const name = D.names[i], o = D.wrapped[D.out], n = D.wrapped[i];
    box.append(text("h2", name));
    box.append(text("div", D.ops[i] + " · value " + pyRepr(S.values[i]) + " · grad " + pyRepr(S.grads[i]) +
      (D.u && D.u[i] !== null ? " · ± " + pyRepr(num(D.u[i])) + (S.fresh ? "" : " (at the starting point)") : ""),
      "gc-mono"));
    box.append(text("h3", "Forward"));
    const now = fmt(S.values[i]);
    const fwd = S.fresh || D.ops[i] === "const" ? D.forward[i] : D.formula[i] === null ? name + " = " + now +
      "  (an input)" : name === D.formula[i] ? name + " = " + now : name + " = " + D.formula[i] + " = " + now;
    box.append(text("p", fwd, "gc-mono gc-forward"));
    const ops = D.operands[i];
    if (ops.length) {
      box.append(text("h3", "Local derivatives"));
      const ul = document.createElement("ul");
      ops.forEach((j, k) => {
        const p = edgeOf.get(i + "," + k);
        ul.append(text("li", "∂" + n + "/∂" + D.wrapped[j] + " = " + (p === undefined ? "—" : fmt(S.locals[p]))));
      });
      box.append(ul);
    }
    box.append(text("h3", "Chain rule"));
    const steps = D.steps[i] || [];
    const ul = document.createElement("ul");
    ul.className = "gc-chain";
    let total = 0;
    steps.forEach((s, q) => {
      let line = S.fresh ? D.stepTexts[i][q] : stepText(s);
      if (!S.fresh) {
        total += S.grads[s[1]] * S.locals[edgeOf.get(s[1] + "," + s[2])];
        if (q > 0) line += "   (accumulated: d" + o + "/d" + n + " = " + fmt(total) + ")";
      }
      ul.append(text("li", line));
    });
    if (i === D.out) ul.append(text("li", "d" + o + "/d" + o + " = 1  (the output)"));
    else if (!steps.length) ul.append(text("li", "no path to the output: d" + o + "/d" + n + " = 0", "gc-hint"));
    box.append(ul);
    box.append(text("p", "d" + o + "/d" + n + " = " + fmt(S.grads[i]), "gc-mono gc-total"));
    if (D.explainCut) box.append(text("p", D.explainCut, "gc-hint"));
  }

  const graph = $("gc-graph");
  graph.addEventListener("click", (ev) => {
    const g = ev.target.closest(".gc-card");
    if (g) { g.focus(); select(+g.dataset.i); }
  });
  graph.addEventListener("keydown", (ev) => {
    const g = ev.target.closest(".gc-card");
    if (g && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); select(+g.dataset.i); }
  });
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") select(-1); });
  document.querySelectorAll("[data-select]").forEach((b) =>
    b.addEventListener("click", () => {
      const i = +b.dataset.select, c = card(i);
      if (c) c.focus();
      select(i);
    }));

  // -- the inputs: a slider and a number field each; both re-run the live function --
  const fields = D.inputs.map(([, id]) => [$("gc-range" + id), $("gc-num" + id), id]);
  function show(i) {
    const c = card(i);
    if (!c) return;
    const v = c.querySelector(".gc-value tspan"), g = c.querySelector(".gc-grad tspan");
    v.textContent = pyRepr(S.values[i]);
    if (D.arrayOutput) g.parentNode.classList.add("gc-stale");
    else g.textContent = pyRepr(S.grads[i]);
    const u = c.querySelector(".gc-u");
    if (u) u.classList.add("gc-stale");
    const bad = !Number.isFinite(S.values[i]) || !Number.isFinite(S.grads[i]);
    c.classList.toggle("gc-nonfinite", bad);
    c.classList.remove("gc-up", "gc-down", "gc-zero");
    c.classList.add(S.grads[i] > 0 ? "gc-up" : S.grads[i] < 0 ? "gc-down" : "gc-zero");
    c.setAttribute("aria-label", D.names[i] + ", " + D.ops[i] + ", value " + v.textContent + ", grad " +
      g.textContent);
  }
  function run() {
    if (!S.fn) return;
    const args = fields.map(([, box]) => box.valueAsNumber);
    let out;
    try {
      out = S.fn(...args);
    } catch (err) {
      $("gc-live").textContent = "The page could not recompute at this point: " + err;
      return;
    }
    S.fresh = false;
    S.values = out[1];
    if (!D.arrayOutput) S.grads = out[2];
    S.locals = out[3];
    for (let i = 0; i < N; i++) show(i);
    if (!D.arrayOutput) $("gc-value").textContent = pyRepr(S.values[D.out]);
    else $("gc-value").classList.add("gc-stale");  // the array's elements are cards; the header is the start's
    const bad = [];
    for (let i = 0; i < N && bad.length < 5; i++) {
      if (!Number.isFinite(S.values[i])) bad.push(D.names[i] + " = " + pyRepr(S.values[i]));
    }
    $("gc-live").textContent = bad.length ? "At this point " + bad.join(", ") + (bad.length === 5 ? ", ..." : "") +
      ": outside the domain or overflowing. gradcli eval stops here with a math error (exit 3); the page " +
      "carries NaN and Infinity on, as eval --allow-nonfinite does." : "";
    if (S.selected >= 0) detail(S.selected);
  }
  for (const [range, box] of fields) {
    range.addEventListener("input", () => { box.value = String(range.valueAsNumber); run(); });
    box.addEventListener("input", () => {
      const x = box.valueAsNumber;
      if (Number.isNaN(x)) return;  // mid-typing ("-", "1e"): wait for a number
      if (x < +range.min) range.min = String(x);
      if (x > +range.max) range.max = String(x);
      range.value = String(x);
      run();
    });
  }
  window.gcReady = function (fn) {
    S.fn = fn;
    for (const [range, box] of fields) { range.disabled = false; box.disabled = false; }
  };

  // -- theme: the system's by default; the button forces light or dark --
  const root = document.documentElement;
  $("gc-theme").addEventListener("click", () => {
    const system = matchMedia("(prefers-color-scheme: dark)").matches;
    const dark = root.dataset.theme ? root.dataset.theme === "dark" : system;
    root.dataset.theme = dark ? "light" : "dark";
    $("gc-theme").textContent = dark ? "Dark theme" : "Light theme";
  });
  detail(-1);
  window.gcPage = { select: select, pyRepr: pyRepr, state: S };
})();
"""
