/**
 * Simulator throughput: pages through every contact of a 1,000,000-contact account (keyset, limit 100, a few
 * requests in flight, rate limit off) and reports requests/s served and the simulator's peak RSS. The
 * simulator runs in a child process so the client's memory does not count.
 *
 *   node --import tsx bench/simulator-bench.ts [--contacts N] [--in-flight K] [--include fieldValues,contactTags.tag]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_KEY } from '../src/simulator/index.js';

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000000' },
    'in-flight': { type: 'string', default: '4' },
    include: { type: 'string', default: '' },
  },
});
const contacts = Number(values.contacts);
const inFlight = Number(values['in-flight']);
const include = values.include ? `&include=${values.include}` : '';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = `
import { startSimulator } from './src/simulator/index.ts';
const sim = await startSimulator({ contacts: ${contacts}, rateLimit: 0 });
process.stdout.write(sim.url + '\\n');
process.on('SIGTERM', () => sim.close().then(() => process.exit(0)));
`;

/** Peak resident set size of a process, from /proc (Linux). */
function peakRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SERVER], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let seen = '';
  child.stdout.on('data', (c: Buffer) => {
    seen += c.toString();
    const line = seen.split('\n')[0];
    if (seen.includes('\n') && line) resolve(line.trim());
  });
  child.on('exit', (code) => reject(new Error(`simulator exited (${code})`)));
});
const idleRss = peakRssMb(child.pid as number);

// Each worker pages one slice of the id space with keyset requests; together they cover every id once.
const seen = new Uint8Array(contacts + 1);
let requests = 0;
let rows = 0;
let bytes = 0;
async function worker(from: number, to: number): Promise<void> {
  let last = from;
  for (;;) {
    const response = await fetch(`${url}/api/3/contacts?orders[id]=ASC&id_greater=${last}&limit=100${include}`, { headers: { 'Api-Token': DEMO_KEY } });
    const text = await response.text();
    requests++;
    bytes += text.length;
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    const page = (JSON.parse(text) as { contacts: { id: string }[] }).contacts;
    for (const c of page) {
      const id = Number(c.id);
      if (id > to) return;
      if (seen[id]) throw new Error(`contact ${id} served twice`);
      seen[id] = 1;
      rows++;
    }
    if (page.length < 100) return;
    last = Number(page[page.length - 1]?.id);
  }
}

const start = performance.now();
const slice = Math.ceil(contacts / inFlight);
await Promise.all(Array.from({ length: inFlight }, (_, i) => worker(i * slice, Math.min(contacts, (i + 1) * slice))));
const seconds = (performance.now() - start) / 1000;
const peak = peakRssMb(child.pid as number);
child.kill('SIGTERM');

if (rows !== contacts) throw new Error(`visited ${rows} contacts, expected ${contacts}`);
console.log(`contacts             ${contacts.toLocaleString('en')}${include ? ` (with ${values.include})` : ''}`);
console.log(`requests in flight   ${inFlight}`);
console.log(`requests             ${requests.toLocaleString('en')} in ${seconds.toFixed(1)} s`);
console.log(`requests/s served    ${(requests / seconds).toFixed(0)}`);
console.log(`contacts/s           ${(rows / seconds).toFixed(0)}`);
console.log(`response MB/s        ${(bytes / 1e6 / seconds).toFixed(0)}`);
console.log(`simulator RSS        ${idleRss.toFixed(0)} MB at start, ${peak.toFixed(0)} MB peak`);
