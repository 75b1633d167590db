/**
 * For the destination load benchmarks: contact records shaped like `GET /contacts` rows, their typed rows, and
 * one pass of them through a destination's writer.
 */
import { getTable } from '../../src/catalog/index.js';
import type { Destination, TableState, TypedRow } from '../../src/core/contract.js';
import { rowConverter, type ConversionIssue } from '../../src/engine/typing.js';

export const contacts = (() => {
  const table = getTable('contacts');
  if (!table) throw new Error('the catalog lacks contacts');
  return table;
})();

const pad = (n: number) => String(n).padStart(2, '0');

/** A record shaped like `GET /contacts` rows (docs/activecampaign-api.md), varied per id. */
export function contactRecord(id: number): Record<string, unknown> {
  const day = pad(1 + (id % 28));
  const time = `${pad(id % 24)}:${pad(id % 60)}:${pad((id * 7) % 60)}`;
  return {
    id: String(id), adate: `2024-03-${day}T${time}-03:00`, anonymized: '0', bounced_date: '0000-00-00',
    bounced_hard: '0', bounced_soft: '0', cdate: `2024-02-${day}T${time}-03:00`,
    created_timestamp: `2024-02-${day} ${time}`, created_utc_timestamp: `2024-02-${day} ${time}`, deleted: '0',
    deleted_at: '0000-00-00 00:00:00', edate: `2024-02-${day}T09:00:03-03:00`, email: `contact${id}@example.com`,
    email_domain: 'example.com', email_empty: false, email_local: `contact${id}`, firstName: 'Ana', gravatar: '1',
    hash: '5f4dcc3b5aa765d61d8327deb882cf99', ip: '3232235777', lastName: `Silva ${id}`, mpp_tracking: '0',
    orgid: String(id % 500), orgname: '', phone: '+55 11 91234-5678', rating_tstamp: `2024-02-${day}`,
    segmentio_id: '', sentcnt: String(id % 40), socialdata_lastcheck: '0000-00-00 00:00:00', ua: '',
    udate: `2024-03-${day}T${time}-03:00`, updated_timestamp: `2024-03-${day} ${time}`,
    updated_utc_timestamp: `2024-03-${day} ${time}`,
    links: { bounceLogs: `https://acme.api-us1.com/api/3/contacts/${id}/bounceLogs` },
  };
}

/** `count` contacts typed for the destination (ids 1..count), and the seconds the typing took. */
export function typedContacts(count: number): { rows: TypedRow[]; typingSeconds: number } {
  const records = Array.from({ length: count }, (_, i) => contactRecord(i + 1));
  const convert = rowConverter(contacts);
  const issues: ConversionIssue[] = [];
  const started = performance.now();
  const rows = records.map((r) => convert(r, { timeZone: 'America/Sao_Paulo' }, issues));
  const typingSeconds = (performance.now() - started) / 1000;
  if (issues.length > 0) throw new Error(`unexpected conversion issues: ${JSON.stringify(issues.slice(0, 3))}`);
  return { rows, typingSeconds };
}

/** Writes `rows` through one pass of `destination` in batches; seconds spent committing and in `finish`. */
export async function loadPass(
  destination: Destination,
  mode: 'full' | 'incremental',
  rows: readonly TypedRow[],
  batchRows: number,
): Promise<{ commit: number; finish: number }> {
  const started = performance.now();
  const writer = await destination.beginTable(contacts, mode, false);
  for (let offset = 0; offset < rows.length; offset += batchRows) {
    const batch = rows.slice(offset, offset + batchRows);
    const position = { offset: offset + batch.length, rows: offset + batch.length };
    const state: TableState = { mode, inProgress: { runId: 'bench', mode, stream: '/contacts', position } };
    await writer.commit({ rows: batch }, state);
  }
  const committed = performance.now();
  await writer.finish({ mode });
  return { commit: (committed - started) / 1000, finish: (performance.now() - committed) / 1000 };
}
