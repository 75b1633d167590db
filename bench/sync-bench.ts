/**
 * The sync benchmark: how close acsync runs to the API's physical limit (5 requests/s × 100 rows a page).
 *
 *   npm run bench -- [--contacts 10000] [--latency-ms 400] [--jitter-ms 200] [--dest duckdb|postgres|parquet]
 *   npm run bench -- --unthrottled [--contacts 10000] [--dest …]     (no rate limit, no latency: acsync's own cost)
 *   npm run bench -- --mutate 100 …     then change the account (100 changes) and sync again: the incremental run's cost
 *                                       against the first (full) sync's, per table, and an unchanged account's after it
 *   npm run bench -- --mutate 100 --refresh-every 24 …   the same with tables read whole refreshed at most daily
 *                                       (the syncs after the first skip them): what an hourly sync costs then
 *   npm run bench -- --heap …           also the peaks of the sync's V8 heap and external memory (what RSS holds besides is native)
 *
 * The simulator runs in this process; the sync runs as a user runs it, the `acsync` command (`bin/acsync.js sync`,
 * started through its #! line, which sets the process's memory settings) in a child process (built by
 * `npm run bench`), so its peak RSS is acsync's alone. `--plain-node` starts it as `node bin/acsync.js sync`
 * instead, without those settings. The last line printed is one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from '../src/simulator/index.js';
import { MAX_REQUESTS_PER_SECOND } from '../src/core/defaults.js';

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '10000' },
    'latency-ms': { type: 'string', default: '400' },
    'jitter-ms': { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    dest: { type: 'string', default: 'duckdb' },
    unthrottled: { type: 'boolean', default: false },
    mutate: { type: 'string' },
    // Passed to every sync as --refresh-every: tables read whole are read at most every so many hours.
    'refresh-every': { type: 'string' },
    // The simulator's limiter: `bucket` (bursts, Retry-After 1) or `window` (strict 5 in any second, Retry-After 30).
    limiter: { type: 'string', default: 'bucket' },
    // Also the peaks of the sync's V8 heap, external memory and array buffers (bench/support/memory-peaks.js).
    heap: { type: 'boolean', default: false },
    'plain-node': { type: 'boolean', default: false },
  },
});

const RATE = MAX_REQUESTS_PER_SECOND;
const unthrottled = args.unthrottled;

/** Peaks of the sync's memory figures, MB (bench/support/memory-peaks.js). */
interface MemoryPeaks {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

interface Summary {
  status: string;
  tables: { table: string; mode: string; rows: number; requests: number; status: string; error?: string; notDueUntil?: string }[];
  seconds: number;
  peakRssMb: number;
  cpuSeconds: number;
  memory?: MemoryPeaks;
}

/** Runs `acsync sync` and returns its JSON summary line. */
async function runSync(url: string, key: string, dest: string): Promise<Summary> {
  const flags = ['sync', '--url', url, '--key', key, '--dest', dest, '--log-format', 'json'];
  if (unthrottled) flags.push('--rate', '100000');
  if (args['refresh-every'] !== undefined) flags.push('--refresh-every', args['refresh-every']);
  const peaks = args.heap ? ['--import', './bench/support/memory-peaks.js'] : [];
  const child = args['plain-node']
    ? spawn(process.execPath, [...peaks, 'bin/acsync.js', ...flags], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn('bin/acsync.js', flags, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, ...peaks].filter(Boolean).join(' ') },
    });
  let summary: Summary | undefined;
  let memory: MemoryPeaks | undefined;
  let buffer = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (!line.startsWith('{')) {
        process.stderr.write(`${line}\n`);
        continue;
      }
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.event === 'summary') summary = entry as unknown as Summary;
      else if (entry.event === 'memory-peaks') memory = entry as unknown as MemoryPeaks;
      else if (entry.level !== 'info') process.stderr.write(`${String(entry.level)}: ${String(entry.message)}\n`);
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  if (code !== 0 || !summary) throw new Error(`acsync sync ${signal ? `was ended by ${signal}` : `exited with ${code}`}`);
  return memory ? { ...summary, memory } : summary;
}

async function destinationUri(dir: string): Promise<{ uri: string; stop(): Promise<void> }> {
  if (args.dest === 'duckdb') return { uri: `duckdb:${join(dir, 'bench.duckdb')}`, stop: async () => undefined };
  if (args.dest === 'parquet') return { uri: `parquet:${join(dir, 'lake')}`, stop: async () => undefined };
  if (args.dest === 'postgres') {
    const { startPostgres } = await import('../test/support/postgres.js');
    const server = await startPostgres();
    return { uri: server.url, stop: () => server.stop() };
  }
  throw new Error(`--dest must be duckdb, postgres or parquet (got ${args.dest})`);
}

function limiterOf(value: string | undefined): 'bucket' | 'window' {
  if (value === 'bucket' || value === 'window') return value;
  throw new Error(`--limiter must be bucket or window (got ${String(value)})`);
}

