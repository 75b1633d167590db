/**
 * The single-writer lock of a local directory (a local Parquet lake, or an S3 lake's cache).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '../core/errors.js';

/**
 * `_acsync/lock` in the directory, created with O_EXCL. A lock left by a process that no longer runs on this
 * host is taken over.
 */
export class LakeLock {
  private constructor(private readonly path: string) {}

  static take(root: string, location: string): LakeLock {
    const path = join(root, '_acsync', 'lock');
    mkdirSync(dirname(path), { recursive: true });
    const content = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, content, { flag: 'wx' });
        return new LakeLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readLock(path);
      if (holder && holder.host === hostname() && processRuns(holder.pid)) {
        throw new ConfigError(`another acsync process (pid ${holder.pid}) is writing the Parquet lake ${location}; wait for it to finish, then retry`);
      }
      if (holder && holder.host !== hostname()) {
        throw new ConfigError(`the Parquet lake ${location} is locked by acsync on host ${holder.host}; if no sync runs there any more, delete ${path}`);
      }
      // The holder is gone (killed or crashed): its lock is stale.
      rmSync(path, { force: true });
    }
    throw new ConfigError(`cannot lock the Parquet lake ${location}: ${path} keeps reappearing; is another acsync starting?`);
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

function readLock(path: string): { pid: number; host: string } | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; host?: unknown };
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') return { pid: parsed.pid, host: parsed.host };
  } catch {
    // Unreadable or half-written: treated as stale.
  }
  return null;
}

function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
