/**
 * The Parquet lake's destination URIs: `parquet:<dir>[?keep=N]` (a local lake) and
 * `s3://bucket[/prefix][?keep=N&cache=<dir>]` (a lake on S3), each a ParquetDestination over its store.
 */
import { sep } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { LocalLakeStore } from './lake-store.js';
import { DEFAULT_KEEP_VERSIONS, ParquetDestination } from './parquet.js';
import { S3LakeStore } from './s3.js';

/**
 * Splits `<location>?a=1&b=2` into the location and its options, refusing options not in `allowed`.
 * `uriHint` is the URI's form for messages.
 */
export function splitLakeUri(value: string, allowed: readonly string[], uriHint: string): { location: string; options: Map<string, string> } {
  const question = value.indexOf('?');
  const location = question < 0 ? value : value.slice(0, question);
  const options = new Map<string, string>();
  if (question >= 0) {
    for (const [name, option] of new URLSearchParams(value.slice(question + 1))) {
      if (!allowed.includes(name)) {
        throw new ConfigError(`unknown option "${name}" in --dest ${uriHint}; the options are ${allowed.join(', ')}`);
      }
      options.set(name, option);
    }
  }
  return { location, options };
}

/** The `keep` option: versions kept per table. */
export function keepOption(options: Map<string, string>, uriHint: string): number {
  const raw = options.get('keep');
  if (raw === undefined) return DEFAULT_KEEP_VERSIONS;
  const keep = Number(raw);
  if (!/^\d+$/.test(raw) || keep < 1) {
    throw new ConfigError(`keep=${raw} in --dest ${uriHint}: give the number of versions to keep per table, at least 1 (default ${DEFAULT_KEEP_VERSIONS})`);
  }
  return keep;
}

/** `parquet:<dir>[?keep=N]` (what follows `parquet:`). */
export function parquetDestinationFromUri(rest: string): ParquetDestination {
  const hint = 'parquet:<dir>';
  const { location, options } = splitLakeUri(rest, ['keep'], hint);
  if (!location) throw new ConfigError(`the parquet destination needs a directory: --dest ${hint}, e.g. --dest parquet:./lake`);
  const store = new LocalLakeStore(location);
  return new ParquetDestination({ store, keep: keepOption(options, hint), description: `Parquet lake ${location.endsWith(sep) ? location.slice(0, -1) : location}` });
}

const S3_HINT = 's3://<bucket>/<prefix>';

/** `s3://bucket[/prefix][?keep=N&cache=<dir>]`. */
export function s3DestinationFromUri(uri: string, env: NodeJS.ProcessEnv = process.env): ParquetDestination {
  const { bucket, prefix, options } = parseS3Uri(uri);
  const cache = options.get('cache');
  const store = new S3LakeStore({ bucket, prefix, env, ...(cache && { cacheDir: cache }) });
  return new ParquetDestination({ store, keep: keepOption(options, S3_HINT), description: `Parquet lake ${store.location}` });
}

/** The bucket, key prefix and options of `s3://bucket[/prefix][?keep=N&cache=<dir>]`. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string; options: Map<string, string> } {
  const { location, options } = splitLakeUri(uri, ['keep', 'cache'], S3_HINT);
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  const bucket = match?.[1] ?? '';
  if (!match || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`"${location}" does not name an S3 bucket: use --dest ${S3_HINT}, e.g. --dest s3://my-bucket/activecampaign`);
  }
  return { bucket, prefix: match[2] ?? '', options };
}
