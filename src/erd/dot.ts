import type { TableDef } from '../catalog/index.js';
import { buildModel, familiesOf, type ErdTable, type KeyColumn, type Relation } from './model.js';
import { BORDER, CLUSTER_BORDER, CLUSTER_FILL, FONT, MUTED, familyColour } from './theme.js';

/**
 * Graphviz DOT for the relationship diagram. Each table is an HTML-like label: a header, one row per key
 * column (name, type in grey, PK/FK mark), then how many other columns it has. Each row carries a port on
 * either side, `w-<column>` and `e-<column>` ('-' never occurs in a column name). Children sit left of
 * their parents (rankdir LR), so an edge leaves the referencing column's east port and enters the
 * referenced key's west port. The one exception is a back-reference from a parent to its own sub-table
 * (deals.nexttask → deals_tasks while deals_tasks.relid → deals): it runs right to left, west port to
 * east port, and does not take part in ranking, so the pair stays side by side.
 */

export type Side = 'w' | 'e';

/** Port on the `side` of `column`'s row. */
export function port(column: string, side: Side): string {
  return `${side}-${column}`;
}

/** SVG id of a table's node. */
export function nodeId(table: string): string {
  return `table:${table}`;
}

/** SVG id of a relation's edge; one foreign key per (table, column, parent, key) so it is unique. */
export function edgeId(relation: Relation): string {
  return `fk:${relation.child}.${relation.column}:${relation.parent}.${relation.references}`;
}

/** Escapes text for an HTML-like label. */
function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Quotes a DOT identifier. */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function marker(key: KeyColumn): string {
  const marks = [key.primary ? 'PK' : '', key.references.length > 0 ? 'FK' : ''].filter(Boolean);
  return marks.join(' ');
}

// Headroom for fonts wider than the Helvetica metrics Graphviz lays out with (DejaVu Sans where
// neither Helvetica, Arial nor a metric twin is installed): a gap after names, spaces after titles.
const GAP = 8;
const HEADER_HEADROOM = '&#160;'.repeat(3);

function columnRow(key: KeyColumn): string {
  // Name first: Graphviz spreads a wide header's extra width over all cells, and only the first cell
  // keeps its text at the table's left edge, so names stay aligned.
  const name = key.primary ? `<b>${html(key.column.name)}</b>` : html(key.column.name);
  return (
    `<tr>` +
    `<td port="${html(port(key.column.name, 'w'))}" align="left">${name}</td>` +
    `<td width="${GAP}"></td>` +
    `<td align="left"><font point-size="9" color="${MUTED}">${html(key.column.type)}</font></td>` +
    `<td port="${html(port(key.column.name, 'e'))}" align="right"><font point-size="9" color="${MUTED}">${marker(key)}</font></td>` +
    `</tr>`
  );
}

function nodeLabel(table: ErdTable, header: string): string {
  const rows = [
    `<tr><td colspan="4" align="left" bgcolor="${header}" cellpadding="5"><b>${html(table.def.name)}</b>${HEADER_HEADROOM}</td></tr>`,
    ...table.keyColumns.map(columnRow),
  ];
  if (table.otherColumnCount > 0) {
    const noun = table.otherColumnCount === 1 ? 'column' : 'columns';
    rows.push(
      `<tr><td colspan="4" align="left"><font point-size="9" color="${MUTED}"><i>+ ${table.otherColumnCount} more ${noun}</i></font></td></tr>`,
    );
  }
  return (
    `<<table border="1" cellborder="0" cellspacing="0" cellpadding="3" bgcolor="white" color="${BORDER}">` +
    rows.join('') +
    `</table>>`
  );
}

function legend(tableCount: number, relationCount: number): string {
  return (
    `<<table border="0" cellborder="0" cellspacing="0" cellpadding="2">` +
    `<tr><td align="left"><font point-size="14"><b>acsync tables and relations</b></font></td></tr>` +
    `<tr><td align="left"><font color="${MUTED}">${tableCount} tables, ${relationCount} foreign keys. ` +
    `An arrow runs from a foreign-key column to the key it references; thick arrows are part of the child's primary key. ` +
    `PK primary key, FK foreign key.</font></td></tr>` +
    `</table>>`
  );
}

