/** The relationship diagram of the catalog in four formats; pure functions of the tables they are given. */
export { toDot } from './dot.js';
export { toHtml } from './html.js';
export { toMermaid } from './mermaid.js';
export { renderSvg } from './svg.js';
