/** The diagram's output formats, on their own so the CLI can declare `erd --format` without loading a renderer. */
export const ERD_FORMATS = ['mermaid', 'dot', 'svg', 'html'] as const;
export type ErdFormat = (typeof ERD_FORMATS)[number];
