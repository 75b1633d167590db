/**
 * Which destination a URI names, told from its form alone: the one place that reads the URI forms listed in
 * ./index.ts. No Node import, so the browser console (console/src) tells kinds apart with this same function.
 */

export type DestinationKind = 'duckdb' | 'parquet' | 's3' | 'postgres';

/** The kind of destination and the rest of the URI (the file, folder or URI itself), or undefined if unknown. */
export function destinationKind(uri: string): { readonly kind: DestinationKind; readonly target: string } | undefined {
  const value = uri.trim();
  if (value.startsWith('duckdb:')) return { kind: 'duckdb', target: value.slice('duckdb:'.length) };
  if (/\.(duckdb|db)$/i.test(value) && !value.includes('://')) return { kind: 'duckdb', target: value };
  if (value.startsWith('parquet:')) return { kind: 'parquet', target: value.slice('parquet:'.length) };
  if (value.startsWith('s3://')) return { kind: 's3', target: value };
  if (isPostgresUrl(value) || value === 'postgres' || value === 'postgresql') return { kind: 'postgres', target: value };
  return undefined;
}

/** Whether `value` is a PostgreSQL connection URL (postgres:// or postgresql://). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}