/**
 * True for a reference from a table to its own sub-table (a table named `<child>_…`) when the sub-table
 * also references it: drawn against the flow so the pair is not pulled apart.
 */
export function isBackReference(relation: Relation, relations: readonly Relation[]): boolean {
  return (
    relation.parent.startsWith(`${relation.child}_`) &&
    relations.some((r) => r.child === relation.parent && r.parent === relation.child)
  );
}

export function toDot(tables: readonly TableDef[]): string {
  const model = buildModel(tables);
  const families = familiesOf(model);
  const colourOf = new Map(model.tables.map((t) => [t.def.name, familyColour(families, t.family)]));
  const familyOfTable = new Map(model.tables.map((t) => [t.def.name, t.family]));
  const lines: string[] = [
    'digraph acsync {',
    `  graph [rankdir=LR, splines=true, nodesep=0.25, ranksep=0.9, mclimit=4, pad=0.3, outputorder=edgesfirst, fontname=${quote(FONT)}, fontsize=11, bgcolor="white"];`,
    `  node [shape=plain, fontname=${quote(FONT)}, fontsize=11];`,
    `  edge [arrowsize=0.6, penwidth=1.1];`,
    `  label=${legend(model.tables.length, model.relations.length)};`,
    '  labelloc=t;',
    '  labeljust=l;',
  ];
  const nodeLine = (table: ErdTable): string => {
    const header = colourOf.get(table.def.name)?.header ?? 'white';
    return `${quote(table.def.name)} [id=${quote(nodeId(table.def.name))}, class=${quote(`table family-${families.indexOf(table.family)}`)}, tooltip=${quote(table.def.title)}, label=${nodeLabel(table, header)}];`;
  };
  // A family of two or more tables is a shaded cluster: Graphviz keeps it together, which keeps its edges
  // short. Unlabelled, since table names already start with their family and edges may cross a label.
  for (const [index, family] of families.entries()) {
    const members = model.tables.filter((t) => t.family === family);
    if (members.length < 2) {
      lines.push(...members.map((t) => `  ${nodeLine(t)}`));
      continue;
    }
    lines.push(
      `  subgraph ${quote(`cluster_${index}`)} {`,
      `    graph [id=${quote(`family-${index}`)}, label="", style="rounded,filled", color=${quote(CLUSTER_BORDER)}, fillcolor=${quote(CLUSTER_FILL)}, margin=10];`,
      ...members.map((t) => `    ${nodeLine(t)}`),
      '  }',
    );
  }
  for (const relation of model.relations) {
    // Coloured like the referenced table's header, so a long edge says where it goes.
    const colour = colourOf.get(relation.parent)?.edge ?? 'black';
    const back = isBackReference(relation, model.relations);
    const from = `${quote(relation.child)}:${quote(port(relation.column, back ? 'w' : 'e'))}:${back ? 'w' : 'e'}`;
    const to = `${quote(relation.parent)}:${quote(port(relation.references, back ? 'e' : 'w'))}:${back ? 'e' : 'w'}`;
    const tooltip = `${relation.child}.${relation.column} → ${relation.parent}.${relation.references}`;
    const attributes = [
      `id=${quote(edgeId(relation))}`,
      'class="fk"',
      `color=${quote(colour)}`,
      `tooltip=${quote(tooltip)}`,
      ...(relation.identifying ? ['penwidth=1.8'] : []),
      // Shorter, straighter edges inside a family; across families the hubs (users, contacts) pull.
      ...(familyOfTable.get(relation.child) === familyOfTable.get(relation.parent) ? ['weight=3'] : []),
      ...(back ? ['constraint=false'] : []),
    ];
    lines.push(`  ${from} -> ${to} [${attributes.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
