"""The inline stylesheet and script of the HTML report (no external asset of any kind)."""

from __future__ import annotations

CSS = """
:root{--fg:#1f2933;--muted:#5f6b7a;--line:#d9dee5;--bg:#f4f6f9;--card:#fff;--focus:#1d4ed8;
--g-bg:#e6f4ea;--g-fg:#0f5f2c;--g-bd:#a8d5b5;--r-bg:#fde7e7;--r-fg:#9b1c1c;--r-bd:#f0a8a8;
--a-bg:#fff3d6;--a-fg:#7a4a00;--a-bd:#ecc46f;--n-bg:#eef1f4;--n-fg:#5f6b7a;--n-bd:#d5dbe2;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;--bar-h:46px}
*{box-sizing:border-box}
html{scroll-padding-top:calc(var(--bar-h) + 12px)}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg);overflow-wrap:break-word}
code,pre,.mono{font-family:var(--mono);font-size:12.5px}
a{color:#1d4ed8}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
[hidden]{display:none!important}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.skip{position:absolute;left:8px;top:-60px;background:#fff;padding:8px 12px;z-index:20;border:2px solid var(--focus)}
.skip:focus{top:8px}
.wrap{max-width:1320px;margin:0 auto;padding:0 20px}
.muted{color:var(--muted)}
.lbl{display:block;font-size:11.5px;font-weight:600;letter-spacing:.04em;text-transform:uppercase;color:var(--muted);margin:0 0 4px}
.masthead{background:var(--card);border-bottom:1px solid var(--line);padding:14px 0 16px}
.kicker{margin:0 0 10px;font-size:13px;font-weight:600;color:var(--muted);letter-spacing:.02em}
.mast-grid{display:grid;grid-template-columns:minmax(0,1.05fr) minmax(0,1fr);gap:18px;align-items:start}
.verdict{display:flex;gap:14px;align-items:center;border-radius:10px;padding:14px 18px;color:#fff}
.verdict p{margin:0}
.v-pass{background:#137a3d}.v-fail{background:#b42318}.v-warn{background:#a15c00}
.v-icon{flex:none;width:46px;height:46px;border-radius:50%;background:rgba(255,255,255,.2);display:flex;align-items:center;justify-content:center;font-size:26px;font-weight:700}
.v-label{font-size:12px;text-transform:uppercase;letter-spacing:.08em;opacity:.9}
.v-value{font-size:28px;font-weight:750;line-height:1.15}
.v-why{font-size:14px;opacity:.95}
.counts{list-style:none;display:flex;flex-wrap:wrap;gap:8px;margin:12px 0 0;padding:0}
.count{display:flex;align-items:baseline;gap:6px;border:1px solid var(--line);border-radius:8px;padding:5px 12px;background:#fff}
.cn{font-size:20px;font-weight:700}.cl{color:var(--muted)}
.k-passed .cn{color:var(--g-fg)}.k-failed .cn,.k-error .cn{color:var(--r-fg)}.k-baselined .cn{color:var(--a-fg)}.k-fixed .cn{color:var(--g-fg)}
.k-failed:not(.zero),.k-error:not(.zero){border-color:var(--r-bd);background:var(--r-bg)}
.count.zero .cn{color:var(--muted)}
.meta{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:6px 18px;margin:0;border:1px solid var(--line);border-radius:10px;padding:10px 14px}
.meta div{min-width:0}.meta dt{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.meta dd{margin:0;overflow-wrap:anywhere}
.failing{margin-top:14px}
.failing h2{font-size:14px;margin:0 0 6px}
.failing ul{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:6px}
.failing li{display:flex;align-items:center;gap:8px;border:1px solid var(--r-bd);background:var(--r-bg);border-radius:8px;padding:5px 10px;min-width:0}
.failing li a{flex:1;min-width:0;color:var(--fg);text-decoration:none}
.opline{display:inline-flex;align-items:baseline;gap:6px;max-width:100%}.opline .m{flex:none;margin:0}.opline .path{min-width:0;overflow-wrap:anywhere}
.failing li a:hover .path{text-decoration:underline}
.fo-n{font-weight:700;color:var(--r-fg);white-space:nowrap}.fo-area{color:var(--muted);font-size:12px}
.baseline{margin-top:12px;border:1px solid var(--a-bd);background:var(--a-bg);border-radius:8px;padding:8px 12px}
.baseline p{margin:0}.baseline .lbl{display:inline;margin-right:6px;color:var(--a-fg)}
.bl-expired{color:var(--r-fg)}.bl-list{margin:4px 0 0;padding-left:20px}
.toolbar{position:sticky;top:0;z-index:10;background:rgba(255,255,255,.97);border-bottom:1px solid var(--line);box-shadow:0 1px 3px rgba(0,0,0,.05)}
.toolbar-in{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;padding-top:7px;padding-bottom:7px}
.jump{display:flex;gap:14px;font-weight:600}.jump a{text-decoration:none}.jump a:hover{text-decoration:underline}
.filters{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin-left:auto}
.filters label,.tb-lbl{font-weight:600;color:var(--muted)}
select,.btn,.fbtn{font:inherit;font-size:13px;border:1px solid #b9c2cd;border-radius:6px;background:#fff;color:var(--fg);padding:4px 10px;cursor:pointer}
.btn:hover,.fbtn:hover{background:#f0f3f7}
.fstatus{display:flex;gap:5px;align-items:center}
.fbtn .n{color:var(--muted);font-size:12px}
.fbtn[aria-pressed=true]{background:#1f2933;color:#fff;border-color:#1f2933}.fbtn[aria-pressed=true] .n{color:#d0d6de}
main{padding:14px 20px 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px;margin:0 0 16px}
.section-head{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:8px 16px}
h2{font-size:19px;margin:0 0 6px}
.hint{margin:0 0 10px;color:var(--muted)}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:12px;margin:0;padding:0;font-size:12.5px;color:var(--muted)}
.legend li{display:flex;align-items:center;gap:5px}
.sw{display:inline-flex;width:18px;height:18px;border-radius:4px;align-items:center;justify-content:center;font-size:12px;font-weight:700;border:1px solid}
.t-green{--c-bg:var(--g-bg);--c-fg:var(--g-fg);--c-bd:var(--g-bd)}.t-red{--c-bg:var(--r-bg);--c-fg:var(--r-fg);--c-bd:var(--r-bd)}
.t-amber{--c-bg:var(--a-bg);--c-fg:var(--a-fg);--c-bd:var(--a-bd)}.t-grey{--c-bg:var(--n-bg);--c-fg:var(--n-fg);--c-bd:var(--n-bd)}
.sw{background:var(--c-bg);color:var(--c-fg);border-color:var(--c-bd)}
table{border-collapse:separate;border-spacing:0;width:100%}
.matrix{table-layout:fixed}
.matrix>tbody>tr>th,.matrix>tbody>tr>td{border-bottom:1px solid #e8ecf1;padding:3px}
.matrix>thead>tr>th{position:sticky;top:var(--bar-h);z-index:3;background:#fff;border-bottom:2px solid var(--line);font-size:12.5px;text-align:center;padding:7px 3px}
.matrix>thead>tr>th.opcol{text-align:left}
.opcol{width:35%}
.area-row>th{background:#f3f5f8;text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.06em;padding:5px 8px;color:#374151}
.area-row>th>.muted{text-transform:none;letter-spacing:0;font-weight:400;margin-left:6px}
.opcell{text-align:left;font-weight:400;padding:6px 8px!important;min-width:0}
.opcell .path{overflow-wrap:anywhere;font-weight:600}
.opsub{font-size:12px;color:var(--muted);margin-top:1px}
.opid{font-family:var(--mono);font-size:11.5px;color:#7b8794}
.m{display:inline-block;min-width:44px;text-align:center;font:700 11px/1.6 var(--mono);border-radius:4px;padding:0 4px;margin-right:4px;color:#fff;background:#52606d}
.m-get{background:#1e6fb8}.m-post{background:#127a4a}.m-put{background:#9a5b00}.m-delete{background:#b42318}.m-patch{background:#6b46c1}.m-none{background:#7b8794}
.op-row.r-red .opcell{box-shadow:inset 4px 0 0 #d64545}
.op-row.r-amber .opcell{box-shadow:inset 4px 0 0 #e0a526}
.cell{text-align:center}
.cell-in{display:flex;flex-direction:column;align-items:center;justify-content:center;width:100%;min-height:42px;border:1px solid var(--c-bd);background:var(--c-bg);color:var(--c-fg);border-radius:6px;font:inherit;padding:2px 3px;line-height:1.2}
button.cell-in{cursor:pointer}button.cell-in:hover{filter:brightness(.96);border-color:var(--c-fg)}
button.cell-in:focus-visible{outline-offset:1px}
.cell-in .mark{font-weight:700;font-size:12px}.cell-in .frac{font-weight:700;font-size:14px;font-variant-numeric:tabular-nums}
.cell-in .sub{font-size:11px}
.t-grey .cell-in{border-style:dashed}.t-grey .mark{display:none}
.cell.total .cell-in{border-width:2px}
.cell.dim .cell-in{opacity:.35}
.cell.sel .cell-in{outline:3px solid #1f2933;outline-offset:1px}
.panel-row>td{padding:0 0 10px!important;border-bottom:2px solid var(--line)!important}
.panel{border:1px solid #b9c2cd;border-radius:8px;background:#fbfcfd;padding:10px 12px;margin-top:4px}
.panel-head{display:flex;justify-content:space-between;align-items:center;gap:10px}
.panel h3{margin:0;font-size:15px;overflow-wrap:anywhere}
.panel-note{margin:2px 0 6px;font-size:12.5px}
.checks{table-layout:fixed;font-size:13px}
.checks th{text-align:left;font-size:12px;color:var(--muted);border-bottom:2px solid var(--line);padding:5px 6px}
.checks td{border-bottom:1px solid #edf0f3;padding:5px 6px;vertical-align:top;overflow-wrap:anywhere}
.c-out{width:92px}.c-req{width:19%}.c-cat{width:96px}.c-ops{width:21%}.c-dur{width:70px}
.small{font-size:12px}.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.why{font-size:12px;color:var(--muted);margin-top:2px}
.badge{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;border-radius:4px;padding:1px 6px;border:1px solid}
.b-passed{background:var(--g-bg);color:var(--g-fg);border-color:var(--g-bd)}.b-failed,.b-error{background:#b42318;color:#fff;border-color:#b42318}
.b-baselined{background:var(--a-bg);color:var(--a-fg);border-color:var(--a-bd)}.b-skipped{background:var(--n-bg);color:var(--n-fg);border-color:var(--n-bd)}
.tools{display:flex;gap:6px}
.empty-ok{color:var(--g-fg);font-weight:600}
.fgroup h3{font-size:16px;margin:14px 0 4px}
.area-h{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#374151;margin:12px 0 4px;padding-bottom:3px;border-bottom:1px solid var(--line)}
.fop{margin:8px 0 10px}
.fop-h{font-size:14px;margin:6px 0;font-weight:600}.fop-t{font-weight:400;color:var(--muted)}
.finding{border:1px solid var(--line);border-left:4px solid #d64545;border-radius:6px;margin:6px 0;background:#fff}
.finding.o-baselined{border-left-color:#e0a526}
.finding>summary{list-style:none;display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 10px;padding:8px 12px;cursor:pointer}
.finding>summary::-webkit-details-marker,.sub>summary::-webkit-details-marker{display:none}
.finding>summary::before,.sub>summary::before{content:"";width:0;height:0;border-style:solid;border-width:5px 0 5px 7px;border-color:transparent transparent transparent #52606d;align-self:center;transition:transform .12s}
.finding[open]>summary::before,.sub[open]>summary::before{transform:rotate(90deg)}
.finding[open]>summary{border-bottom:1px solid var(--line);background:#fafbfc}
.req{font-family:var(--mono);font-weight:700;font-size:12.5px}
.fsum{font-weight:600;flex:1 1 320px;min-width:0}
.tname{font-family:var(--mono);font-size:11.5px;color:var(--muted);overflow-wrap:anywhere;max-width:100%}
.fbody{padding:10px 14px 12px}
.fbody>*+*{margin-top:10px}
.doc blockquote{margin:0;padding:6px 12px;border-left:3px solid #9aa5b1;background:#f6f7f9;font-style:italic}
.accepted{margin:0;background:var(--a-bg);border:1px solid var(--a-bd);border-radius:6px;padding:6px 10px;color:var(--a-fg)}
.diff{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:10px}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;border:1px solid #e3e7ec;border-radius:6px;padding:8px 10px;max-height:420px;overflow:auto}
.rcv pre{border-left:3px solid #d64545}.dcm pre{border-left:3px solid #2f9e5a}
.repro-h{display:flex;align-items:center;justify-content:space-between}
pre.curl{background:#17202b;color:#e6edf3;border-color:#17202b}
.sub{border:1px solid #e3e7ec;border-radius:6px}
.sub>summary{display:flex;gap:8px;align-items:center;cursor:pointer;padding:6px 10px;font-weight:600;font-size:13px;list-style:none}
.sub[open]>summary{border-bottom:1px solid #e3e7ec}
.sub>*:not(summary){margin:8px 10px}
.exchange{border-top:1px dashed var(--line);padding-top:8px}.exchange:first-of-type{border-top:0}
.ex-line{margin:0 0 6px;overflow-wrap:anywhere}
.ex-err{color:var(--r-fg);margin:0 0 6px}
.ex-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:10px}
.hdrs{font-size:12px;font-family:var(--mono);margin-bottom:6px;table-layout:fixed}
.hdrs th{text-align:left;font-weight:600;width:38%;padding:1px 6px 1px 0;vertical-align:top;overflow-wrap:anywhere}
.hdrs td{padding:1px 0;overflow-wrap:anywhere}
.st-code{font-weight:700;border-radius:4px;padding:0 6px;font-family:var(--mono)}
.s2{background:var(--g-bg);color:var(--g-fg)}.s4,.s5,.none{background:var(--r-bg);color:var(--r-fg)}.s1,.s3{background:var(--n-bg)}
.fmeta{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;color:var(--muted);margin-bottom:0}
.fmeta code{font-size:11.5px;overflow-wrap:anywhere}
.coverage{table-layout:fixed}
.b-divergent{background:var(--a-bg);color:var(--a-fg);border-color:var(--a-bd)}
.divs{font-size:13px}.divs th,.divs td{border-bottom:1px solid #e8ecf1;padding:6px;vertical-align:top;text-align:left;overflow-wrap:anywhere}
.divs thead th{font-size:12px;color:var(--muted);border-bottom:2px solid var(--line)}.div-refused{background:var(--r-bg)}
.coverage th,.coverage td{border-bottom:1px solid #e8ecf1;padding:6px;vertical-align:top;text-align:left}
.coverage thead th{font-size:12px;color:var(--muted);border-bottom:2px solid var(--line)}
.chips{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px}
.chip{font-family:var(--mono);font-size:12px;border-radius:5px;padding:1px 7px;border:1px solid}
.chip .n{font-family:system-ui,sans-serif;font-size:11px}
.chip.hit{background:var(--g-bg);border-color:var(--g-bd);color:var(--g-fg)}
.chip.miss{background:#fff;border-color:#c3cad3;border-style:dashed;color:var(--muted)}
.chip.undoc{background:#fff1c2;border-color:#d99a00;color:#6b3d00;font-weight:700}
.filtered-out{font-style:italic;color:var(--muted)}
.footprint{margin:0;padding-left:18px}.footprint li{margin:4px 0}.footprint .ids{font:12px/1.5 ui-monospace,monospace;overflow-wrap:anywhere}
#all-checks>summary{cursor:pointer;font-weight:600;padding:4px 0}
.foot{color:var(--muted);font-size:12px;padding-bottom:24px}
.wrap-any{overflow-wrap:anywhere}
@media (max-width:900px){.mast-grid,.diff,.ex-grid{grid-template-columns:minmax(0,1fr)}.opcol{width:40%}.failing ul{grid-template-columns:minmax(0,1fr)}}
@media print{.toolbar,.skip,.tools,.copy{display:none!important}.finding,.sub{break-inside:avoid}}
"""

