/**
 * Running the protocol modes in tests: in-process with captured output, or as the real CLI in a child process;
 * the DuckDB copy of the same account through `acsync sync`; and records read back as typed rows to compare.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { TableDef } from '../../../src/catalog/index.js';
import type { TypedRow, TypedValue } from '../../../src/core/contract.js';
import type { ProtocolEnvironment } from '../../../src/protocols/source.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = new URL('../../../src/cli/main.ts', import.meta.url).href;

/** A Writable keeping what is written. */
export class Capture extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(String(chunk));
    done();
  }

  get text(): string {
    return this.chunks.join('');
  }

  /** Each line parsed as JSON (the protocol's one message a line). */
  messages(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface Captured {
  readonly code: number;
  readonly stdout: Capture;
  readonly stderr: Capture;
}

/** Runs a protocol command body in-process against an unthrottled simulator. */
export async function inProcess(
  run: (environment: ProtocolEnvironment) => Promise<number>,
  options: { batchRows?: number } = {},
): Promise<Captured> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await run({ stdout, stderr, requestsPerSecond: 1000, ...options });
  return { code, stdout, stderr };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real CLI (`acsync <args>`) in a child process, from the TypeScript sources. */
export function runCli(args: readonly string[]): Promise<CliResult> {
  const script = `import { main } from ${JSON.stringify(MAIN)}; process.exitCode = await main(['node', 'acsync', ...process.argv.slice(1)]);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `acsync sync --dest duckdb:<path>` of the account, the copy the protocol modes must match. */
export async function duckDbCopy(url: string, key: string, path: string): Promise<void> {
  const result = await runCli(['sync', '--url', url, '--key', key, '--dest', `duckdb:${path}`]);
  assert.equal(result.code, 0, `acsync sync failed:\n${result.stderr}`);
}

/** JSON records of a stream as typed rows in catalog column order (timestamps as µs, dates as day numbers). */
export function typedRows(table: TableDef, records: readonly Record<string, unknown>[]): TypedRow[] {
  return records.map((record) => table.columns.map((column) => typedValue(column.type, record[column.name])));
}

function typedValue(type: TableDef['columns'][number]['type'], value: unknown): TypedValue {
  if (value === null || value === undefined) return null;
  if (type === 'timestamp') return isoToMicros(value as string);
  if (type === 'date') return Date.parse(`${value as string}T00:00:00Z`) / 86_400_000;
  return value as TypedValue;
}

/** RFC 3339 UTC (`…Z`, any number of fraction digits up to 6) as microseconds since the epoch. */
export function isoToMicros(text: string): bigint {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(text);
  assert.ok(match, `not an RFC 3339 UTC timestamp: ${text}`);
  return BigInt(Date.parse(`${match[1]}Z`)) * 1000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}
