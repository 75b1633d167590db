import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { TABLES, type TableDef } from '../src/catalog/index.js';
import { registerErd } from '../src/cli/commands/erd.js';
import { ErdFormatError, formatForPath, runErd } from '../src/cli/erd.js';
import { renderSvg, toDot, toHtml, toMermaid } from '../src/erd/index.js';

/** Every foreign key of the catalog as `child.column->parent.key`, sorted. */
const expectedForeignKeys = TABLES.flatMap((t) =>
  t.foreignKeys.map((fk) => `${t.name}.${fk.column}->${fk.table}.${fk.references}`),
).sort();
const tableNames = TABLES.map((t) => t.name).sort();

function decode(text: string): string {
  return text
    .replace(/&#45;/g, '-')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

type Point = readonly [number, number];
interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}
interface SvgText {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly size: number;
  readonly anchor: string;
}
interface SvgNode {
  readonly title: string;
  readonly box: Box;
  readonly texts: readonly SvgText[];
}
interface SvgEdge {
  readonly id: string;
  readonly title: string;
  /** The spline's control points, in drawing order (Graphviz may draw an edge head first). */
  readonly path: readonly Point[];
  readonly arrowhead: readonly Point[];
  readonly texts: readonly SvgText[];
}

function points(list: string): Point[] {
  return list
    .trim()
    .split(/\s+/)
    .map((pair) => {
      const [x, y] = pair.split(',').map(Number);
      return [x as number, y as number] as const;
    });
}

function boundsOf(list: readonly Point[]): Box {
  const xs = list.map((p) => p[0]);
  const ys = list.map((p) => p[1]);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

function textsOf(group: string): SvgText[] {
  return [...group.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)].map((m) => {
    const attribute = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(m[1] as string)?.[1] ?? '';
    return {
      text: decode(m[2] as string),
      x: Number(attribute('x')),
      y: Number(attribute('y')),
      size: Number(attribute('font-size')),
      anchor: attribute('text-anchor'),
    };
  });
}

/** Splits Graphviz SVG into its node and edge groups (each runs to the next group of the same level). */
function parseSvg(svg: string): { nodes: Map<string, SvgNode>; edges: SvgEdge[] } {
  const starts = [...svg.matchAll(/<g id="([^"]*)" class="(node|edge|cluster)\b[^"]*">/g)];
  const nodes = new Map<string, SvgNode>();
  const edges: SvgEdge[] = [];
  starts.forEach((start, i) => {
    const group = svg.slice(start.index, starts[i + 1]?.index ?? svg.length);
    const title = decode(/<title>([^<]*)<\/title>/.exec(group)?.[1] ?? '');
    const polygons = [...group.matchAll(/<polygon[^>]*\spoints="([^"]+)"/g)].map((m) => points(m[1] as string));
    if (start[2] === 'node') {
      nodes.set(title, { title, box: boundsOf(polygons.flat()), texts: textsOf(group) });
    } else if (start[2] === 'edge') {
      const d = / d="([^"]+)"/.exec(group)?.[1] ?? '';
      edges.push({
        id: decode(start[1] as string),
        title,
        path: points(d.replace(/[MC]/g, ' ')),
        arrowhead: polygons[0] ?? [],
        texts: textsOf(group),
      });
    }
  });
  return { nodes, edges };
}

function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/** A text's box, its width estimated generously (0.62 em a character) since SVG holds no metrics. */
function textBox(t: SvgText): Box {
  const width = t.text.length * t.size * 0.62;
  const x0 = t.anchor === 'middle' ? t.x - width / 2 : t.anchor === 'end' ? t.x - width : t.x;
  return { x0, y0: t.y - t.size, x1: x0 + width, y1: t.y + t.size * 0.25 };
}

function bezierSamples(path: readonly Point[], steps = 24): Point[] {
  const samples: Point[] = [];
  for (let i = 0; i + 3 < path.length; i += 3) {
    const [a, b, c, d] = [path[i], path[i + 1], path[i + 2], path[i + 3]] as [Point, Point, Point, Point];
    for (let k = 0; k <= steps; k++) {
      const t = k / steps;
      const u = 1 - t;
      const at = (j: 0 | 1) => u * u * u * a[j] + 3 * u * u * t * b[j] + 3 * u * t * t * c[j] + t * t * t * d[j];
      samples.push([at(0), at(1)]);
    }
  }
  return samples;
}

