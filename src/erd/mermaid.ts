import type { TableDef } from '../catalog/index.js';
import { buildModel, type KeyColumn, type Relation } from './model.js';

/**
 * Mermaid `erDiagram` text: one entity per table with its key columns (PK/FK marked, the referenced
 * column as comment), then one relationship per foreign key, labelled with the referencing column.
 * GitHub renders it in Markdown inside a ```mermaid fence.
 */

// Mermaid's lexer takes these words for keywords when a bare name starts with them (its rules match in
// order, without word boundaries), so such names are quoted.
const KEYWORD_PREFIX = /^(?:style|classdef|class|subgraph|end\b|one|zero|many|only|to|optionally)/i;
// Inside an entity block, a bare pk/fk/uk is read as a key marker.
const KEY_WORD = /^(?:pk|fk|uk)$/i;
const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

function entityName(name: string): string {
  return PLAIN.test(name) && !KEYWORD_PREFIX.test(name) ? name : `"${name.replace(/"/g, "'")}"`;
}

function attributeName(name: string): string {
  return PLAIN.test(name) && !KEY_WORD.test(name) ? name : `\`${name.replace(/`/g, "'")}\``;
}

function attributeLine(key: KeyColumn): string {
  const keys = [key.primary ? 'PK' : '', key.references.length > 0 ? 'FK' : ''].filter(Boolean).join(', ');
  const targets = key.references.map((fk) => `${fk.table}.${fk.references}`).join(', ');
  return [key.column.type, attributeName(key.column.name), keys, targets && `"${targets}"`].filter(Boolean).join(' ');
}

/**
 * Crow's foot from parent to child: a child row has at most one parent (`|o`, the key may be null or
 * dangling); a parent has any number of children (`o{`). A key column of the child makes the relation
 * identifying (solid line, exactly one parent); otherwise the line is dotted.
 */
function relationshipLine(relation: Relation): string {
  const spec = relation.identifying ? '||--o{' : '|o..o{';
  return `    ${entityName(relation.parent)} ${spec} ${entityName(relation.child)} : "${relation.column}"`;
}

export function toMermaid(tables: readonly TableDef[]): string {
  const model = buildModel(tables);
  const lines = ['erDiagram'];
  for (const table of model.tables) {
    if (table.otherColumnCount > 0) {
      lines.push(`    %% ${table.def.name}: ${table.def.title}; ${table.otherColumnCount} more columns not shown`);
    }
    lines.push(`    ${entityName(table.def.name)} {`);
    lines.push(...table.keyColumns.map((key) => `        ${attributeLine(key)}`));
    lines.push('    }');
  }
  lines.push(...model.relations.map(relationshipLine));
  return `${lines.join('\n')}\n`;
}
