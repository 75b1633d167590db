/**
 * A Destination that writes protocol messages instead of a database. The engine drives it exactly as it drives
 * DuckDB (beginTable → commit(batch, state) … → finish(state)); each protocol decides which messages a step
 * becomes. A batch's RECORD messages and the STATE that follows them go out in one write, so a STATE never
 * precedes the records it covers, even with several tables committing at once.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ReplicationMode, TableDef } from '../catalog/index.js';
import type { Batch, Destination, RunRecord, TableState, TableWriter } from '../core/contract.js';
import { rowObject, type JsonValue } from './json-schema.js';

/** JSON on a stream (messages one a line), waiting for the reader when the stream's buffer is full. */
export class JsonLineWriter {
  private failure: Error | undefined;
  private drained: Promise<void> | undefined;

  constructor(private readonly stream: Writable) {
    // A reader that goes away (EPIPE) fails the next send instead of crashing the process.
    stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  async send(messages: readonly unknown[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (messages.length === 0) return;
    let text = '';
    for (const message of messages) text += `${JSON.stringify(message)}\n`;
    await this.write(text);
  }

  /** One JSON document, indented for people (a Singer catalog). */
  async document(value: unknown): Promise<void> {
    if (this.failure) throw this.failure;
    await this.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  private async write(text: string): Promise<void> {
    if (this.stream.write(text)) return;
    // Tables committing at once wait for the same drain, rather than each adding listeners to the stream.
    this.drained ??= once(this.stream, 'drain').then(
      () => {
        this.drained = undefined;
      },
      (error: unknown) => {
        this.drained = undefined;
        throw error;
      },
    );
    await this.drained;
  }
}

/** A table as one protocol stream: which of its columns the consumer asked for. */
export interface SinkStream {
  readonly table: TableDef;
  /** Indexes into `table.columns`, in catalog order. */
  readonly columns: readonly number[];
}

/** What one pass over a table becomes in a protocol. Each method returns the messages to send, in order. */
export interface PassMessages {
  /** Before any record: the stream's schema or its start. */
  begin(): unknown[];
  /** One RECORD per row. */
  records(rows: readonly Record<string, JsonValue>[]): unknown[];
  /** After a batch's records: the state covering them. `rows` is the batch's size. */
  committed(state: TableState, rows: number): unknown[];
  /** The pass is complete; `state` is the table's state at rest. */
  finished(state: TableState): unknown[];
  /** The pass failed: nothing can be taken back, the last state sent stands and resumes it. */
  aborted(): unknown[];
}

export abstract class MessageSink implements Destination {
  private readonly streams: ReadonlyMap<string, SinkStream>;

  constructor(
    readonly description: string,
    protected readonly out: JsonLineWriter,
    streams: readonly SinkStream[],
    /** The states the run starts from (the `--state` file's, as the engine's TableState). */
    private readonly states: ReadonlyMap<string, TableState>,
  ) {
    this.streams = new Map(streams.map((s) => [s.table.name, s]));
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async readState(): Promise<Map<string, TableState>> {
    return new Map(this.states);
  }

  /** The run's bookkeeping stays with the engine: a protocol has no place for it. */
  async recordRun(_run: RunRecord): Promise<void> {}

  async beginTable(table: TableDef, mode: ReplicationMode, resume: boolean): Promise<TableWriter> {
    const stream = this.streams.get(table.name);
    if (!stream) throw new Error(`${table.name} is not a stream of this run`);
    const pass = this.openPass(stream, mode, resume);
    await this.out.send(pass.begin());
    return new MessageTableWriter(this.out, stream, pass);
  }

  /** `resume`: the engine continues a pass a previous run left unfinished. */
  protected abstract openPass(stream: SinkStream, mode: ReplicationMode, resume: boolean): PassMessages;
}

class MessageTableWriter implements TableWriter {
  constructor(
    private readonly out: JsonLineWriter,
    private readonly stream: SinkStream,
    private readonly pass: PassMessages,
  ) {}

  async commit(batch: Batch, state: TableState): Promise<void> {
    // Children replaced per parent (batch.replaceChildrenOf) have no protocol message: targets upsert by key,
    // so a child removed at the source stays until the next full pass.
    const { table, columns } = this.stream;
    const rows = batch.rows.map((row) => rowObject(table, row, columns));
    const records = this.pass.records(rows);
    await this.out.send([...records, ...this.pass.committed(state, rows.length)]);
  }

  async finish(state: TableState): Promise<void> {
    // A refresh of copied columns (finish's `refresh`) has no protocol message either: rows not re-sent keep
    // their values until a full pass (docs/deviations.md).
    await this.out.send(this.pass.finished(state));
  }

  async abort(): Promise<void> {
    await this.out.send(this.pass.aborted());
  }
}
