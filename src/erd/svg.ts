import type { Viz } from '@viz-js/viz';
import type { TableDef } from '../catalog/index.js';
import { toDot } from './dot.js';

// The WebAssembly module takes a while to load and compile: imported only for SVG (and HTML), and one instance
// serves every render of the process.
let vizInstance: Promise<Viz> | undefined;

/** Lays the diagram out with Graphviz (WebAssembly, no network) and returns the SVG document. */
export async function renderSvg(tables: readonly TableDef[]): Promise<string> {
  vizInstance ??= import('@viz-js/viz').then(({ instance }) => instance());
  const viz = await vizInstance;
  return viz.renderString(toDot(tables), { format: 'svg', engine: 'dot' });
}