/** The vertical centre of a column's row: its name's baseline sits about a third of the font above. */
function rowCentre(node: SvgNode, column: string): number {
  const label = node.texts.find((t) => t.text === column);
  assert.ok(label, `${node.title} shows no row for ${column}`);
  return label.y - label.size * 0.36;
}

/** The relation an edge id names: `fk:<child>.<column>:<parent>.<key>`. */
function relationOfEdge(id: string): { child: string; column: string; parent: string; key: string } {
  const match = /^fk:(\w+)\.(\w+):(\w+)\.(\w+)$/.exec(id);
  assert.ok(match, `unexpected edge id ${id}`);
  const [, child, column, parent, key] = match as unknown as [string, string, string, string, string];
  return { child, column, parent, key };
}

function checkDiagramSvg(svg: string): void {
  const { nodes, edges } = parseSvg(svg);
  assert.deepEqual([...nodes.keys()].sort(), tableNames);
  assert.deepEqual(
    edges.map((e) => {
      const r = relationOfEdge(e.id);
      // The title names the endpoints Graphviz drew; it must agree with the relation the id names.
      assert.match(e.title, new RegExp(`^${r.child}:[we]->${r.parent}:[we]$`));
      return `${r.child}.${r.column}->${r.parent}.${r.key}`;
    }).sort(),
    expectedForeignKeys,
  );
}

