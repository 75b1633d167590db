/**
 * The console in a real browser (Debian's Chromium driven by playwright-core), against `acsync serve` and the
 * simulator over HTTP: a wrong Key is refused and nothing is saved; Test shows the denied area and what to grant
 * where; tables and modes are picked, Save starts the first sync, whose live progress shows until it ends; the
 * Tables tab has row counts and the diagram; the schedule is edited; the connector is paused. On a phone-sized
 * screen the pages still work. With ACSYNC_SCREENSHOTS=<dir> the main pages are saved there (docs/ holds them).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { startCli } from './support/cli.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// As root and on a closed network (the flags of ../shared notes): no sandbox, no background connections.
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const shots = process.env.ACSYNC_SCREENSHOTS;

const dir = mkdtempSync(join(tmpdir(), 'acsync-console-'));
let sim: Simulator;
let serve: ReturnType<typeof startCli>;
let base = '';
let browser: Browser;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${base}${path}`);
  assert.equal(response.status, 200, path);
  return (await response.json()) as T;
}

async function shot(page: Page, name: string): Promise<void> {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

before(async () => {
  assert.ok(existsSync('dist/console/app.js'), 'the console is built (npm run build)');
  assert.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`);
  // One denied area (Deals), and enough latency that the first run is watched while it goes.
  sim = await startSimulator({ seed: 21, contacts: 400, rateLimit: 0, latencyMs: 120, deny: ['Deals'] });
  serve = startCli(['serve', '--port', '0', '--data-dir', join(dir, 'service')]);
  let output = '';
  base = await new Promise<string>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /acsync service on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url) resolve(url);
    };
    serve.child.stdout?.on('data', look);
    serve.child.stderr?.on('data', look);
    serve.child.once('exit', (code) => reject(new Error(`acsync serve ended (${code}): ${output}`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
});

after(async () => {
  await browser?.close();
  serve?.child.kill('SIGTERM');
  await serve?.result;
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Connector { id: string; name: string; paused: boolean; schedule: unknown; tables: { name: string; mode: string }[]; key: string }

describe('the console', () => {
  let page: Page;
  let connectorId = '';

  before(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    // Nothing may be fetched from anywhere but the service.
    await page.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
  });

  test('an empty console says what to do; the keyboard reaches the first step', async () => {
    await page.goto(base);
    await page.getByText('No connectors yet').waitFor();
    await shot(page, 'console-empty');
    // Tab through the page until "New connector" has focus, then Enter follows it.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate('document.activeElement?.textContent') === 'New connector') break;
    }
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/new$/);
    await page.getByRole('heading', { name: 'New connector' }).waitFor();
  });

  test('a wrong Key gives a clear message and saves nothing', async () => {
    await page.getByLabel('Name', { exact: true }).fill('Acme');
    await page.getByLabel('URL', { exact: true }).fill(sim.url);
    await page.getByLabel('Key', { exact: true }).fill('not-the-key');
    await page.getByRole('button', { name: 'Save and start the first sync' }).click();
    const alert = page.getByRole('alert').first();
    await alert.waitFor();
    assert.match(await alert.innerText(), /key/i);
    await page.getByText('nothing was saved').waitFor();
    assert.deepEqual(await api('/api/connectors'), []);
  });

  test('Test shows the denied area, the permission to grant and where', async () => {
    await page.getByLabel('Key', { exact: true }).fill(sim.key);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const report = page.locator('.test-report');
    await report.waitFor();
    const text = await report.innerText();
    assert.match(text, /tables are denied/);
    assert.match(text, /Grant Deals: .*Settings → Users → Groups → .*Permissions/);
    assert.match(text, /denied · deals/);
    await shot(page, 'console-new-connector');
  });

  test('pick tables and modes, save: the first sync runs live and ends, with its record per table', async () => {
    await page.getByLabel(/Select all/).uncheck();
    for (const table of ['contacts', 'contacts_tags', 'lists', 'users']) await page.locator(`input[name="table-${table}"]`).check();
    await page.getByLabel('mode of contacts_tags', { exact: true }).selectOption('full');
    assert.equal(await page.getByLabel('mode of contacts', { exact: true }).inputValue(), 'incremental');
    // A table without an update filter offers full only.
    assert.deepEqual(await page.getByLabel('mode of users', { exact: true }).locator('option').allTextContents(), ['full']);
    await page.getByRole('button', { name: 'Save and start the first sync' }).click();
    await page.waitForURL(/#\/c\/[^/]+\/runs\/[^/]+$/);
    connectorId = /#\/c\/([^/]+)\//.exec(page.url())![1]!;
    // Live: the per-table progress while the run goes, then the record once it ends.
    await page.locator('table.live').waitFor({ timeout: 60_000 });
    await shot(page, 'console-run-live');
    await page.locator('article.run h2 .badge', { hasText: 'success' }).waitFor({ timeout: 120_000 });
    const record = await page.locator('article.run table').innerText();
    for (const table of ['contacts', 'contacts_tags', 'lists', 'users']) assert.match(record, new RegExp(`^${table}\\s`, 'm'));
    assert.match(record, /contacts_tags\s+full/);
    await shot(page, 'console-run');
    const saved = await api<Connector>(`/api/connectors/${connectorId}`);
    assert.deepEqual(saved.tables, [
      { name: 'contacts', mode: 'incremental' }, { name: 'contacts_tags', mode: 'full' }, { name: 'lists', mode: 'full' }, { name: 'users', mode: 'full' },
    ].sort((a, b) => saved.tables.findIndex((t) => t.name === a.name) - saved.tables.findIndex((t) => t.name === b.name)));
    assert.ok(!saved.key.includes(sim.key), 'the key is masked');
  });

  test('the Tables tab: row counts at the destination, columns with descriptions, the diagram', async () => {
    await page.getByRole('link', { name: 'Tables' }).click();
    const contacts = page.locator('details.table-card', { has: page.locator('strong', { hasText: /^contacts$/ }) });
    await contacts.waitFor();
    assert.match(await contacts.locator('summary').innerText(), new RegExp(`${sim.account.count('contacts').toLocaleString('en-US')} rows`));
    await contacts.locator('summary').click();
    assert.match(await contacts.innerText(), /email/);
    // The dbt sources offered for download: the connector's tables, relationships only among them.
    const download = page.getByRole('link', { name: 'Download dbt sources' });
    const sources = await (await fetch(`${base}${await download.getAttribute('href')}`)).text();
    assert.match(sources, /^ {6}- name: contacts_tags$/m);
    assert.match(sources, /to: source\('activecampaign', 'contacts'\)/);
    assert.doesNotMatch(sources, /name: deals|source\('activecampaign', 'deals'\)/);
    const diagram = page.frameLocator('iframe.erd');
    await diagram.locator('svg').first().waitFor();
    await shot(page, 'console-tables');
  });

  test('edit the schedule; pause from the list', async () => {
    await page.goto(`${base}/#/c/${connectorId}/edit`);
    await page.getByLabel('Runs').selectOption('minutes');
    await page.getByLabel('N', { exact: true }).fill('30');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(new RegExp(`#/c/${connectorId}$`));
    await page.getByText('every 30 minutes').waitFor();
    assert.deepEqual((await api<Connector>(`/api/connectors/${connectorId}`)).schedule, { everyMinutes: 30 });

    await page.goto(`${base}/#/`);
    const row = page.locator('tr', { hasText: 'Acme' });
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.locator('.badge', { hasText: 'paused' }).waitFor();
    assert.equal((await api<Connector>(`/api/connectors/${connectorId}`)).paused, true);
    await shot(page, 'console-connectors');
  });

  test('tables read whole at most daily: the next run shows them not due, and the run a success', async () => {
    await page.goto(`${base}/#/c/${connectorId}/edit`);
    const field = page.getByLabel(/Tables read whole: at most every N hours/);
    // The server's own check is shown: contacts is read incrementally.
    await field.fill('contacts=24');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    assert.match(await page.getByRole('alert').first().innerText(), /contacts is read incrementally, so a refresh interval does not apply to it/);
    await field.fill('24');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(new RegExp(`#/c/${connectorId}$`));
    await page.getByText('at most every 24 h').waitFor();
    assert.equal((await api<{ refreshEveryHours: unknown }>(`/api/connectors/${connectorId}`)).refreshEveryHours, 24);

    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/#\/c\/[^/]+\/runs\/[^/]+$/);
    await page.locator('article.run h2 .badge', { hasText: 'success' }).waitFor({ timeout: 120_000 });
    const record = await page.locator('article.run table').innerText();
    // lists and users offer no update filter; contacts and contacts_tags (full here, but it could be incremental) are read.
    for (const table of ['lists', 'users']) assert.match(record, new RegExp(`^${table}\\s+full\\s+not due\\s+0\\s+0\\s+not due until .+ \\(refresh interval\\)$`, 'm'), record);
    for (const table of ['contacts', 'contacts_tags']) assert.match(record, new RegExp(`^${table}\\s+\\w+\\s+success\\s`, 'm'), record);
    assert.match(await page.locator('article.run .figures').innerText(), /2 tables not due/);
    await shot(page, 'console-run-not-due');

    // The Tables tab says when each table left out is next read: the time the run gave it.
    const runId = /#\/c\/[^/]+\/runs\/([^/]+)$/.exec(page.url())?.[1] ?? '';
    const run = await api<{ tables: { table: string; notDueUntil?: string }[] }>(`/api/connectors/${connectorId}/runs/${runId}`);
    await page.getByRole('link', { name: 'Tables' }).click();
    const summary = (name: string) => page.locator('details.table-card', { has: page.locator('strong', { hasText: new RegExp(`^${name}$`) }) }).locator('summary');
    for (const name of ['lists', 'users']) {
      assert.match(await summary(name).innerText(), /next read after .+ \(refresh interval\)/, name);
      const until = run.tables.find((t) => t.table === name)?.notDueUntil;
      assert.ok(until, `the run left ${name} out`);
      assert.equal(await summary(name).locator('.not-due time').getAttribute('datetime'), until, name);
    }
    for (const name of ['contacts', 'contacts_tags']) assert.doesNotMatch(await summary(name).innerText(), /next read after/, name);
    await shot(page, 'console-tables-not-due');
  });

  test('on a phone-sized screen the connector page works', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.goto(`${base}/#/c/${connectorId}`);
    await phone.getByRole('button', { name: 'Run now' }).waitFor();
    const overflow = Number(await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    assert.ok(overflow <= 1, `no sideways scrolling of the page (${overflow}px)`);
    await shot(phone, 'console-phone');
    await phone.close();
  });
});
