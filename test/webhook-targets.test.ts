/**
 * Webhook targets a server-side request forgery aims at are refused: the address check (IPv4, IPv6, IPv4-mapped),
 * literal hosts in URLs, and delivery, where the address a name resolves to is checked before connecting. Names
 * resolve through the system (localhost) or a stand-in resolver answering what a hostile DNS record would: no
 * external DNS.
 */
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { isRefusedAddress, refusedWebhookUrl, refusingLookup, shownUrl, type ResolveAll } from '../src/service/api/webhook-targets.js';
import { notify, type Notification } from '../src/service/api/webhooks.js';

const NOTIFICATION: Notification = {
  event: 'run.failed',
  at: '2026-01-02T03:04:05.000Z',
  connector: { id: 'c_1', name: 'main' },
  run: { id: 'r_1', kind: 'scheduled', status: 'failed', startedAt: null, endedAt: null, rows: 0, error: 'boom', failedTables: [] },
};

test('link-local and unspecified addresses are refused, in IPv4, IPv6 and IPv4-mapped form; loopback and private ones are not', () => {
  for (const address of ['169.254.169.254', '169.254.0.1', '0.0.0.0', '0.1.2.3', 'fe80::1', 'febf::ffff', '::', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::ffff:0.0.0.0']) {
    assert.equal(isRefusedAddress(address), true, address);
  }
  for (const address of ['127.0.0.1', '10.1.2.3', '192.168.0.10', '172.16.5.4', '169.255.0.1', '::1', 'fd00::1', 'fec0::1', '::ffff:127.0.0.1', '8.8.8.8', 'localhost', 'example.com']) {
    assert.equal(isRefusedAddress(address), false, address);
  }
});

test('a URL whose host is a refused literal is refused whatever its spelling; names are left to delivery', () => {
  for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://2852039166/', 'http://169.254.169.254./', 'https://[fe80::1]:8443/', 'http://[::ffff:169.254.169.254]/', 'http://0/', 'http://[::]/']) {
    assert.match(refusedWebhookUrl(url) ?? '', /a link-local or unspecified address .*: webhooks may not target it$/, url);
  }
  for (const url of ['http://127.0.0.1:9000/hook', 'http://[::1]/', 'https://hooks.example.com/x', 'http://localhost/', 'not a url']) {
    assert.equal(refusedWebhookUrl(url), null, url);
  }
});

/** A stand-in for DNS: every name resolves to `addresses`; counts the look-ups. */
function resolver(addresses: LookupAddress[]): ResolveAll & { calls: number } {
  const resolve = ((_hostname, _options, callback) => {
    resolve.calls += 1;
    setImmediate(() => callback(null, addresses));
  }) as ResolveAll & { calls: number };
  resolve.calls = 0;
  return resolve;
}

function lookupOnce(lookup: ReturnType<typeof refusingLookup>, hostname: string, all: boolean): Promise<{ error: Error | null; address: unknown }> {
  return new Promise((resolve) => lookup(hostname, { all }, (error, address) => resolve({ error, address })));
}

test('the lookup refuses a name that resolves to a refused address (also among others) and passes localhost', async () => {
  const metadata = refusingLookup(resolver([{ address: '10.0.0.5', family: 4 }, { address: '169.254.169.254', family: 4 }]));
  for (const all of [false, true]) {
    const { error } = await lookupOnce(metadata, 'metadata.example', all);
    assert.match(error?.message ?? '', /^metadata\.example resolves to 169\.254\.169\.254, a link-local/);
  }
  const mapped = await lookupOnce(refusingLookup(resolver([{ address: '::ffff:169.254.169.254', family: 6 }])), 'mapped.example', false);
  assert.match(mapped.error?.message ?? '', /resolves to ::ffff:169\.254\.169\.254/);

  const local = await lookupOnce(refusingLookup(), 'localhost', true);
  assert.equal(local.error, null);
  assert.ok((local.address as LookupAddress[]).every((a) => ['127.0.0.1', '::1'].includes(a.address)), JSON.stringify(local.address));
});

test('delivery to a name resolving to the metadata address fails once with the reason, never connecting nor retrying; localhost gets its body', async () => {
  const received: string[] = [];
  const receiver = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      received.push(text);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  try {
    const hostile = resolver([{ address: '169.254.169.254', family: 4 }]);
    const failures: string[] = [];
    await new Promise<void>((resolve) => {
      notify([`http://metadata.example:${port}/hook`], NOTIFICATION, {
        attempts: 4, firstDelayMs: 10, resolveAll: hostile, onFailure: (_url, message) => resolve(void failures.push(message)),
      });
    });
    assert.deepEqual(failures, [`webhook http://metadata.example:${port}/… not delivered: metadata.example resolves to 169.254.169.254, a link-local or unspecified address (such as the cloud metadata service at 169.254.169.254): webhooks may not target it`]);
    assert.equal(hostile.calls, 1, 'no retry');

    // A target saved before the check existed is refused at delivery too.
    const literal = await new Promise<string>((resolve) => notify(['http://169.254.169.254/latest'], NOTIFICATION, { onFailure: (_url, message) => resolve(message) }));
    assert.match(literal, /^webhook http:\/\/169\.254\.169\.254\/… not delivered: 169\.254\.169\.254, a link-local/);
    assert.deepEqual(received, []);

    await new Promise<void>((resolve, reject) => {
      receiver.once('request', (request) => request.on('end', () => setImmediate(resolve)));
      notify([`http://localhost:${port}/hook`], NOTIFICATION, { attempts: 1, onFailure: (_url, message) => reject(new Error(message)) });
    });
    assert.equal(received.length, 1);
    assert.deepEqual(JSON.parse(received[0] ?? 'null'), NOTIFICATION);
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
});

test('a failed delivery is reported without the URL\'s path and query, which carry a chat webhook\'s credential', async () => {
  const receiver = createServer((request, response) => response.writeHead(500).end());
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  try {
    const url = `http://127.0.0.1:${port}/services/T0001/B0002/s3cr3tT0ken?sig=abc`;
    const message = await new Promise<string>((resolve) => notify([url], NOTIFICATION, { attempts: 2, firstDelayMs: 10, onFailure: (_url, text) => resolve(text) }));
    assert.equal(message, `webhook http://127.0.0.1:${port}/… not delivered after 2 tries (HTTP 500)`);
    assert.equal(shownUrl(`http://127.0.0.1:${port}/`), `http://127.0.0.1:${port}`);
    assert.equal(shownUrl('not a url'), 'webhook URL');
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
});