describe('Mermaid', () => {
  const text = toMermaid(TABLES);

  test('declares every table as an entity with its primary key', () => {
    assert.match(text, /^erDiagram\n/);
    const blocks = new Map(
      [...text.matchAll(/^ {4}"?(\w+)"? \{\n([\s\S]*?)\n {4}\}$/gm)].map((m) => [m[1] as string, m[2] as string]),
    );
    assert.deepEqual([...blocks.keys()].sort(), tableNames);
    for (const table of TABLES) {
      for (const key of table.primaryKey) {
        assert.match(blocks.get(table.name) ?? '', new RegExp(`^ {8}\\w+ \`?${key}\`? PK\\b`, 'm'), `${table.name}.${key}`);
      }
    }
  });

  test('draws one relationship per foreign key, identifying exactly when the key column is in the primary key', () => {
    const blocks = new Map(
      [...text.matchAll(/^ {4}"?(\w+)"? \{\n([\s\S]*?)\n {4}\}$/gm)].map((m) => [m[1] as string, m[2] as string]),
    );
    const relations = [...text.matchAll(/^ {4}"?(\w+)"? (\|\||\|o)(--|\.\.)o\{ "?(\w+)"? : "(\w+)"$/gm)];
    const found = relations.map((m) => {
      const [, parent, parentSide, line, child, column] = m as unknown as string[];
      const table = TABLES.find((t) => t.name === child) as TableDef;
      const identifying = table.primaryKey.includes(column as string);
      assert.equal(line === '--' && parentSide === '||', identifying, `${child}.${column}`);
      // The child's attribute line names the referenced column, which the relationship line cannot.
      const attribute = new RegExp(`^ {8}\\w+ \`?${column}\`? [^"\\n]*FK "([^"]+)"$`, 'm').exec(blocks.get(child as string) ?? '');
      assert.ok(attribute, `${child}.${column} has no FK attribute`);
      const target = (attribute[1] as string).split(', ').find((t) => t.startsWith(`${parent}.`));
      return `${child}.${column}->${target}`;
    });
    assert.deepEqual(found.sort(), expectedForeignKeys);
  });

  test('quotes names Mermaid would read as keywords', () => {
    const odd: TableDef[] = [
      {
        ...(TABLES.find((t) => t.name === 'pipelines') as TableDef),
        name: 'classes',
        columns: [{ name: 'pk', type: 'float', source: 'pk' }],
        primaryKey: ['pk'],
        foreignKeys: [],
      },
    ];
    const out = toMermaid(odd);
    assert.match(out, /^ {4}"classes" \{$/m);
    assert.match(out, /^ {8}float `pk` PK$/m);
  });
});

describe('DOT', () => {
  const dot = toDot(TABLES);

  test('has one node per table and rankdir LR', () => {
    const nodes = [...dot.matchAll(/^\s+"(\w+)" \[id=/gm)].map((m) => m[1] as string);
    assert.deepEqual(nodes.sort(), tableNames);
    assert.match(dot, /rankdir=LR/);
  });

  test('has one edge per foreign key, from the column port to the key port, and every port exists', () => {
    const labels = new Map([...dot.matchAll(/^\s+"(\w+)" \[id=.*label=<(.*)>\];$/gm)].map((m) => [m[1], m[2] as string]));
    const edges = [...dot.matchAll(/^\s+"(\w+)":"([we])-(\w+)":([we]) -> "(\w+)":"([we])-(\w+)":([we]) \[(.*)\];$/gm)];
    assert.equal(edges.length, [...dot.matchAll(/->/g)].length, 'every edge line is in the expected form');
    const found = edges.map((m) => {
      const [, child, childSide, column, childCompass, parent, parentSide, key, parentCompass, attributes] = m as unknown as string[];
      assert.equal(childSide, childCompass);
      assert.equal(parentSide, parentCompass);
      assert.ok(labels.get(child)?.includes(`port="${childSide}-${column}"`), `${child} lacks port ${childSide}-${column}`);
      assert.ok(labels.get(parent)?.includes(`port="${parentSide}-${key}"`), `${parent} lacks port ${parentSide}-${key}`);
      // Left to right, except back-references drawn right to left outside the ranking.
      const back = (attributes as string).includes('constraint=false');
      assert.deepEqual([childSide, parentSide], back ? ['w', 'e'] : ['e', 'w']);
      return `${child}.${column}->${parent}.${key}`;
    });
    assert.deepEqual(found.sort(), expectedForeignKeys);
  });

  test('lists key columns with PK marks and counts the other columns', () => {
    for (const table of TABLES) {
      const label = new RegExp(`^\\s+"${table.name}" \\[id=.*$`, 'm').exec(dot)?.[0] ?? '';
      for (const key of table.primaryKey) assert.match(label, new RegExp(`port="w-${key}".*?PK`), `${table.name}.${key}`);
      const listed = [...label.matchAll(/port="w-(\w+)"/g)].length;
      const others = table.columns.length - listed;
      if (others > 0) assert.match(label, new RegExp(`\\+ ${others} more columns?<`), table.name);
    }
  });
});

describe('SVG', () => {
  let svg = '';
  before(async () => {
    svg = await renderSvg(TABLES);
  });

  test('draws every table and every foreign key', () => {
    assert.match(svg, /<svg\b/);
    checkDiagramSvg(svg);
  });

  test('docs/erd.svg is the current diagram (regenerate with: acsync erd --out docs/erd.svg)', async () => {
    assert.equal(await readFile(new URL('../docs/erd.svg', import.meta.url), 'utf8'), svg);
  });

  test('no two table boxes overlap', () => {
    const nodes = [...parseSvg(svg).nodes.values()];
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const [a, b] = [nodes[i] as SvgNode, nodes[j] as SvgNode];
        assert.ok(!overlaps(a.box, b.box), `${a.title} overlaps ${b.title}`);
      }
    }
  });

  test('each edge runs from its column row to the referenced key row', () => {
    const { nodes, edges } = parseSvg(svg);
    for (const edge of edges) {
      const r = relationOfEdge(edge.id);
      const child = nodes.get(r.child) as SvgNode;
      const parent = nodes.get(r.parent) as SvgNode;
      const rowY = rowCentre(child, r.column);
      const ends = [edge.path[0], edge.path.at(-1)] as Point[];
      assert.ok(
        ends.some((p) => Math.min(Math.abs(p[0] - child.box.x0), Math.abs(p[0] - child.box.x1)) < 1.5 && Math.abs(p[1] - rowY) < 8),
        `${edge.id} does not leave ${r.child} at the ${r.column} row`,
      );
      const keyY = rowCentre(parent, r.key);
      const distanceToSide = (p: Point) => Math.min(Math.abs(p[0] - parent.box.x0), Math.abs(p[0] - parent.box.x1));
      const tip = edge.arrowhead.reduce((best, p) => (distanceToSide(p) < distanceToSide(best) ? p : best));
      assert.ok(distanceToSide(tip) < 3 && Math.abs(tip[1] - keyY) < 8, `${edge.id} does not point at ${r.parent}.${r.key}`);
    }
  });

  test('no edge crosses a table other than its two ends', () => {
    const { nodes, edges } = parseSvg(svg);
    for (const edge of edges) {
      const r = relationOfEdge(edge.id);
      const samples = bezierSamples(edge.path);
      for (const node of nodes.values()) {
        if (node.title === r.child || node.title === r.parent) continue;
        const inner = { x0: node.box.x0 + 1, y0: node.box.y0 + 1, x1: node.box.x1 - 1, y1: node.box.y1 - 1 };
        const inside = samples.filter(([x, y]) => x > inner.x0 && x < inner.x1 && y > inner.y0 && y < inner.y1);
        assert.equal(inside.length, 0, `${edge.id} crosses ${node.title}`);
      }
    }
  });

  test('edge labels, if any, stay clear of tables and of each other', () => {
    const { nodes, edges } = parseSvg(svg);
    const labels = edges.flatMap((e) => e.texts.map((t) => ({ edge: e.id, box: textBox(t) })));
    for (const label of labels) {
      for (const node of nodes.values()) assert.ok(!overlaps(label.box, node.box), `label of ${label.edge} overlaps ${node.title}`);
    }
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        assert.ok(!overlaps((labels[i] as { box: Box }).box, (labels[j] as { box: Box }).box), 'two edge labels overlap');
      }
    }
  });

  test('every text of a table lies inside its box', () => {
    for (const node of parseSvg(svg).nodes.values()) {
      for (const text of node.texts) {
        assert.ok(text.x >= node.box.x0 && text.x < node.box.x1, `${node.title}: "${text.text}" starts outside the box`);
        assert.ok(text.y > node.box.y0 && text.y <= node.box.y1, `${node.title}: "${text.text}" sits outside the box`);
      }
    }
  });
});

