/**
 * The simulator's public interface types (re-exported by index.ts; implemented by server.ts).
 */
import type { MutationResult, TagChange } from './mutate.js';
import type { Behaviour, BehaviourOptions, FaultKind } from './options.js';

export interface SimStats {
  requests: number;
  byPath: Record<string, number>;
  byStatus: Record<string, number>;
  faults: Record<string, number>;
}

/**
 * The test oracle: every record currently in the account, exactly as the list endpoint serves it (after
 * mutations), in ascending id order. `resource` is an envelope or sideload key (`contacts`, `fieldOptions`,
 * `dealStages`, `userGroups`, …) or `deals.dealCustomFieldData` (the snake_case sideload shape, all deals).
 */
export interface SimAccount {
  records(resource: string): Iterable<Record<string, unknown>>;
  count(resource: string): number;
}

export interface Simulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly key: string;
  readonly account: SimAccount;
  /** Same JSON as GET /__sim/stats. */
  stats(): SimStats;
  /** Same as POST /__sim/mutate. */
  mutate(seed: number, changes: number): MutationResult;
  /** Same as POST /__sim/tag: renames, describes, sets the count of or deletes one tag, touching no contact. */
  changeTag(change: TagChange): MutationResult;
  setFaults(f: { rate: number; kinds?: FaultKind[]; seed?: number }): void;
  /**
   * Same as POST /__sim/behaviour: changes the named behaviour switches on the running simulator (the others
   * keep their value) and returns every switch now in force; a RangeError names a bad value or unknown name.
   */
  setBehaviour(changes: BehaviourOptions): Behaviour;
  close(): Promise<void>;
}
