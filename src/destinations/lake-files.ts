/**
 * The Parquet lake's local files (a local lake itself, or an S3 lake's cache): lake paths under a local root,
 * reads that tell a missing file from a failure, and writes that are durable once they return.
 */
import {
  closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/** A lake path (relative, `/`-separated) under a local root. */
export function localPath(root: string, path: string): string {
  return join(root, ...path.split('/'));
}

/** The text of a local file, or null when it does not exist. */
export function readLocalText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The names in a local directory; none when it does not exist. */
export function listLocal(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Flushes a file or a directory (its entries) to disk. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a file so that it is either absent/old or complete and durable: temp file, fsync, rename, fsync dir. */
export function writeFileAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  fsyncPath(temporary);
  renameSync(temporary, path);
  fsyncPath(dirname(path));
}
