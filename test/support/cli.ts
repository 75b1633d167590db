/** Runs the acsync CLI from source in a child process, as a user would run bin/acsync.js. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function startCli(args: readonly string[], env: Record<string, string> = {}, cwd?: string): { child: ChildProcess; result: Promise<CliResult> } {
  // The user's own settings must not leak into a test run.
  const base = { ...process.env };
  for (const name of ['ACTIVECAMPAIGN_URL', 'ACTIVECAMPAIGN_KEY', 'ACSYNC_DEST']) delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd && { cwd }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

export function runCli(args: readonly string[], env: Record<string, string> = {}, cwd?: string): Promise<CliResult> {
  return startCli(args, env, cwd).result;
}
