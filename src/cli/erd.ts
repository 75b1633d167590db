import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { TABLES, type TableDef } from '../catalog/index.js';
import { ERD_FORMATS, type ErdFormat } from '../erd/formats.js';
import { renderSvg, toDot, toHtml, toMermaid } from '../erd/index.js';

const FORMAT_BY_EXTENSION: Readonly<Record<string, ErdFormat>> = {
  '.svg': 'svg',
  '.html': 'html',
  '.htm': 'html',
  '.mmd': 'mermaid',
  '.md': 'mermaid',
  '.dot': 'dot',
  '.gv': 'dot',
};

/** The format a file name asks for, or undefined when its extension says nothing. */
export function formatForPath(path: string): ErdFormat | undefined {
  return FORMAT_BY_EXTENSION[extname(path).toLowerCase()];
}

export async function renderErd(format: ErdFormat, tables: readonly TableDef[] = TABLES): Promise<string> {
  switch (format) {
    case 'mermaid':
      return toMermaid(tables);
    case 'dot':
      return toDot(tables);
    case 'svg':
      return renderSvg(tables);
    case 'html':
      return toHtml(tables);
  }
}

/** The format cannot be told from the arguments; a usage error, reported as such by the CLI. */
export class ErdFormatError extends Error {
  override readonly name = 'ErdFormatError';
}

export interface ErdOptions {
  readonly format?: ErdFormat;
  readonly out?: string;
}

export interface ErdOutput {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * Draws the catalog: to `out` in the format its extension names (or `format`), else to stdout as
 * Mermaid. Mermaid written to a .md file is fenced, so GitHub renders it.
 */
export async function runErd(options: ErdOptions, output: ErdOutput = process): Promise<void> {
  const format = options.format ?? (options.out === undefined ? 'mermaid' : formatForPath(options.out));
  if (format === undefined) {
    throw new ErdFormatError(
      `cannot tell the format from the name ${JSON.stringify(options.out)}: use --format ${ERD_FORMATS.join('|')} ` +
        `or end the name in .svg, .html, .mmd, .md, .dot or .gv`,
    );
  }
  const text = await renderErd(format);
  if (options.out === undefined) {
    output.stdout.write(text);
    return;
  }
  const fenced = format === 'mermaid' && extname(options.out).toLowerCase() === '.md';
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, fenced ? `\`\`\`mermaid\n${text}\`\`\`\n` : text);
  const relations = TABLES.reduce((count, table) => count + table.foreignKeys.length, 0);
  output.stderr.write(`wrote ${options.out} (${format}: ${TABLES.length} tables, ${relations} foreign keys)\n`);
}