const dir = mkdtempSync(join(tmpdir(), 'acsync-bench-'));
const simulator = await startSimulator({
  contacts: Number(args.contacts),
  seed: Number(args.seed),
  ...(unthrottled
    ? { rateLimit: 0 }
    : { rateLimit: RATE, latencyMs: Number(args['latency-ms']), jitterMs: Number(args['jitter-ms']), limiter: limiterOf(args.limiter) }),
});
const destination = await destinationUri(dir);
try {
  const summary = await runSync(simulator.url, simulator.key, destination.uri);
  const stats = simulator.stats();
  const seconds = summary.seconds;
  const rows = summary.tables.reduce((sum, t) => sum + t.rows, 0);
  // The least any connector can send: every table's rows in full pages (the copy equals the account: tested).
  const minRequests = summary.tables.reduce((sum, t) => sum + Math.max(1, Math.ceil(t.rows / 100)), 0);
  const requests = stats.requests;
  const floorSeconds = requests / RATE;
  const figures = {
    contacts: Number(args.contacts),
    destination: args.dest,
    unthrottled,
    ...(!unthrottled && { limiter: args.limiter }),
    started: args['plain-node'] ? 'node bin/acsync.js' : 'bin/acsync.js',
    requests,
    minRequests,
    floorSeconds: round(floorSeconds, 1),
    wallSeconds: round(seconds, 1),
    wallOverFloor: round(seconds / floorSeconds, 3),
    rows,
    rowsPerSecond: Math.round(rows / seconds),
    // acsync's CPU (every thread) per row: steadier than rows/s when the simulator and others share the machine.
    cpuMicrosecondsPerRow: round((summary.cpuSeconds * 1e6) / rows, 1),
    throttled: (stats.byStatus['429'] ?? 0) + (stats.byStatus['503'] ?? 0),
    peakRssMb: summary.peakRssMb,
    ...(summary.memory && {
      peakHeapUsedMb: summary.memory.heapUsed,
      peakHeapTotalMb: summary.memory.heapTotal,
      peakExternalMb: summary.memory.external,
    }),
  };
  console.log(`requests ${requests} (per-table minimum ${minRequests}, ratio ${round(requests / minRequests, 3)})`);
  if (!unthrottled) console.log(`floor ${figures.floorSeconds} s at ${RATE}/s; wall ${figures.wallSeconds} s; wall/floor ${figures.wallOverFloor}`);
  else console.log(`wall ${figures.wallSeconds} s`);
  console.log(`rows ${rows} (${figures.rowsPerSecond} rows/s, ${figures.cpuMicrosecondsPerRow} µs of acsync's CPU a row); 429s ${figures.throttled}; peak RSS of acsync ${figures.peakRssMb} MB`);
  if (summary.memory) {
    const { heapUsed, heapTotal, external } = summary.memory;
    console.log(`peaks of acsync's V8 heap: ${heapUsed} MB used of ${heapTotal} MB; external ${external} MB; the rest of RSS is native (Node, DuckDB)`);
  }
  if (args.mutate !== undefined) {
    const changes = Number(args.mutate);
    const applied = simulator.mutate(Number(args.seed) + 1, changes);
    const before = simulator.stats();
    const again = await runSync(simulator.url, simulator.key, destination.uri);
    const after = simulator.stats();
    const incrementalRequests = after.requests - before.requests;
    const unchanged = await runSync(simulator.url, simulator.key, destination.uri);
    const unchangedRequests = simulator.stats().requests - after.requests;
    console.log(
      `after ${applied.changes} changes: the next sync made ${incrementalRequests} requests, ${percent(incrementalRequests, requests)} of the ` +
        `first (full) sync's ${requests}; ${round(again.seconds, 1)} s`,
    );
    console.log(`an unchanged account then: ${unchangedRequests} requests, ${percent(unchangedRequests, requests)} of the full sync's`);
    // A table's requests are its stream's: tables sharing a stream (notes, /contacts with its sideloads) each show all of them.
    console.log('per table: full sync → next sync → unchanged (requests of the table\'s stream; mode of the next sync)');
    const first = new Map(summary.tables.map((t) => [t.table, t]));
    const still = new Map(unchanged.tables.map((t) => [t.table, t]));
    const perTable = again.tables
      .map((t) => ({ table: t.table, mode: t.notDueUntil ? 'not due' : t.mode, full: first.get(t.table)?.requests ?? 0, next: t.requests, unchanged: still.get(t.table)?.requests ?? 0 }))
      .sort((a, b) => b.full - a.full || a.table.localeCompare(b.table));
    for (const t of perTable) {
      console.log(`  ${t.table.padEnd(30)} ${String(t.full).padStart(6)} → ${String(t.next).padStart(5)} → ${String(t.unchanged).padStart(5)}  ${t.mode}`);
    }
    Object.assign(figures, {
      mutations: applied.changes,
      nextSyncRequests: incrementalRequests,
      nextSyncRatio: round(incrementalRequests / requests, 4),
      nextSyncSeconds: round(again.seconds, 1),
      unchangedRequests,
      unchangedRatio: round(unchangedRequests / requests, 4),
      perTable,
    });
  }
  console.log(JSON.stringify(figures));
} finally {
  await simulator.close();
  await destination.stop();
  rmSync(dir, { recursive: true, force: true });
}

function percent(part: number, whole: number): string {
  return `${round((100 * part) / whole, 1)}%`;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
