/** Watches a child process's stdout line by line, for tests that drive a writer in another process. */
import type { ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface WatchedChild {
  /** Resolves with the first stdout line `predicate` accepts, or rejects when the child ends first. */
  waitFor(predicate: (line: string) => boolean): Promise<string>;
  /** Resolves with the exit code, or the signal that ended the child. */
  readonly exited: Promise<number | string | null>;
  stderr(): string;
}

export function watchChild(child: ChildProcessByStdio<null, Readable, Readable>, name: string): WatchedChild {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<number | string | null>((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit(signal ?? code));
  });
  const waitFor = (predicate: (line: string) => boolean) => new Promise<string>((resolveLine, reject) => {
    const onLine = (line: string) => {
      if (!predicate(line)) return;
      lines.off('line', onLine);
      resolveLine(line);
    };
    lines.on('line', onLine);
    void exited.then((status) => reject(new Error(`${name} ended (${String(status)}) before the line: ${stderr}`)));
  });
  return { waitFor, exited, stderr: () => stderr };
}