JS = r"""
(() => {
  "use strict";
  const $ = (s, root = document) => root.querySelector(s);
  const $$ = (s, root = document) => Array.from(root.querySelectorAll(s));
  for (const el of $$(".js-only")) el.hidden = false;

  const toolbar = $("#toolbar");
  const setBar = () => document.documentElement.style.setProperty("--bar-h", toolbar.offsetHeight + "px");
  setBar();
  window.addEventListener("resize", setBar);

  const state = { area: "", statuses: new Set() };
  const words = (text) => (text || "").split(" ").filter(Boolean);
  const areaOk = (areas) => !state.area || words(areas).includes(state.area);
  const statusOk = (outcomes) => !state.statuses.size || words(outcomes).some((o) => state.statuses.has(o));

  const areaSelect = $("#f-area");
  const statusButtons = $$(".fbtn[data-status]");
  const summary = $("#f-summary");
  const matrixBodies = $$(".matrix tbody");
  const checkRows = $$("#checks-table tbody tr");
  const findings = $$("#failures details.finding");
  const groups = ["fop", "farea", "fgroup"].map((c) => $$("#failures ." + c).filter((g) => g.querySelector("details.finding")));
  const coverageBodies = $$(".coverage tbody");
  const noMatch = $("#failures .filtered-out");

  const panel = $("#cell-panel");
  const panelBody = $("#cell-panel-table tbody");
  const panelTitle = $("#cell-panel-h");
  const panelNote = $(".panel-note", panel);
  const panelRow = document.createElement("tr");
  panelRow.className = "panel-row";
  const panelCell = document.createElement("td");
  panelCell.colSpan = $(".matrix thead tr").children.length;
  panelRow.appendChild(panelCell);
  let index = null;
  let current = null;

  function apply() {
    const filtering = !!state.area || state.statuses.size > 0;
    for (const body of matrixBodies) {
      if (state.area && body.dataset.area !== state.area) { body.hidden = true; continue; }
      let any = false;
      for (const row of body.querySelectorAll("tr.op-row")) {
        const ok = statusOk(row.dataset.outcomes);
        row.hidden = !ok;
        any = any || ok;
        for (const cell of row.querySelectorAll("button.cell-in")) {
          cell.parentElement.classList.toggle("dim", state.statuses.size > 0 && !statusOk(cell.dataset.outcomes));
        }
      }
      body.hidden = !any;
    }
    let shownFindings = 0;
    for (const f of findings) {
      const ok = areaOk(f.dataset.areas) && statusOk(f.dataset.outcome);
      f.hidden = !ok;
      if (ok) shownFindings += 1;
    }
    for (const level of groups) {
      for (const g of level) g.hidden = !g.querySelector("details.finding:not([hidden])");
    }
    noMatch.hidden = shownFindings > 0 || findings.length === 0;
    let shown = 0;
    for (const row of checkRows) {
      const ok = areaOk(row.dataset.areas) && statusOk(row.dataset.outcome);
      row.hidden = !ok;
      if (ok) shown += 1;
    }
    for (const body of coverageBodies) body.hidden = !!state.area && body.dataset.area !== state.area;
    summary.textContent = filtering ? `Showing ${shown} of ${checkRows.length} checks, ${shownFindings} of ${findings.length} failures and deviations` : "";
    if (current && !panel.hidden) {
      if (current.closest("tr").hidden) closePanel(false); else renderPanel(current);
    }
  }

  areaSelect.addEventListener("change", () => { state.area = areaSelect.value; apply(); });
  for (const button of statusButtons) {
    button.addEventListener("click", () => {
      const on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(on));
      if (on) state.statuses.add(button.dataset.status); else state.statuses.delete(button.dataset.status);
      apply();
    });
  }
  $("#f-reset").addEventListener("click", () => {
    state.area = ""; areaSelect.value = ""; state.statuses.clear();
    for (const button of statusButtons) button.setAttribute("aria-pressed", "false");
    apply();
  });

  function buildIndex() {
    index = new Map();
    const add = (key, row) => { const list = index.get(key); if (list) list.push(row); else index.set(key, [row]); };
    for (const row of checkRows) {
      for (const op of words(row.dataset.ops)) { add(op + "\u0000" + row.dataset.cat, row); add(op + "\u0000*", row); }
    }
  }

  function renderPanel(button) {
    if (!index) buildIndex();
    const rows = index.get(button.dataset.op + "\u0000" + button.dataset.cat) || [];
    const fragment = document.createDocumentFragment();
    let shown = 0;
    for (const row of rows) {
      if (!statusOk(row.dataset.outcome)) continue;
      const copy = row.cloneNode(true);
      copy.hidden = false;
      fragment.appendChild(copy);
      shown += 1;
    }
    panelBody.replaceChildren(fragment);
    const opRow = button.closest("tr");
    const op = button.dataset.op === "_none" ? "Checks not tied to one operation" : (opRow.querySelector(".opcell code") || {}).textContent || button.dataset.op;
    const method = (opRow.querySelector(".opcell .m") || {}).textContent || "";
    panelTitle.textContent = `${button.dataset.op === "_none" ? "" : method + " "}${op} · ${button.dataset.cat === "*" ? "all categories" : button.dataset.cat}`;
    const plural = rows.length === 1 ? "check" : "checks";
    panelNote.textContent = shown === rows.length ? `${rows.length} ${plural}, failures first. Press Escape to close.` : `${shown} of ${rows.length} ${plural} match the status filter. Press Escape to close.`;
  }

  function openPanel(button) {
    if (current) { current.setAttribute("aria-expanded", "false"); current.parentElement.classList.remove("sel"); }
    current = button;
    button.setAttribute("aria-expanded", "true");
    button.parentElement.classList.add("sel");
    renderPanel(button);
    button.closest("tr").after(panelRow);
    panelCell.appendChild(panel);
    panel.hidden = false;
  }

  function closePanel(refocus) {
    panel.hidden = true;
    panelRow.remove();
    if (current) {
      current.setAttribute("aria-expanded", "false");
      current.parentElement.classList.remove("sel");
      if (refocus) current.focus();
    }
    current = null;
  }

  $(".matrix").addEventListener("click", (event) => {
    const button = event.target.closest("button.cell-in");
    if (!button) return;
    if (button === current && !panel.hidden) closePanel(false); else openPanel(button);
  });
  $("#cell-panel-close").addEventListener("click", () => closePanel(true));
  for (const area of [panel, $(".matrix")]) {
    area.addEventListener("keydown", (event) => { if (event.key === "Escape" && !panel.hidden) closePanel(true); });
  }

  for (const button of $$("button[data-expand]")) {
    button.addEventListener("click", () => {
      const open = button.dataset.expand === "open";
      for (const f of findings) if (!f.hidden) f.open = open;
    });
  }

  function reveal(hash) {
    if (!hash || hash.length < 2) return;
    const target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target) return;
    const details = target.closest("details.finding") || (target.matches("details.finding") ? target : null);
    if (details) details.open = true;
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#"]');
    if (link) reveal(link.getAttribute("href"));
  });
  window.addEventListener("hashchange", () => reveal(location.hash));
  reveal(location.hash);

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const text = (document.getElementById(button.dataset.copy) || {}).textContent || "";
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (error) {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try { ok = document.execCommand("copy"); } catch (ignored) { ok = false; }
      area.remove();
      button.focus();
    }
    button.textContent = ok ? "Copied" : "Copy failed: select the text";
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
})();
"""
