#!/usr/bin/env node
// The CLI entry: the compiled program lives in dist/ (built by `npm ci` / `npm run build`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
