/**
 * The ActiveCampaign simulator: a real HTTP server (node:http) faithful to docs/activecampaign-api.md, serving a
 * generated account whose records are computed from (seed, resource, id). Tests, the demo and the benchmarks
 * run against it.
 */
import { resolveOptions, type SimulatorOptions } from './options.js';
import { SimulatorServer } from './server.js';
import type { Simulator } from './types.js';

export type { MutationResult, ChangeCounts, TagChange } from './mutate.js';
export {
  BEHAVIOUR_OPTIONS, DEFAULT_BEHAVIOUR, DEFAULT_FAULT_KINDS, DEMO_KEY, FAULT_KINDS, MAX_CONTACTS, resolveOptions,
  type Behaviour, type BehaviourOptions, type ChangesDuringSync, type FaultKind, type LimiterKind, type ResolvedOptions,
  type SideloadMode, type SimulatorOptions, type TotalMode,
} from './options.js';
export { PERMISSION_AREAS } from './permissions.js';
export type { SimAccount, SimStats, Simulator } from './types.js';

/** Starts a simulator; resolves once it accepts connections. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const server = new SimulatorServer(resolveOptions(options));
  await server.listen();
  return server;
}
