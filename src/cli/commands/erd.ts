import { Option, type Command } from 'commander';
import { ERD_FORMATS } from '../../erd/formats.js';
import type { ErdOptions, ErdOutput } from '../erd.js';

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
      const { ErdFormatError, runErd } = await import('../erd.js');
      try {
        await runErd(options, output);
      } catch (error) {
        if (error instanceof ErdFormatError) this.error(`error: ${error.message}`);
        throw error;
      }
    });
}
