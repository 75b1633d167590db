import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../src/core/errors.js';
import {
  loadConfigFile, parseFullRefresh, parseModes, resolveConnection, selectTables,
} from '../src/cli/config.js';

const dir = mkdtempSync(join(tmpdir(), 'acsync-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('flags win over the environment, which wins over the config file', () => {
  const file = { url: 'https://file.api-us1.com', key: 'file-key' };
  const env = { ACTIVECAMPAIGN_URL: 'https://env.api-us1.com/api/3/', ACTIVECAMPAIGN_KEY: 'env-key' };
  assert.deepEqual(resolveConnection({}, file, {}), { baseUrl: 'https://file.api-us1.com', key: 'file-key' });
  assert.deepEqual(resolveConnection({}, file, env), { baseUrl: 'https://env.api-us1.com', key: 'env-key' });
  assert.deepEqual(resolveConnection({ url: 'https://flag.api-us1.com', key: 'flag-key' }, file, env), {
    baseUrl: 'https://flag.api-us1.com',
    key: 'flag-key',
  });
  assert.throws(() => resolveConnection({ url: 'https://a.api-us1.com' }, {}, {}), /no ActiveCampaign key/);
});

test('the config file is validated with a one-line message naming the setting', () => {
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ url: 'https://a.api-us1.com', mode: { contacts: 'full' }, fullRefreshEveryDays: 7 }));
  assert.equal(loadConfigFile(good).fullRefreshEveryDays, 7);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ url: 'https://a.api-us1.com', requestsPerSecond: 50 }));
  assert.throws(() => loadConfigFile(bad), (e: unknown) => e instanceof ConfigError && /requestsPerSecond/.test(e.message));
  const typo = join(dir, 'typo.json');
  writeFileSync(typo, JSON.stringify({ urll: 'x' }));
  assert.throws(() => loadConfigFile(typo), ConfigError);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "url": ');
  assert.throws(() => loadConfigFile(broken), /not valid JSON/);
  assert.throws(() => loadConfigFile(join(dir, 'missing.json')), /cannot read the config file/);
});

test('tables, exclusions and modes are checked against the catalog', () => {
  assert.equal(selectTables(undefined, undefined).length, 33);
  assert.deepEqual(selectTables('users,contacts', undefined).map((t) => t.name), ['contacts', 'users']);
  assert.equal(selectTables(undefined, ['contacts']).length, 32);
  assert.throws(() => selectTables('contact', undefined), /unknown table "contact"/);
  assert.throws(() => selectTables('users', 'users'), /no table left/);
  assert.deepEqual([...parseModes('contacts=full, deals=incremental')], [['contacts', 'full'], ['deals', 'incremental']]);
  assert.throws(() => parseModes('lists=incremental'), /cannot be synced incrementally/);
  assert.throws(() => parseModes('contacts'), /bad --mode entry/);
  assert.throws(() => parseModes({ contacts: 'sometimes' }), /bad mode "sometimes"/);
  assert.equal(parseFullRefresh('all').size, 33);
});

test('a config file holding the key that other users may read is warned about', () => {
  const file = join(dir, 'key.json');
  writeFileSync(file, JSON.stringify({ url: 'https://a.api-us1.com', key: 'secret-key' }), { mode: 0o644 });
  chmodSync(file, 0o644);
  const warnings: string[] = [];
  loadConfigFile(file, (m) => warnings.push(m));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /other users of this machine may read it \(mode 644\): chmod 600/);
  assert.doesNotMatch(warnings[0] ?? '', /secret-key/);
  chmodSync(file, 0o600);
  warnings.length = 0;
  loadConfigFile(file, (m) => warnings.push(m));
  assert.deepEqual(warnings, []);
  const keyless = join(dir, 'keyless.json');
  writeFileSync(keyless, JSON.stringify({ url: 'https://a.api-us1.com' }));
  chmodSync(keyless, 0o644);
  const keylessWarnings: string[] = [];
  loadConfigFile(keyless, (m) => keylessWarnings.push(m));
  assert.deepEqual(keylessWarnings, [], 'no key, nothing to protect');
});
