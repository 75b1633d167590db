/**
 * The S3 lake over an unreliable connection: a TCP proxy between the lake and s3rver resets or cuts some
 * connections (a request arriving on a connection the server has dropped, a request body or a response cut
 * short), as S3-compatible endpoints and proxies do when they close idle keep-alive connections, or answers
 * 503 SlowDown. A sync through it must end with a lake equal to the account; an endpoint that keeps failing one
 * table's uploads must end the run with one-line errors and exit 3, and the next run must resume to an equal copy.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TABLES } from '../src/catalog/index.js';
import { S3LakeStore } from '../src/destinations/s3.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli } from './support/cli.js';
import { expectedRows } from './support/oracle.js';
import { readParquetTable } from './support/read-parquet.js';
import { startS3, type TestS3 } from './support/s3.js';

/**
 * What the proxy does to one request: `reset` drops the connection with a TCP reset as the request arrives (the
 * server closed it while idle); `cut-request` forwards half the request body, then closes; `cut-response`
 * forwards the response headers and half of the body bytes that came with them, then closes.
 */
type Fault = 'reset' | 'cut-request' | 'cut-response' | 'slow-down';
/** The faults of a dropped connection. */
const DROPS: readonly Fault[] = ['reset', 'cut-request', 'cut-response'];
const SLOW_DOWN_BODY = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

interface ProxiedRequest {
  /** Requests seen by the proxy before this one. */
  readonly index: number;
  /** The request line, percent-decoded (`PUT /bucket/acs/contacts/… HTTP/1.1`). */
  readonly line: string;
}

/**
 * A TCP proxy on 127.0.0.1 that reads the HTTP/1.1 requests passing through (Content-Length bodies, as the SDK
 * sends them) and applies `policy` to each.
 */
