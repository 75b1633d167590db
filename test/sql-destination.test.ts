/**
 * What the SQL destinations share (src/destinations/sql-destination.ts), on a scripted connection: a failed
 * transaction is always rolled back, and a connection whose ROLLBACK failed is never used again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionQueue, RollbackFailedError, transaction } from '../src/destinations/sql-destination.js';

/** A connection that records its statements and fails those `failing` names. */
function scripted(failing: Readonly<Record<string, string>>) {
  const statements: string[] = [];
  const run = async (sql: string) => {
    statements.push(sql);
    const failure = failing[sql];
    if (failure !== undefined) throw new Error(failure);
  };
  return { statements, run };
}

describe('SQL destinations: transactions', () => {
  test('a failing step rolls back and its error is the one reported', async () => {
    const connection = scripted({ 'INSERT 1': 'Duplicate key "id: 1"' });
    await assert.rejects(transaction(connection.run, async () => {
      await connection.run('INSERT 1');
    }, 'SAVE STATE'), /^Error: Duplicate key "id: 1"$/);
    assert.deepEqual(connection.statements, ['BEGIN TRANSACTION', 'INSERT 1', 'ROLLBACK']);
  });

  test('the final statements run with the COMMIT, in one call', async () => {
    const connection = scripted({});
    await transaction(connection.run, async () => {
      await connection.run('INSERT 1');
    }, 'SAVE STATE');
    assert.deepEqual(connection.statements, ['BEGIN TRANSACTION', 'INSERT 1', 'SAVE STATE; COMMIT']);
  });

  test('a COMMIT that failed and ended the transaction leaves the connection usable', async () => {
    const connection = scripted({ COMMIT: 'write conflict', ROLLBACK: 'TransactionContext Error: cannot rollback - no transaction is active' });
    const queue = new ConnectionQueue(() => connection);
    await assert.rejects(queue.run((c) => transaction(c.run, async () => undefined)), /^Error: write conflict$/);
    assert.equal(await queue.run(async () => 'next'), 'next');
  });

  test('when the ROLLBACK fails too, the connection is never used again', async () => {
    const connection = scripted({ 'INSERT 1': 'Duplicate key', ROLLBACK: 'connection reset' });
    let handedOut = 0;
    const queue = new ConnectionQueue(() => {
      handedOut++;
      return connection;
    });
    const failed = queue.run((c) => transaction(c.run, async () => {
      await c.run('INSERT 1');
    }));
    const next = queue.run(async () => 'next');
    await assert.rejects(failed, (error: Error) => error instanceof RollbackFailedError
      && /^Duplicate key; rolling the transaction back failed too \(connection reset\)/.test(error.message));
    await assert.rejects(next, RollbackFailedError);
    await assert.rejects(queue.run(async () => 'later'), RollbackFailedError);
    assert.equal(handedOut, 1);
    await queue.idle();
  });
});
