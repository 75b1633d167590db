/**
 * Where the Parquet lake's files live: the storage interface the lake writes through, and its local
 * implementation (./s3.ts is the other one).
 */
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { listLocal, localPath, readLocalText } from './lake-files.js';
import { LakeLock } from './lake-lock.js';

/**
 * Where the lake's files live. Files are always written into the local `root` first (the lake itself, or a
 * cache), fsynced, and then made part of the lake with `publish`; lake paths are relative and use `/`.
 */
export interface LakeStore {
  /** Where readers find the lake: a directory or an s3:// URL (views.sql and messages). */
  readonly location: string;
  /** The local directory files are written in. */
  readonly root: string;
  /** Checks the lake can be written, creates `root`, and takes the writer's lock. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Text of a lake file, or null when it does not exist. */
  readText(path: string): Promise<string | null>;
  /** Names of the files and folders directly inside a lake folder (none if it does not exist). */
  list(folder: string): Promise<string[]>;
  /** Makes local files (written and fsynced under `root`) part of the lake, all of them before returning. */
  publish(paths: readonly string[]): Promise<void>;
  /** Makes sure the local copy of a lake file is the lake's own (downloading it if needed). */
  fetch(path: string): Promise<void>;
  removeFiles(paths: readonly string[]): Promise<void>;
  /** Removes a folder and everything in it. */
  removeFolder(path: string): Promise<void>;
}

/** A lake on a local directory: publishing is the fsync and rename the writer has already done. */
export class LocalLakeStore implements LakeStore {
  readonly location: string;
  readonly root: string;
  private lock: LakeLock | null = null;

  constructor(directory: string) {
    this.root = resolve(directory);
    this.location = this.root;
  }

  async open(): Promise<void> {
    prepareLakeDirectory(this.root, 'parquet:<dir>');
    this.lock = LakeLock.take(this.root, this.root);
  }

  async close(): Promise<void> {
    this.lock?.release();
    this.lock = null;
  }

  async readText(path: string): Promise<string | null> {
    return readLocalText(localPath(this.root, path));
  }

  async list(folder: string): Promise<string[]> {
    return listLocal(localPath(this.root, folder));
  }

  async publish(): Promise<void> {
    // The writer fsyncs and renames into place: the local files are the lake.
  }

  async fetch(path: string): Promise<void> {
    if (!existsSync(localPath(this.root, path))) {
      throw new Error(`the Parquet lake ${this.root} lacks ${path}, which its manifest lists; run the table in full mode to rebuild it`);
    }
  }

  async removeFiles(paths: readonly string[]): Promise<void> {
    for (const path of paths) rmSync(localPath(this.root, path), { force: true });
  }

  async removeFolder(path: string): Promise<void> {
    rmSync(localPath(this.root, path), { recursive: true, force: true });
  }
}

/**
 * Creates the lake (or cache) directory if missing and checks it can be written; a one-line ConfigError
 * otherwise. The parent must exist: a mistyped path does not silently grow a directory tree.
 */
export function prepareLakeDirectory(root: string, uriHint: string): void {
  const parent = dirname(root);
  let stat;
  try {
    stat = statSync(root);
  } catch {
    if (!existsSync(parent)) {
      throw new ConfigError(`cannot create the Parquet lake ${root}: the directory ${parent} does not exist; create it or choose another directory with --dest ${uriHint}`);
    }
    try {
      mkdirSync(root);
    } catch (error) {
      throw new ConfigError(`cannot create the Parquet lake ${root}: ${errorText(error)}; choose another directory with --dest ${uriHint}`);
    }
    stat = statSync(root);
  }
  if (!stat.isDirectory()) {
    throw new ConfigError(`${root} is not a directory; choose a directory for the Parquet lake with --dest ${uriHint}`);
  }
  try {
    accessSync(root, constants.W_OK | constants.X_OK);
  } catch {
    throw new ConfigError(`cannot write the Parquet lake ${root}: permission denied; fix its permissions or choose another directory with --dest ${uriHint}`);
  }
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