class FaultyProxy {
  policy: (request: ProxiedRequest) => Fault | null = () => null;
  readonly faults: Record<Fault, number> = { reset: 0, 'cut-request': 0, 'cut-response': 0, 'slow-down': 0 };
  private requests = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, private readonly targetPort: number) {
    server.on('connection', (client) => this.relay(client));
  }

  static async start(targetPort: number): Promise<FaultyProxy> {
    const proxy = new FaultyProxy(createServer(), targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  private relay(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.track(client);
    this.track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    let head = Buffer.alloc(0);
    let bodyLeft = 0;
    /** Body bytes still forwarded before a `cut-request` closes the connection; -1: no cut. */
    let cutAfter = -1;
    let cutResponse = false;

    client.on('data', (chunk: Buffer) => {
      let rest = chunk;
      while (rest.length > 0 && !client.destroyed) {
        if (bodyLeft === 0) {
          head = Buffer.concat([head, rest]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          const headers = head.subarray(0, end + 4);
          rest = head.subarray(end + 4);
          head = Buffer.alloc(0);
          const text = headers.toString('latin1');
          const fault = this.policy({ index: this.requests++, line: decodeURIComponent(text.slice(0, text.indexOf('\r\n'))) });
          if (fault) this.faults[fault]++;
          if (fault === 'reset') {
            client.resetAndDestroy();
            return;
          }
          if (fault === 'slow-down') {
            client.end(`HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: ${SLOW_DOWN_BODY.length}\r\n`
              + `Connection: close\r\n\r\n${SLOW_DOWN_BODY}`);
            upstream.destroy();
            return;
          }
          upstream.write(headers);
          bodyLeft = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
          cutAfter = fault === 'cut-request' && bodyLeft > 0 ? Math.floor(bodyLeft / 2) : -1;
          // A request without a body is cut on its way back instead.
          cutResponse = fault === 'cut-response' || (fault === 'cut-request' && bodyLeft === 0);
        } else {
          const part = rest.subarray(0, bodyLeft);
          rest = rest.subarray(part.length);
          bodyLeft -= part.length;
          if (cutAfter >= 0 && part.length >= cutAfter) {
            upstream.write(part.subarray(0, cutAfter));
            client.destroy();
            return;
          }
          if (cutAfter >= 0) cutAfter -= part.length;
          upstream.write(part);
        }
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!cutResponse) {
        client.write(chunk);
        return;
      }
      // Half the body bytes that came with the headers; without any, half the headers (else nothing is cut).
      const end = chunk.indexOf('\r\n\r\n');
      const body = end < 0 ? 0 : chunk.length - end - 4;
      const keep = body > 0 ? end + 4 + Math.floor(body / 2) : Math.floor((end < 0 ? chunk.length : end) / 2);
      client.end(chunk.subarray(0, keep));
      upstream.destroy();
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  }
}

/** Every 4th request gets a fault, `kinds` in turn; the next request with the same line (its retry) passes. */
function everyFourth(kinds: readonly Fault[]): (request: ProxiedRequest) => Fault | null {
  const faulted = new Set<string>();
  return ({ index, line }) => {
    if (faulted.delete(line)) return null;
    if (index % 4 !== 3) return null;
    faulted.add(line);
    return kinds[Math.floor(index / 4) % kinds.length]!;
  };
}

describe('the S3 lake over connections that drop', () => {
  let workDir = '';
  let s3: TestS3;
  let proxy: FaultyProxy;
  let sim: Simulator;
  let bucketCounter = 0;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'acsync-s3-retry-'));
    s3 = await startS3();
    proxy = await FaultyProxy.start(Number(new URL(s3.endpoint).port));
    sim = await startSimulator({ seed: 5, contacts: 60, rateLimit: 0 });
  });
  after(async () => {
    await sim.close();
    await proxy.close();
    await s3.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const newBucket = async () => {
    const name = `retry-${++bucketCounter}`;
    await s3.createBucket(name);
    return name;
  };
  /** The AWS variables of the test server, with the endpoint through the proxy. */
  const proxiedEnv = () => ({ ...s3.env, AWS_ENDPOINT_URL: proxy.endpoint }) as Record<string, string>;

  async function sync(bucket: string, cacheDir: string) {
    return runCli(['sync', '--url', sim.url, '--key', sim.key, '--dest', `s3://${bucket}/acs?cache=${cacheDir}`], proxiedEnv());
  }

  const mirror = (bucket: string): Promise<string> => s3.mirror(bucket, 'acs/', workDir);

  async function assertLakeEqualsAccount(bucket: string): Promise<void> {
    const lake = await mirror(bucket);
    for (const table of TABLES) assert.deepEqual(await readParquetTable(lake, table), expectedRows(table, sim.account), table.name);
  }

  test('a sync through resets, cut requests and responses and SlowDown answers ends with a lake equal to the account', async () => {
    const bucket = await newBucket();
    const kinds: readonly Fault[] = [...DROPS, 'slow-down'];
    proxy.policy = everyFourth(kinds);
    try {
      const result = await sync(bucket, mkdtempSync(join(workDir, 'cache-')));
      assert.equal(result.code, 0, result.stderr);
    } finally {
      proxy.policy = () => null;
    }
    for (const fault of kinds) assert.ok(proxy.faults[fault] > 5, `${fault}: ${proxy.faults[fault]}`);
    await assertLakeEqualsAccount(bucket);
  });

  test('an endpoint that keeps failing one table: a one-line error, exit 3; the next run resumes to an equal copy', async () => {
    const bucket = await newBucket();
    const cacheDir = mkdtempSync(join(workDir, 'cache-'));
    // Uploads only: reads of the table's keys at open would fail the whole run rather than the table.
    proxy.policy = ({ index, line }) => (/^PUT \S*\/acs\/scores\//.test(line) ? DROPS[index % DROPS.length]! : null);
    let failed;
    try {
      failed = await sync(bucket, cacheDir);
    } finally {
      proxy.policy = () => null;
    }
    assert.equal(failed.code, 3, failed.stderr);
    const errors = failed.stderr.split('\n').filter((line) => /S3 \w+ of s3:\/\//.test(line));
    assert.ok(errors.length > 0, failed.stderr);
    for (const line of errors) assert.match(line, /scores.*S3 \w+ of s3:\/\/retry-\d+\/acs\/scores\/\S* failed after 8 attempts: /);

    const resumed = await sync(bucket, cacheDir);
    assert.equal(resumed.code, 0, resumed.stderr);
    await assertLakeEqualsAccount(bucket);
  });

  test('a file larger than the in-memory bound is streamed again on each attempt; a cut download is read again', async () => {
    const bucket = await newBucket();
    const cacheDir = mkdtempSync(join(workDir, 'cache-'));
    const store = new S3LakeStore({ bucket, prefix: 'acs', cacheDir, env: proxiedEnv(), bufferedUploadBytes: 0 });
    await store.open();
    try {
      const content = `${'x'.repeat(200_000)}\n`;
      mkdirSync(join(store.root, 'big'), { recursive: true });
      writeFileSync(join(store.root, 'big', 'file.json'), content);
      const faulted = new Set<string>();
      const before = { ...proxy.faults };
      // Each request to the file is cut once: the upload's body, then the download's body.
      proxy.policy = ({ line }) => {
        if (!line.includes('/acs/big/file.json') || faulted.has(line)) return null;
        faulted.add(line);
        return line.startsWith('PUT') ? 'cut-request' : 'cut-response';
      };
      await store.publish(['big/file.json']);
      assert.equal(await store.readText('big/file.json'), content);
      assert.equal(proxy.faults['cut-request'] - before['cut-request'], 1);
      assert.equal(proxy.faults['cut-response'] - before['cut-response'], 1);
    } finally {
      proxy.policy = () => null;
      await store.close();
    }
    assert.equal(await s3.getText(bucket, 'acs/big/file.json'), `${'x'.repeat(200_000)}\n`);
  });
});
