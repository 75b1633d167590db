/**
 * The DuckDB destination's database file: refusing, before DuckDB touches anything, a path it could not use
 * or must not change, and saying in one line why a file would not open.
 */
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../core/errors.js';

/** Bytes 8-11 of every DuckDB database file (after an 8-byte checksum). */
const DUCKDB_MAGIC = 'DUCK';

/**
 * Refuses, before DuckDB touches anything, a path it could not use or must not change: a missing or
 * unwritable directory, and an existing file that is not a DuckDB database.
 */
export function checkDatabasePath(path: string): void {
  const directory = dirname(path);
  const fix = 'create it or choose another file with --dest duckdb:<file>';
  let directoryStat;
  try {
    directoryStat = statSync(directory);
  } catch {
    throw new ConfigError(`cannot create the DuckDB file ${path}: the directory ${directory} does not exist; ${fix}`);
  }
  if (!directoryStat.isDirectory()) {
    throw new ConfigError(`cannot create the DuckDB file ${path}: ${directory} is not a directory; choose another file with --dest duckdb:<file>`);
  }
  try {
    // DuckDB writes its write-ahead log next to the file, so the directory must be writable too.
    accessSync(directory, constants.W_OK);
  } catch {
    throw new ConfigError(`cannot write the DuckDB file ${path}: the directory ${directory} is not writable; fix its permissions or choose another file with --dest duckdb:<file>`);
  }

  let fileStat;
  try {
    fileStat = statSync(path);
  } catch {
    return; // DuckDB creates the file.
  }
  if (!fileStat.isFile()) {
    throw new ConfigError(`${path} is not a file; choose a DuckDB file with --dest duckdb:<file>`);
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    throw new ConfigError(`cannot write the DuckDB file ${path}: permission denied; fix its permissions or choose another file with --dest duckdb:<file>`);
  }
  const header = Buffer.alloc(12);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (read < header.length || header.toString('latin1', 8, 12) !== DUCKDB_MAGIC) {
    throw new ConfigError(`${path} exists but is not a DuckDB database; acsync leaves it untouched: choose another file with --dest duckdb:<file>`);
  }
}

/** DuckDB refused the file because another process holds it. */
export function isLockError(error: unknown): boolean {
  return error instanceof Error && error.message.includes('Could not set lock');
}

export function openError(path: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (isLockError(error)) {
    const pid = /PID (\d+)/.exec(message)?.[1];
    return new ConfigError(`another process${pid ? ` (PID ${pid})` : ''} has ${path} open (another sync, or a reader such as a BI tool); close it or wait for it to finish, then retry`);
  }
  // DuckDB's messages are single lines naming the problem (for example a file written by a newer DuckDB).
  return new ConfigError(`cannot open the DuckDB file ${path}: ${message.split('\n')[0]}`);
}
