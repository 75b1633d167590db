#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2
// The CLI entry: the compiled program lives in dist/ (built by `npm ci` / `npm run build`).
//
// The #! line sets two memory settings that Node and the C library read only when the process starts, so they
// cannot be applied from here: glibc's malloc keeps at most 2 arenas (by default up to 8 per core, each keeping
// what DuckDB's and libuv's threads freed), and V8's young generation stays at 2 MB semi-spaces (16 by default;
// a sync's pages outlive it either way). Together about 30 MB less peak RSS, no slower (measured by
// bench/sync-bench.ts, whose --plain-node starts `node bin/acsync.js` without them). Start acsync as
// `./bin/acsync.js` or the installed `acsync`; `node bin/acsync.js` works too, without the settings.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
