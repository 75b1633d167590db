import type { Column, LogicalType } from './types.js';

interface ColumnOptions {
  /** The API key, when the column's name is not simply the key in lower case (derived columns). */
  readonly from?: string;
  readonly joined?: 'tag';
  readonly json?: true;
  readonly maxChars?: number;
  /** Why the name is a reconstruction (docs/tables.md 1.8). */
  readonly uncertain?: string;
  /** Why the type differs from the contract's (listed in docs/deviations.md). */
  readonly deviation?: string;
}

/** Column names are the API key in ASCII lower case (docs/tables.md 1.1). */
export function columnName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function builder(type: LogicalType) {
  return (key: string, description?: string, options: ColumnOptions = {}): Column => ({
    name: options.from === undefined ? columnName(key) : key,
    type,
    source: options.from ?? key,
    ...(options.joined && { joined: options.joined }),
    ...(options.json && { json: options.json }),
    ...(options.maxChars !== undefined && { maxChars: options.maxChars }),
    ...(description && { description }),
    ...(options.uncertain && { uncertain: options.uncertain }),
    ...(options.deviation && { deviation: options.deviation }),
  });
}

export const float = builder('float');
export const text = builder('text');
export const timestamp = builder('timestamp');
export const date = builder('date');
export const boolean = builder('boolean');
