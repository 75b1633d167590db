import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { Option, type Command } from 'commander';
import { TABLES, type TableDef } from '../catalog/index.js';
import { renderSvg, toDot, toHtml, toMermaid } from '../erd/index.js';

export const ERD_FORMATS = ['mermaid', 'dot', 'svg', 'html'] as const;
export type ErdFormat = (typeof ERD_FORMATS)[number];

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

export function registerErd(program: Command): void {
  program
    .command('erd')
    .description('draw the tables and their foreign keys as Mermaid, Graphviz DOT, SVG or a self-contained HTML page')
    .addOption(
      new Option('--format <format>', 'output format (default: from the --out extension, else mermaid)').choices(ERD_FORMATS),
    )
    .option('--out <file>', 'write to this file instead of stdout (.svg, .html, .mmd, .md, .dot, .gv)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  acsync erd                      Mermaid on stdout\n' +
        '  acsync erd --out erd.html       interactive page: pan, zoom, click a table to see its relations\n' +
        '  acsync erd --out docs/erd.svg   the diagram as an image\n' +
        '  acsync erd --format dot | dot -Tpng -o erd.png',
    )
    .action(async function (this: Command, options: ErdOptions) {
      // Through commander's output hooks, so a caller that redirects them (tests) gets the text too.
      const hooks = this.configureOutput();
      const output: ErdOutput = {
        stdout: { write: (text: string) => (hooks.writeOut ?? ((t: string) => process.stdout.write(t)))(text) },
        stderr: { write: (text: string) => (hooks.writeErr ?? ((t: string) => process.stderr.write(t)))(text) },
      };
      try {
        await runErd(options, output);
      } catch (error) {
        if (error instanceof ErdFormatError) this.error(`error: ${error.message}`);
        throw error;
      }
    });
}
