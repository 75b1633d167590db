import type { Command } from 'commander';
import { PERMISSION_AREAS } from '../../simulator/permissions.js';
import type { SimulateFlags } from '../simulate.js';

/** `acsync simulate`: runs the ActiveCampaign simulator in the foreground until SIGINT or SIGTERM. */
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('run a simulated ActiveCampaign account (HTTP API v3) for tests, demos and benchmarks')
    .requiredOption('--port <port>', 'port to listen on (0 = any free port)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <n>', 'seed of the generated account (default 1)')
    .option('--contacts <n>', 'number of contacts; every other table in proportion (default 1000)')
    .option('--latency-ms <ms>', 'mean added latency per response (default 0)')
    .option('--jitter-ms <ms>', 'latency varies uniformly by ± this much (default: half the latency)')
    .option('--rate-limit <r>', 'requests per second per key, 0 = off (default 5)')
    .option('--rate-limit-status <status>', 'how throttling is answered: 429 or 503 (default 429)')
    .option('--limiter <kind>', 'bucket: token bucket, bursts allowed; window: at most --rate-limit requests in any second (default bucket)')
    .option('--retry-after-seconds <s>', 'Retry-After of throttled answers (default: bucket computes it, window 30)')
    .option('--key <key>', 'API key to accept (default: the documented demo key)')
    .option('--faults <rate>', 'share of requests answered with an injected fault, 0..1 (default 0)')
    .option('--deny <areas>', `comma-separated permission areas whose endpoints answer 403 (${PERMISSION_AREAS.join(', ')}; any case)`)
    .option('--sideloads <mode>', 'include= on /contacts and /deals: full, none (ignored), or N (each sideload array cut to N) (default full)')
    .option('--total <mode>', 'meta.total: exact, low (100 too low), high (100 too high) or absent (default exact)')
    .option('--cdate-ties', 'deals created in bulk share one cdate per ~150; orders[cdate] shuffles ties on every request')
    .option('--no-child-changes-bump-parent', 'changes to custom-field values leave the contact\'s udate and the deal\'s mdate alone')
    .option('--per-parent-ids-ignored', 'a deal\'s per-parent lists (/deals/{id}/dealActivities…) ignore the id and answer the whole list')
    .option('--clock-skew-seconds <s>', 'the API\'s clock runs this many seconds ahead of the real one (negative: behind): its Date header and the dates of changes (default 0)')
    .option('--no-date-header', 'answers carry no Date header (as behind a proxy that drops it), so the API\'s clock cannot be read')
    .option('--not-found-parents <fraction>', 'share of parent ids whose per-parent lists answer 404, 0..1 (default 0)')
    .option('--changes-during-sync <every:changes>', 'apply <changes> changes after every <every> API requests served (default off)')
    .action(async (flags: SimulateFlags) => (await import('../simulate.js')).runSimulate(flags));
}
