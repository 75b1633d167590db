import type { TableDef } from '../catalog/index.js';
import { edgeId, nodeId } from './dot.js';
import { buildModel, familiesOf, type ErdModel, type ErdTable, type Relation } from './model.js';
import { renderSvg } from './svg.js';
import { FONT_STACK, MUTED, familyColour } from './theme.js';

/**
 * A single self-contained HTML page: the Graphviz diagram inlined (pan, zoom, highlight a table's
 * relations on hover or click) beside a searchable list of every table with its columns, types, keys
 * and what references it. No external resource: CSS, script and data are inline, so it opens offline.
 */

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Catalog descriptions mark names with backticks; show those as code. */
function describe(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** The Graphviz document reduced to an element that can sit inside HTML and be sized by CSS. */
export function inlineSvg(svg: string): string {
  const start = svg.indexOf('<svg');
  if (start === -1) throw new Error('Graphviz output holds no <svg> element');
  return svg
    .slice(start)
    .replace(/<!--[\s\S]*?-->\n?/g, '')
    .replace(/^<svg\b[^>]*>/, (tag) =>
      tag
        .replace(/\s(?:width|height|xmlns|xmlns:xlink)="[^"]*"/g, '')
        .replace(/^<svg/, '<svg id="erd" preserveAspectRatio="xMinYMin meet" role="img" aria-label="Relationship diagram"'),
    )
    .trim();
}

function anchorId(table: string): string {
  return `t-${table}`;
}

function tableLink(table: string, column: string): string {
  return `<a href="#${escapeHtml(anchorId(table))}" data-table="${escapeHtml(table)}">${escapeHtml(`${table}.${column}`)}</a>`;
}

function tableSection(table: ErdTable, model: ErdModel, header: string): string {
  const def = table.def;
  const keyOf = new Map(table.keyColumns.map((k) => [k.column.name, k]));
  const rows = def.columns.map((column) => {
    const key = keyOf.get(column.name);
    const marks = [
      ...(key?.primary ? ['PK'] : []),
      ...(key?.references.map((fk) => `FK → ${tableLink(fk.table, fk.references)}`) ?? []),
    ];
    const notes = [column.description, column.uncertain && `Uncertain name: ${column.uncertain}`].filter(
      (note): note is string => Boolean(note),
    );
    return (
      `<tr data-column="${escapeHtml(column.name)}">` +
      `<td><code>${escapeHtml(column.name)}</code>${notes.map((n) => `<div class="note">${describe(n)}</div>`).join('')}</td>` +
      `<td class="type">${escapeHtml(column.type)}</td>` +
      `<td class="key">${marks.join('<br>')}</td>` +
      `</tr>`
    );
  });
  const referencedBy = model.relations.filter((r) => r.parent === def.name);
  const modes = def.modes.join(', ');
  return (
    `<details class="table" id="${escapeHtml(anchorId(def.name))}" data-table="${escapeHtml(def.name)}">` +
    `<summary><span class="swatch" style="background:${header}"></span><code>${escapeHtml(def.name)}</code>` +
    `<span class="title">${escapeHtml(def.title)}</span></summary>` +
    `<p>${describe(def.description)}</p>` +
    `<p class="meta">Key <code>${escapeHtml(def.primaryKey.join(', '))}</code> · ${escapeHtml(modes)} · ${def.columns.length} columns</p>` +
    `<table class="columns"><thead><tr><th>column</th><th>type</th><th>key</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    (referencedBy.length > 0
      ? `<p class="meta">Referenced by ${referencedBy.map((r) => tableLink(r.child, r.column)).join(', ')}</p>`
      : '') +
    `</details>`
  );
}

/** What the page script needs: element ids per table and per relation. */
function pageData(model: ErdModel): string {
  const data = {
    tables: Object.fromEntries(model.tables.map((t) => [t.def.name, nodeId(t.def.name)])),
    relations: model.relations.map((r: Relation) => ({ id: edgeId(r), child: r.child, parent: r.parent })),
  };
  // Inside <script>, "</" must not appear; \u003c keeps the JSON valid.
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

const STYLE = `
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{font:14px/1.4 ${FONT_STACK};color:#111827;display:grid;grid-template-rows:auto 1fr;background:#fff}
header{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;padding:8px 14px;border-bottom:1px solid #e5e7eb}
header h1{font-size:16px;margin:0}
header .hint{color:${MUTED};font-size:12px}
header .tools{margin-left:auto;display:flex;gap:6px;align-items:center}
button{font:inherit;font-size:13px;padding:3px 9px;border:1px solid #d1d5db;border-radius:5px;background:#f9fafb;cursor:pointer}
button:hover{background:#f3f4f6}
input[type=search]{font:inherit;font-size:13px;padding:4px 8px;border:1px solid #d1d5db;border-radius:5px;width:220px}
main{display:grid;grid-template-columns:minmax(0,1fr) 400px;min-height:0}
#diagram{position:relative;overflow:hidden;min-height:0;cursor:grab;touch-action:none;background:#fff}
#diagram.dragging{cursor:grabbing}
#diagram svg{width:100%;height:100%;display:block;user-select:none}
#diagram g.node{cursor:pointer}
#diagram g.node,#diagram g.edge{transition:opacity .12s}
#diagram svg.focus g.node,#diagram svg.focus g.edge{opacity:.13}
#diagram svg.focus g.lit{opacity:1}
#diagram g.edge.lit path{stroke-width:2.4}
#diagram g.node.selected{filter:drop-shadow(0 0 4px #2563eb)}
aside{border-left:1px solid #e5e7eb;overflow:auto;min-height:0;padding:6px 10px 40px}
aside .count{color:${MUTED};font-size:12px;margin:4px 2px 8px}
details.table{border:1px solid #e5e7eb;border-radius:6px;margin:6px 0;background:#fff}
details.table[open]{border-color:#9ca3af}
details.table.selected{outline:2px solid #2563eb}
details.table.hidden{display:none}
summary{cursor:pointer;padding:5px 8px;display:flex;align-items:center;gap:8px}
summary .title{color:${MUTED};font-size:12px;margin-left:auto;text-align:right}
.swatch{width:10px;height:10px;border-radius:2px;border:1px solid #9ca3af;flex:none}
details.table>p,details.table>table{margin:4px 8px 8px}
.meta{color:${MUTED};font-size:12px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
table.columns{border-collapse:collapse;width:calc(100% - 16px);font-size:12px}
table.columns th{text-align:left;color:${MUTED};font-weight:normal;border-bottom:1px solid #e5e7eb;padding:2px 4px}
table.columns td{border-bottom:1px solid #f3f4f6;padding:2px 4px;vertical-align:top}
table.columns td.type{color:${MUTED}}
table.columns td.key{overflow-wrap:anywhere}
table.columns tr.match td{background:#fef9c3}
.note{color:${MUTED};font-size:11px}
a{color:#1d4ed8;text-decoration:none}
a:hover{text-decoration:underline}
@media (max-width:900px){main{grid-template-columns:1fr;grid-template-rows:60vh auto}aside{border-left:0;border-top:1px solid #e5e7eb}}
`;

// Plain browser script (no build step): pan and zoom by rewriting the viewBox, highlight by classes.
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('erd-data').textContent);
  var pane = document.getElementById('diagram');
  var svg = document.getElementById('erd');
  var graph = svg.querySelector('g.graph');
  var box = svg.viewBox.baseVal;
  var full = { x: box.x, y: box.y, w: box.width, h: box.height };
  var view = { x: full.x, y: full.y, w: full.w, h: full.h };
  var neighbours = {};
  var edgesOf = {};
  Object.keys(data.tables).forEach(function (name) { neighbours[name] = {}; edgesOf[name] = []; });
  data.relations.forEach(function (r) {
    neighbours[r.child][r.parent] = true;
    neighbours[r.parent][r.child] = true;
    edgesOf[r.child].push(r.id);
    edgesOf[r.parent].push(r.id);
  });
  var nameOfNode = {};
  Object.keys(data.tables).forEach(function (name) { nameOfNode[data.tables[name]] = name; });

  function paneSize() { var r = pane.getBoundingClientRect(); return { w: Math.max(r.width, 1), h: Math.max(r.height, 1), left: r.left, top: r.top }; }
  function apply() { svg.setAttribute('viewBox', view.x + ' ' + view.y + ' ' + view.w + ' ' + view.h); }
  // The view keeps the pane's aspect ratio, so screen and diagram units differ by one factor.
  function setWidth(w, anchorX, anchorY) {
    var p = paneSize();
    var minW = 120, maxW = Math.max(full.w, full.h * p.w / p.h) * 1.2;
    w = Math.min(Math.max(w, minW), maxW);
    var fx = anchorX === undefined ? 0.5 : anchorX, fy = anchorY === undefined ? 0.5 : anchorY;
    var ax = view.x + fx * view.w, ay = view.y + fy * view.h;
    view.w = w;
    view.h = w * p.h / p.w;
    view.x = ax - fx * view.w;
    view.y = ay - fy * view.h;
    apply();
  }
  function fitWidth() { var p = paneSize(); view = { x: full.x, y: full.y, w: full.w, h: full.w * p.h / p.w }; apply(); }
  function fitAll() {
    var p = paneSize();
    var w = Math.max(full.w, full.h * p.w / p.h);
    view = { x: full.x - (w - full.w) / 2, y: full.y, w: w, h: w * p.h / p.w };
    apply();
  }
  function zoom(factor) { setWidth(view.w * factor); }

  pane.addEventListener('wheel', function (event) {
    event.preventDefault();
    var p = paneSize();
    if (event.ctrlKey || event.metaKey) {
      setWidth(view.w * Math.exp(event.deltaY * 0.002), (event.clientX - p.left) / p.w, (event.clientY - p.top) / p.h);
    } else {
      view.x += event.deltaX / p.w * view.w;
      view.y += event.deltaY / p.h * view.h;
      apply();
    }
  }, { passive: false });

  var drag = null;
  pane.addEventListener('pointerdown', function (event) {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, moved: false };
    try { pane.setPointerCapture(event.pointerId); } catch (error) { /* pointer already gone */ }
  });
  pane.addEventListener('pointermove', function (event) {
    if (!drag) return;
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    pane.classList.add('dragging');
    var p = paneSize();
    view.x -= dx / p.w * view.w;
    view.y -= dy / p.h * view.h;
    drag.x = event.clientX;
    drag.y = event.clientY;
    apply();
  });
  pane.addEventListener('pointerup', function (event) {
    var wasDrag = drag && drag.moved;
    drag = null;
    pane.classList.remove('dragging');
    if (wasDrag) return;
    var target = document.elementFromPoint(event.clientX, event.clientY);
    var node = target && target.closest ? target.closest('g.node') : null;
    if (node && nameOfNode[node.id]) select(selected === nameOfNode[node.id] ? null : nameOfNode[node.id], false);
    else select(null, false);
  });

  function nodeOf(name) { return document.getElementById(data.tables[name]); }
  function clearMarks() {
    svg.classList.remove('focus');
    svg.querySelectorAll('.lit, .selected').forEach(function (el) { el.classList.remove('lit', 'selected'); });
  }
  function light(name) {
    svg.classList.add('focus');
    nodeOf(name).classList.add('lit', 'selected');
    Object.keys(neighbours[name]).forEach(function (other) { nodeOf(other).classList.add('lit'); });
    edgesOf[name].forEach(function (id) { document.getElementById(id).classList.add('lit'); });
  }
  function lightMatches() {
    if (!matches) return;
    svg.classList.add('focus');
    matches.forEach(function (name) { nodeOf(name).classList.add('lit'); });
  }
  function centre(name) {
    var node = nodeOf(name);
    var b = node.getBBox();
    var m = graph.transform.baseVal.consolidate();
    var x = b.x + b.width / 2, y = b.y + b.height / 2;
    if (m) { var t = m.matrix; var cx = t.a * x + t.c * y + t.e; y = t.b * x + t.d * y + t.f; x = cx; }
    var p = paneSize();
    if (view.w > 1400) { view.w = 1000; view.h = view.w * p.h / p.w; }
    view.x = x - view.w / 2;
    view.y = y - view.h / 2;
    apply();
  }

  var selected = null;
  var matches = null;
  function redraw() {
    clearMarks();
    if (selected) light(selected); else lightMatches();
  }
  function select(name, recentre) {
    selected = name;
    document.querySelectorAll('details.table.selected').forEach(function (el) { el.classList.remove('selected'); });
    redraw();
    if (!name) return;
    var section = document.getElementById('t-' + name);
    if (section) {
      section.classList.add('selected');
      section.open = true;
      section.scrollIntoView({ block: 'nearest' });
    }
    if (recentre) centre(name);
  }

  svg.querySelectorAll('g.node').forEach(function (node) {
    var name = nameOfNode[node.id];
    if (!name) return;
    node.addEventListener('mouseenter', function () { if (!drag) { clearMarks(); light(name); } });
    node.addEventListener('mouseleave', function () { redraw(); });
  });

  document.querySelectorAll('details.table').forEach(function (section) {
    section.querySelector('summary').addEventListener('click', function (event) {
      // Handled here rather than by the default toggle, which would undo the open done by select().
      event.preventDefault();
      if (!section.open) { select(section.dataset.table, true); return; }
      section.open = false;
      if (selected === section.dataset.table) select(null, false);
    });
  });
  document.querySelectorAll('aside a[data-table]').forEach(function (link) {
    link.addEventListener('click', function (event) { event.preventDefault(); select(link.dataset.table, true); });
  });

  var search = document.getElementById('search');
  search.addEventListener('input', function () {
    var query = search.value.trim().toLowerCase();
    matches = query ? [] : null;
    document.querySelectorAll('details.table').forEach(function (section) {
      var name = section.dataset.table;
      var hit = !query || name.indexOf(query) !== -1 || section.querySelector('summary').textContent.toLowerCase().indexOf(query) !== -1;
      section.querySelectorAll('tr[data-column]').forEach(function (row) {
        var match = Boolean(query) && row.dataset.column.indexOf(query) !== -1;
        row.classList.toggle('match', match);
        if (match) hit = true;
      });
      section.classList.toggle('hidden', !hit);
      if (query && hit) matches.push(name);
    });
    if (query) selected = null;
    redraw();
  });

  document.getElementById('zoom-in').addEventListener('click', function () { zoom(1 / 1.25); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoom(1.25); });
  document.getElementById('fit-width').addEventListener('click', fitWidth);
  document.getElementById('fit-all').addEventListener('click', fitAll);
  document.addEventListener('keydown', function (event) {
    if (event.target === search) { if (event.key === 'Escape') { search.value = ''; search.dispatchEvent(new Event('input')); } return; }
    if (event.key === '+' || event.key === '=') zoom(1 / 1.25);
    else if (event.key === '-') zoom(1.25);
    else if (event.key === '0') fitWidth();
    else if (event.key === 'Escape') select(null, false);
    else if (event.key === '/') { event.preventDefault(); search.focus(); }
  });
  window.addEventListener('resize', function () { setWidth(view.w, 0, 0); });
  fitWidth();
})();
`;

export async function toHtml(tables: readonly TableDef[]): Promise<string> {
  const model = buildModel(tables);
  const families = familiesOf(model);
  const svg = inlineSvg(await renderSvg(tables));
  const sections = model.tables.map((t) => tableSection(t, model, familyColour(families, t.family).header));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>acsync: tables and relations</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>acsync: tables and relations</h1>
<span class="hint">${model.tables.length} tables, ${model.relations.length} foreign keys. Drag or scroll to move, Ctrl+scroll or +/− to zoom, click a table to light up its relations.</span>
<span class="tools">
<input type="search" id="search" placeholder="Find a table or column ( / )" aria-label="Find a table or column">
<button type="button" id="zoom-out" title="Zoom out (−)">−</button>
<button type="button" id="zoom-in" title="Zoom in (+)">+</button>
<button type="button" id="fit-width" title="Fit the width (0)">Fit width</button>
<button type="button" id="fit-all" title="Show everything">All</button>
</span>
</header>
<main>
<div id="diagram">
${svg}
</div>
<aside>
<p class="count">${model.tables.length} tables. Open one for its columns; links jump to the referenced table.</p>
${sections.join('\n')}
</aside>
</main>
<script type="application/json" id="erd-data">${pageData(model)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
