/**
 * Time from creating a connector to its first rows, as a user meets the service: `node bin/acsync.js serve` in a
 * child process (built first), the demo account (the simulator as `acsync demo` runs it: 1000 contacts, 5
 * requests/s, plus the API's latency), one POST /api/connectors with the defaults (every table, its first run
 * queued at once), then the run's event stream.
 *
 *   npm run build && node --import tsx bench/service-first-rows.ts [--contacts 1000] [--latency-ms 400]
 *
 * Prints the service's start time, then from the POST: the first table copied (its log line), and the run's end;
 * the last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_REQUESTS_PER_SECOND } from '../src/core/defaults.js';
import { startSimulator } from '../src/simulator/index.js';

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000' },
    'latency-ms': { type: 'string', default: '400' },
    'jitter-ms': { type: 'string', default: '200' },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'acsync-service-bench-'));
const sim = await startSimulator({
  contacts: Number(args.contacts),
  rateLimit: MAX_REQUESTS_PER_SECOND,
  latencyMs: Number(args['latency-ms']),
  jitterMs: Number(args['jitter-ms']),
});
const started = Date.now();
const child = spawn(process.execPath, ['bin/acsync.js', 'serve', '--port', '0', '--data-dir', join(dir, 'service')], { stdio: ['ignore', 'ignore', 'pipe'] });
try {
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = /acsync service on (http:\/\/[\d.]+:\d+)/.exec(stderr);
      if (found?.[1]) resolve(found[1]);
    });
    child.on('exit', () => reject(new Error(`serve ended: ${stderr}`)));
  });
  const serviceStartSeconds = (Date.now() - started) / 1000;
  console.log(`service answering after ${serviceStartSeconds.toFixed(1)} s`);

  const created = Date.now();
  const response = await fetch(`${url}/api/connectors`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'demo', url: sim.url, key: sim.key }),
  });
  const connector = (await response.json()) as { id: string; lastRun: { id: string } };
  const events = await fetch(`${url}/api/connectors/${connector.id}/runs/${connector.lastRun.id}/events`);
  let firstRowsSeconds: number | null = null;
  let endSeconds = 0;
  let status = '';
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of events.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const message = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (\w+)/m.exec(message)?.[1];
      const data = /^data: (.*)$/m.exec(message)?.[1] ?? 'null';
      if (event === 'log' && firstRowsSeconds === null && /: \d+ rows \(/.test((JSON.parse(data) as { message: string }).message)) {
        firstRowsSeconds = (Date.now() - created) / 1000;
        console.log(`first table copied ${firstRowsSeconds.toFixed(1)} s after the POST: ${(JSON.parse(data) as { message: string }).message}`);
      }
      if (event === 'end') {
        endSeconds = (Date.now() - created) / 1000;
        const run = JSON.parse(data) as { status: string; rows: number; requests: number };
        status = run.status;
        console.log(`run ${run.status} ${endSeconds.toFixed(1)} s after the POST: ${run.rows} rows, ${run.requests} requests`);
      }
    }
  }
  console.log(JSON.stringify({ contacts: Number(args.contacts), serviceStartSeconds, firstRowsSeconds, runEndSeconds: endSeconds, status }));
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
