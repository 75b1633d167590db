/**
 * Builds the browser console into dist/console: one bundled, minified script (preact included), its stylesheet
 * and the page, plus the relationship diagram page. Nothing is fetched from elsewhere at run time.
 * Run by `npm run build`.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { TABLES } from '../src/catalog/index.js';
import { toHtml } from '../src/erd/index.js';

const out = 'dist/console';
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['console/src/main.tsx'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outfile: `${out}/app.js`,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync('console/index.html', `${out}/index.html`);
copyFileSync('console/app.css', `${out}/app.css`);
writeFileSync(`${out}/erd.html`, await toHtml(TABLES));