describe('HTML', () => {
  let html = '';
  before(async () => {
    html = await toHtml(TABLES);
  });

  test('inlines the diagram with every table and foreign key', () => {
    assert.match(html, /^<!doctype html>/);
    const start = html.indexOf('<svg');
    const end = html.indexOf('</svg>');
    assert.ok(start !== -1 && end > start, 'no inline <svg>');
    checkDiagramSvg(html.slice(start, end));
  });

  test('lists every table with all its columns, and gives the script every relation', () => {
    for (const table of TABLES) {
      const section = new RegExp(`<details class="table" id="t-${table.name}"[\\s\\S]*?</details>`).exec(html)?.[0];
      assert.ok(section, `no section for ${table.name}`);
      const columns = [...section.matchAll(/<tr data-column="(\w+)">/g)].map((m) => m[1]);
      assert.deepEqual(columns, table.columns.map((c) => c.name));
      for (const fk of table.foreignKeys) {
        assert.ok(section.includes(`FK → <a href="#t-${fk.table}" data-table="${fk.table}">${fk.table}.${fk.references}</a>`));
      }
    }
    const data = JSON.parse(/<script type="application\/json" id="erd-data">([^<]*)<\/script>/.exec(html)?.[1] ?? '{}') as {
      tables: Record<string, string>;
      relations: { id: string }[];
    };
    assert.deepEqual(Object.keys(data.tables).sort(), tableNames);
    assert.deepEqual(
      data.relations.map((r) => {
        const rel = relationOfEdge(r.id);
        assert.ok(html.includes(`id="${r.id}"`), `script names ${r.id}, which the diagram lacks`);
        return `${rel.child}.${rel.column}->${rel.parent}.${rel.key}`;
      }).sort(),
      expectedForeignKeys,
    );
  });

  test('needs no network: no external URL, stylesheet, script or font', () => {
    assert.doesNotMatch(html, /https?:\/\//i);
    assert.doesNotMatch(html, /\b(?:src|srcset|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?!#)[^\s"'>]*:?\/\//i);
    assert.doesNotMatch(html, /url\(\s*["']?\s*(?!#)/i);
    assert.doesNotMatch(html, /@import|<link\b|<iframe\b|<object\b|<embed\b|<img\b/i);
    assert.doesNotMatch(html, /<script\b[^>]*\ssrc=/i);
    assert.doesNotMatch(html, /\bfetch\(|XMLHttpRequest|WebSocket|EventSource/);
    for (const href of html.matchAll(/\bhref="([^"]*)"/g)) assert.match(href[1] as string, /^#t-\w+$/);
  });
});

describe('acsync erd', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'acsync-erd-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function program(): { program: Command; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    const cli = new Command('acsync')
      .exitOverride()
      .configureOutput({ writeOut: (text) => out.push(text), writeErr: (text) => err.push(text) });
    registerErd(cli);
    return { program: cli, out, err };
  }

  test('picks the format from the file extension', () => {
    assert.equal(formatForPath('docs/erd.svg'), 'svg');
    assert.equal(formatForPath('erd.HTML'), 'html');
    assert.equal(formatForPath('erd.mmd'), 'mermaid');
    assert.equal(formatForPath('README.md'), 'mermaid');
    assert.equal(formatForPath('erd.gv'), 'dot');
    assert.equal(formatForPath('erd.dot'), 'dot');
    assert.equal(formatForPath('erd.png'), undefined);
  });

  test('--out writes the SVG file (and creates its directory)', async () => {
    const cli = program();
    const path = join(dir, 'nested', 'erd.svg');
    await cli.program.parseAsync(['node', 'acsync', 'erd', '--out', path]);
    const svg = await readFile(path, 'utf8');
    checkDiagramSvg(svg);
    assert.deepEqual(cli.out, []);
    assert.match(cli.err.join(''), /^wrote .*erd\.svg \(svg: 33 tables, 76 foreign keys\)\n$/);
  });

  test('--out writes HTML, DOT and Mermaid by extension; .md is fenced for GitHub', async () => {
    const cases: [string, RegExp][] = [
      ['erd.html', /^<!doctype html>/],
      ['erd.gv', /^digraph acsync \{/],
      ['erd.mmd', /^erDiagram\n/],
      ['erd.md', /^```mermaid\nerDiagram\n[\s\S]*\n```\n$/],
    ];
    for (const [name, shape] of cases) {
      await program().program.parseAsync(['node', 'acsync', 'erd', '--out', join(dir, name)]);
      assert.match(await readFile(join(dir, name), 'utf8'), shape, name);
    }
  });

  test('--format overrides the extension', async () => {
    const path = join(dir, 'graph.txt');
    await program().program.parseAsync(['node', 'acsync', 'erd', '--format', 'dot', '--out', path]);
    assert.equal(await readFile(path, 'utf8'), toDot(TABLES));
  });

  test('without --out prints Mermaid to stdout', async () => {
    const cli = program();
    await cli.program.parseAsync(['node', 'acsync', 'erd']);
    assert.equal(cli.out.join(''), toMermaid(TABLES));
    const out: string[] = [];
    await runErd({ format: 'dot' }, { stdout: { write: (t: string) => out.push(t) }, stderr: { write: () => true } });
    assert.equal(out.join(''), toDot(TABLES));
  });

  test('an extension that names no format is a usage error', async () => {
    const cli = program();
    await assert.rejects(
      cli.program.parseAsync(['node', 'acsync', 'erd', '--out', join(dir, 'erd.png')]),
      (error: unknown) => error instanceof CommanderError && /cannot tell the format/.test(error.message),
    );
    await assert.rejects(runErd({ out: join(dir, 'erd.png') }), ErdFormatError);
    await assert.rejects(
      program().program.parseAsync(['node', 'acsync', 'erd', '--format', 'png']),
      (error: unknown) => error instanceof CommanderError && error.code === 'commander.invalidArgument',
    );
  });
});
