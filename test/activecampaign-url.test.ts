import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../src/core/errors.js';
import { normalizeBaseUrl } from '../src/activecampaign/url.js';

const accepted: [input: string, expected: string][] = [
  ['https://acme.api-us1.com', 'https://acme.api-us1.com'],
  ['https://acme.api-us1.com/', 'https://acme.api-us1.com'],
  ['https://acme.api-us1.com/api/3', 'https://acme.api-us1.com'],
  ['https://acme.api-us1.com/api/3/', 'https://acme.api-us1.com'],
  ['  https://acme.api-us1.com/api/3  ', 'https://acme.api-us1.com'],
  ['\thttps://acme.activehosted.com\n', 'https://acme.activehosted.com'],
  ['HTTPS://Acme.Api-US1.com', 'https://acme.api-us1.com'],
  ['https://acme.api-us1.com:443/', 'https://acme.api-us1.com'],
  ['https://acme.api-us1.com:8443', 'https://acme.api-us1.com:8443'],
  ['http://localhost:8080', 'http://localhost:8080'],
  ['http://127.0.0.1:39001/api/3', 'http://127.0.0.1:39001'],
  ['http://[::1]:8080/', 'http://[::1]:8080'],
  ['https://127.0.0.1:8443', 'https://127.0.0.1:8443'],
];

for (const [input, expected] of accepted) {
  test(`normalizeBaseUrl(${JSON.stringify(input)}) is ${expected}`, () => {
    assert.equal(normalizeBaseUrl(input), expected);
  });
}

const rejected: [input: string, messagePart: RegExp][] = [
  ['', /URL is empty/],
  ['   ', /URL is empty/],
  ['http://acme.api-us1.com', /must start with https:\/\/ \(got http:\/\/acme\.api-us1\.com\)/],
  ['http://10.0.0.5:8080', /must start with https:\/\//],
  ['http://127.0.0.2', /must start with https:\/\//],
  ['acme.api-us1.com', /must start with https:\/\/ \(got acme\.api-us1\.com\)/],
  ['ftp://acme.api-us1.com', /not ftp:\/\//],
  ['https://', /not a valid address|no host/],
  ['https://acme api-us1.com', /not a valid address/],
  ['not a url at all', /must start with https:\/\//],
  ['https://acme.api-us1.com/app/contacts', /without a path/],
  ['https://acme.api-us1.com/api/3/contacts', /without a path/],
  ['https://acme.api-us1.com/?x=1', /query or fragment/],
  ['https://acme.api-us1.com#top', /query or fragment/],
  ['https://user:secret@acme.api-us1.com', /user name or password/],
];

for (const [input, messagePart] of rejected) {
  test(`normalizeBaseUrl rejects ${JSON.stringify(input)}`, () => {
    assert.throws(
      () => normalizeBaseUrl(input),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
        assert.match(error.message, messagePart);
        assert.match(error.message, /Settings → Developer/);
        assert.ok(!error.message.includes('\n'), 'messages are one line');
        return true;
      },
    );
  });
}

test('the documented example message is produced word for word', () => {
  assert.throws(() => normalizeBaseUrl('http://acme.api-us1.com'), {
    message: 'the ActiveCampaign URL must start with https:// (got http://acme.api-us1.com); copy it from Settings → Developer',
  });
});

test('a long or multi-line input is shown on one short line', () => {
  const input = `https://acme.api-us1.com/${'x'.repeat(200)}\nsecond line`;
  assert.throws(
    () => normalizeBaseUrl(input),
    (error: unknown) => error instanceof ConfigError && !error.message.includes('\n') && error.message.length < 250,
  );
});

test('credentials in the URL are never echoed, whatever else is wrong with it', () => {
  const key = 's3cr3t-pass'.repeat(6);
  for (const input of ['https://user:s3cr3t-pass@acme.api-us1.com', 'http://user:s3cr3t-pass@acme.api-us1.com/app', 's3cr3t-pass@acme.api-us1.com', key]) {
    assert.throws(
      () => normalizeBaseUrl(input),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('s3cr3t-pass') && /Settings → Developer/.test(error.message),
      input,
    );
  }
});
