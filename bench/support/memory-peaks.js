/**
 * Loaded into the sync a benchmark runs (`node --import`), plain JavaScript so that it adds no compiler to the
 * process it measures: samples process.memoryUsage() every 50 ms and, at exit, prints one JSON line to stderr
 * with the peak of each figure (MB): rss, and V8's heap (used, total), external and array buffers. What RSS
 * holds beyond these is native: Node itself, DuckDB, and the allocators' free lists.
 */
import process from 'node:process';
import { setInterval } from 'node:timers';

const peaks = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  for (const key of Object.keys(peaks)) peaks[key] = Math.max(peaks[key], usage[key]);
}, 50);
sampler.unref();

process.on('exit', () => {
  const megabytes = Object.fromEntries(Object.entries(peaks).map(([key, bytes]) => [key, Math.round(bytes / 1048576)]));
  process.stderr.write(`${JSON.stringify({ event: 'memory-peaks', ...megabytes })}\n`);
});
