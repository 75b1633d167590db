import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Column } from '../src/catalog/index.js';
import { isValidTimeZone } from '../src/core/time-zone.js';
import { recordOffset, rowConverter, typeValue } from '../src/engine/typing.js';
import type { ConversionIssue, TypingContext } from '../src/engine/typing.js';
import { table } from './support/catalog.js';

function column(tableName: string, columnName: string): Column {
  const found = table(tableName).columns.find((c) => c.name === columnName);
  assert.ok(found, `${tableName} lacks ${columnName}`);
  return found;
}

const NO_ZONE: TypingContext = { timeZone: null };

/** Microseconds since the epoch of an ISO instant (millisecond precision is enough for the fixtures). */
function micros(iso: string): bigint {
  const ms = Date.parse(iso);
  assert.ok(!Number.isNaN(ms), iso);
  return BigInt(ms) * 1000n;
}

function days(isoDate: string): number {
  return Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000;
}

/** Types a value and returns it with the issues it raised. */
function typed(col: Column, raw: unknown, ctx: TypingContext = NO_ZONE) {
  const issues: ConversionIssue[] = [];
  const value = typeValue(col, raw, ctx, issues);
  return { value, issues };
}

const id = column('contacts', 'id');
const email = column('contacts', 'email');
const emailEmpty = column('contacts', 'email_empty');
const bouncedDate = column('contacts', 'bounced_date');
const cdate = column('contacts', 'cdate');
const createdTimestamp = column('contacts', 'created_timestamp');
const createdUtc = column('contacts', 'created_utc_timestamp');

describe('NULL first', () => {
  test('null and a missing value are NULL in every type, without an issue', () => {
    for (const col of [id, email, emailEmpty, bouncedDate, cdate]) {
      assert.deepEqual(typed(col, null), { value: null, issues: [] });
      assert.deepEqual(typed(col, undefined), { value: null, issues: [] });
    }
  });

  test('zero dates are NULL in a column of any type, text included', () => {
    for (const col of [id, email, emailEmpty, bouncedDate, cdate]) {
      assert.deepEqual(typed(col, '0000-00-00'), { value: null, issues: [] }, col.name);
      assert.deepEqual(typed(col, '0000-00-00 00:00:00'), { value: null, issues: [] }, col.name);
    }
  });

  test('"" is NULL in float, timestamp, date and boolean columns and stays "" in text', () => {
    for (const col of [id, emailEmpty, bouncedDate, cdate]) {
      assert.deepEqual(typed(col, ''), { value: null, issues: [] }, col.name);
    }
    assert.deepEqual(typed(email, ''), { value: '', issues: [] });
  });
});

describe('float', () => {
  test('numbers as is, decimal strings parsed, booleans as 1/0', () => {
    assert.equal(typed(id, 17).value, 17);
    assert.equal(typed(id, 0.5).value, 0.5);
    assert.equal(typed(id, '17').value, 17);
    assert.equal(typed(id, '1250000.00').value, 1_250_000);
    assert.equal(typed(id, '4500000.00').value, 4_500_000);
    assert.equal(typed(id, '-1').value, -1);
    assert.equal(typed(id, '0').value, 0);
    assert.equal(typed(id, '12.5').value, 12.5);
    assert.equal(typed(id, '.5').value, 0.5);
    assert.equal(typed(id, '1e3').value, 1000);
    assert.equal(typed(id, '9007199254740993').value, 9007199254740992);
    assert.equal(typed(id, true).value, 1);
    assert.equal(typed(id, false).value, 0);
  });

  test('a string that is not strictly a decimal number is NULL with an issue', () => {
    for (const garbage of ['abc', ' 17', '17 ', '1,5', '0x10', 'Infinity', 'NaN', '-', '.', '1e', '12abc', '--1']) {
      assert.deepEqual(typed(id, garbage), { value: null, issues: [{ column: 'id', value: garbage }] }, garbage);
    }
    const object = { a: 1 };
    assert.deepEqual(typed(id, object), { value: null, issues: [{ column: 'id', value: object }] });
  });
});

describe('text', () => {
  test('strings as is, numbers in shortest decimal form, booleans as true/false', () => {
    assert.equal(typed(email, 'ana@example.com').value, 'ana@example.com');
    assert.equal(typed(email, 250000).value, '250000');
    assert.equal(typed(email, 12.5).value, '12.5');
    assert.equal(typed(email, true).value, 'true');
    assert.equal(typed(email, false).value, 'false');
  });

  test('special encodings are kept as sent, nothing trimmed', () => {
    for (const sent of ['3232235777', '||Red||Blue||', 'a@x.com, b@y.com', '  padded  ']) {
      assert.equal(typed(email, sent).value, sent);
    }
  });

  test('fieldOptions arrays and task owner objects become compact JSON in received key order', () => {
    const fieldOptions = column('deals_custom_fields_meta', 'fieldoptions');
    assert.deepEqual(typed(fieldOptions, ['A', 'B']), { value: '["A","B"]', issues: [] });
    assert.equal(typed(fieldOptions, ['Retail', 'Services']).value, '["Retail","Services"]');
    assert.equal(typed(fieldOptions, null).value, null);
    for (const tasks of ['contacts_tasks', 'deals_tasks']) {
      const owner = column(tasks, 'owner');
      assert.equal(typed(owner, { type: 'contact', id: '7' }).value, '{"type":"contact","id":"7"}');
      assert.equal(typed(owner, { id: '7', type: 'deal' }).value, '{"id":"7","type":"deal"}');
    }
  });

  test('an object in any other text column is NULL with an issue', () => {
    const links = { self: 'https://acme.api-us1.com/api/3/contacts/1' };
    assert.deepEqual(typed(email, links), { value: null, issues: [{ column: 'email', value: links }] });
    assert.deepEqual(typed(email, []), { value: null, issues: [{ column: 'email', value: [] }] });
  });

  test('campaigns_messages_content.text is cut to 1000 code points, never splitting a pair', () => {
    const body = column('campaigns_messages_content', 'text');
    assert.equal(body.maxChars, 1000);
    const emoji = '😀'.repeat(1500);
    const cut = typed(body, emoji).value;
    assert.equal(typeof cut, 'string');
    assert.equal([...(cut as string)].length, 1000);
    assert.equal((cut as string).length, 2000);
    assert.equal(cut, '😀'.repeat(1000));

    const mixed = `${'a'.repeat(999)}😀tail`;
    assert.equal(typed(body, mixed).value, `${'a'.repeat(999)}😀`);
    assert.equal(typed(body, 'short').value, 'short');
    assert.equal(typed(body, 'x'.repeat(1000)).value, 'x'.repeat(1000));
    // Other text columns are never cut.
    assert.equal(typed(email, 'y'.repeat(5000)).value, 'y'.repeat(5000));
  });
});

describe('boolean', () => {
  test('true/false, 1/0, "1"/"0", "true"/"false"', () => {
    for (const yes of [true, 1, '1', 'true']) assert.deepEqual(typed(emailEmpty, yes), { value: true, issues: [] });
    for (const no of [false, 0, '0', 'false']) assert.deepEqual(typed(emailEmpty, no), { value: false, issues: [] });
  });

  test('anything else is NULL with an issue', () => {
    for (const other of ['yes', 'TRUE', 2, '2', ' 1', {}]) {
      assert.deepEqual(typed(emailEmpty, other), { value: null, issues: [{ column: 'email_empty', value: other }] });
    }
  });
});

describe('date', () => {
  test('YYYY-MM-DD becomes days since 1970-01-01', () => {
    assert.equal(typed(bouncedDate, '1970-01-01').value, 0);
    assert.equal(typed(bouncedDate, '2024-03-01').value, days('2024-03-01'));
    assert.equal(typed(bouncedDate, '2024-02-29').value, days('2024-02-29'));
    assert.equal(typed(bouncedDate, '1969-12-31').value, -1);
    assert.equal(typed(bouncedDate, '1900-03-01').value, days('1900-03-01'));
  });

  test('a date-time keeps its date part, without any time-zone shift', () => {
    assert.equal(typed(bouncedDate, '2024-02-29T23:00:00-03:00').value, days('2024-02-29'));
    assert.equal(typed(bouncedDate, '2024-03-01 00:30:00').value, days('2024-03-01'));
    assert.equal(typed(bouncedDate, '2024-03-01T01:00:00+09:00', { timeZone: 'America/New_York' }).value,
      days('2024-03-01'));
  });

  test('impossible dates and garbage are NULL with an issue', () => {
    for (const bad of ['2023-02-29', '2024-13-01', '2024-04-31', '2024-3-1', 'yesterday', '2024-03-01x', 20240301]) {
      assert.deepEqual(typed(bouncedDate, bad), { value: null, issues: [{ column: 'bounced_date', value: bad }] },
        String(bad));
    }
  });
});

describe('timestamp', () => {
  const instant = micros('2023-05-11T13:44:12Z');

  test('the three styles of the spec all give the same UTC instant', () => {
    // ISO with offset: apply it.
    assert.equal(typed(cdate, '2023-05-11T10:44:12-03:00').value, instant);
    // Naive with `utc` in the key: already UTC.
    assert.equal(typed(createdUtc, '2023-05-11 13:44:12').value, instant);
    // Naive account-local: through the account zone.
    assert.equal(typed(createdTimestamp, '2023-05-11 10:44:12', { timeZone: 'America/Sao_Paulo' }).value, instant);
  });

  test('a trailing Z is UTC; offsets in ±HH:MM, ±HHMM and ±HH forms are applied', () => {
    assert.equal(typed(cdate, '2023-05-11T13:44:12Z').value, instant);
    assert.equal(typed(cdate, '2023-05-11T19:14:12+05:30').value, instant);
    assert.equal(typed(cdate, '2023-05-11T19:14:12+0530').value, instant);
    assert.equal(typed(cdate, '2023-05-11T10:44:12-03').value, instant);
    assert.equal(typed(cdate, '2023-05-11 10:44:12-03:00').value, instant);
  });

  test('the key-name rule needs `utc` as a word of the key', () => {
    const naive = '2023-05-11 10:44:12';
    const ctx: TypingContext = { timeZone: null, offsetMinutes: -180 };
    const keyed = (source: string): Column => ({ name: source.toLowerCase(), type: 'timestamp', source });
    for (const source of ['updated_utc_timestamp', 'password_updated_utc_timestamp', 'createdUtcTimestamp', 'utc_date']) {
      assert.equal(typed(keyed(source), naive, ctx).value, micros('2023-05-11T10:44:12Z'), source);
    }
    for (const source of ['outcome_date', 'updatedTimestamp', 'edate']) {
      assert.equal(typed(keyed(source), naive, ctx).value, instant, source);
    }
  });

  test('a value with an offset wins over the key-name rule and over the account zone', () => {
    // `*_utc_timestamp` values sometimes arrive in ISO form (taskOutcomes).
    assert.equal(typed(createdUtc, '2022-06-01T10:00:00-03:00').value, micros('2022-06-01T13:00:00Z'));
    assert.equal(typed(createdTimestamp, '2023-05-11T10:44:12-03:00', { timeZone: 'Asia/Tokyo' }).value, instant);
  });

  test('naive account-local times follow DST changes of the IANA zone', () => {
    const newYork: TypingContext = { timeZone: 'America/New_York' };
    const at = (local: string) => typed(createdTimestamp, local, newYork).value;
    assert.equal(at('2024-01-15 12:00:00'), micros('2024-01-15T17:00:00Z'));
    assert.equal(at('2024-07-15 12:00:00'), micros('2024-07-15T16:00:00Z'));
    // Spring forward, 2024-03-10 02:00 EST → 03:00 EDT.
    assert.equal(at('2024-03-10 01:59:59'), micros('2024-03-10T06:59:59Z'));
    assert.equal(at('2024-03-10 03:00:00'), micros('2024-03-10T07:00:00Z'));
    // 02:30 does not exist: read with the offset before the change, so it lands after the gap.
    assert.equal(at('2024-03-10 02:30:00'), micros('2024-03-10T07:30:00Z'));
    // Fall back, 2024-11-03 02:00 EDT → 01:00 EST: 01:30 happens twice, the earlier instant is taken.
    assert.equal(at('2024-11-03 00:59:59'), micros('2024-11-03T04:59:59Z'));
    assert.equal(at('2024-11-03 01:30:00'), micros('2024-11-03T05:30:00Z'));
    assert.equal(at('2024-11-03 02:00:00'), micros('2024-11-03T07:00:00Z'));

    // Southern hemisphere and a half-hour zone: São Paulo had DST until 2019 (-02 in summer).
    const saoPaulo: TypingContext = { timeZone: 'America/Sao_Paulo' };
    assert.equal(typed(createdTimestamp, '2018-12-01 10:00:00', saoPaulo).value, micros('2018-12-01T12:00:00Z'));
    assert.equal(typed(createdTimestamp, '2018-06-01 10:00:00', saoPaulo).value, micros('2018-06-01T13:00:00Z'));
    assert.equal(typed(createdTimestamp, '2024-06-01 10:00:00', { timeZone: 'Asia/Kolkata' }).value,
      micros('2024-06-01T04:30:00Z'));
  });

  test('without a zone, a naive local time takes ctx.offsetMinutes, else it is read as UTC', () => {
    assert.equal(typed(createdTimestamp, '2023-05-11 10:44:12', { timeZone: null, offsetMinutes: -180 }).value, instant);
    assert.equal(typed(createdTimestamp, '2023-05-11 13:44:12', { timeZone: null, offsetMinutes: null }).value, instant);
    assert.equal(typed(createdTimestamp, '2023-05-11 13:44:12', NO_ZONE).value, instant);
    // The key-name rule does not use the offset.
    assert.equal(typed(createdUtc, '2023-05-11 13:44:12', { timeZone: null, offsetMinutes: -180 }).value, instant);
  });

  test('a date-only value is midnight UTC, whatever the zone', () => {
    assert.equal(typed(createdTimestamp, '2024-03-01', { timeZone: 'America/New_York' }).value,
      micros('2024-03-01T00:00:00Z'));
  });

  test('fractional seconds are kept to the microsecond', () => {
    const base = micros('2024-03-01T16:02:11Z');
    assert.equal(typed(cdate, '2024-03-01T16:02:11.5Z').value, base + 500_000n);
    assert.equal(typed(cdate, '2024-03-01T16:02:11.123456Z').value, base + 123_456n);
    assert.equal(typed(cdate, '2024-03-01T16:02:11.123456789Z').value, base + 123_456n);
    assert.equal(typed(createdUtc, '2024-03-01 16:02:11.000001').value, base + 1n);
    assert.equal(typed(createdUtc, '1969-12-31 23:59:59.5').value, -500_000n);
  });

  test('garbage is NULL with an issue', () => {
    for (const bad of ['yesterday', '2024-13-01 00:00:00', '2024-03-01 24:00:00', '2024-03-01T16',
      '2024-03-01T16:02:11+', '2024-03-01T16:02:11 UTC', '2024-03-01T16:02:61', '2024-03-01T16:02:11.Z',
      1_700_000_000, true]) {
      assert.deepEqual(typed(cdate, bad), { value: null, issues: [{ column: 'cdate', value: bad }] }, String(bad));
    }
  });

  test('hours and minutes without seconds are accepted', () => {
    assert.equal(typed(cdate, '2024-03-01T16:02-03:00').value, micros('2024-03-01T19:02:00Z'));
  });
});

describe('recordOffset', () => {
  test('gives the offset of the first ISO timestamp with an offset', () => {
    assert.equal(recordOffset({ id: '1', created_timestamp: '2024-02-05 10:22:10', cdate: '2024-02-05T10:22:10-03:00' }), -180);
    assert.equal(recordOffset({ cdate: '2024-02-05T10:22:10+05:30', udate: '2024-02-05T10:22:10-03:00' }), 330);
    assert.equal(recordOffset({ cdate: '2024-02-05T10:22:10Z' }), 0);
  });

  test('is null when no value carries an offset', () => {
    assert.equal(recordOffset({ id: '1', created_timestamp: '2024-02-05 10:22:10', note: 'T'.repeat(30) }), null);
    assert.equal(recordOffset({}), null);
  });
});

describe('rowConverter', () => {
  test('gives values in catalog order, ignores unlisted keys and NULLs missing ones', () => {
    const convert = rowConverter(table('contacts'));
    const issues: ConversionIssue[] = [];
    const row = convert({
      id: '42', email: 'ana@example.com', email_empty: false, bounced_date: '0000-00-00', sentcnt: 'many',
      cdate: '2024-02-05T10:22:10-03:00', links: { self: 'x' }, unknownFutureKey: 'ignored',
    }, NO_ZONE, issues);
    const names = table('contacts').columns.map((c) => c.name);
    assert.equal(row.length, names.length);
    const byName = new Map(names.map((name, i) => [name, row[i]]));
    assert.equal(byName.get('id'), 42);
    assert.equal(byName.get('email'), 'ana@example.com');
    assert.equal(byName.get('email_empty'), false);
    assert.equal(byName.get('bounced_date'), null);
    assert.equal(byName.get('sentcnt'), null);
    assert.equal(byName.get('cdate'), micros('2024-02-05T13:22:10Z'));
    assert.equal(byName.get('phone'), null);
    assert.deepEqual(issues, [{ column: 'sentcnt', value: 'many' }]);
  });

  test('without a zone, naive local times take the record offset, then the parent offset, then UTC', () => {
    const convert = rowConverter(table('contacts'));
    const index = table('contacts').columns.findIndex((c) => c.name === 'created_timestamp');
    const utcIndex = table('contacts').columns.findIndex((c) => c.name === 'created_utc_timestamp');
    const withOwnOffset = convert({
      created_timestamp: '2024-02-05 10:22:10', created_utc_timestamp: '2024-02-05 13:22:10',
      udate: '2024-03-01T16:02:11-03:00',
    }, { timeZone: null, offsetMinutes: 120 }, []);
    assert.equal(withOwnOffset[index], micros('2024-02-05T13:22:10Z'));
    assert.equal(withOwnOffset[utcIndex], micros('2024-02-05T13:22:10Z'));

    const fromParent = convert({ created_timestamp: '2024-02-05 10:22:10' }, { timeZone: null, offsetMinutes: -180 }, []);
    assert.equal(fromParent[index], micros('2024-02-05T13:22:10Z'));

    const asUtc = convert({ created_timestamp: '2024-02-05 10:22:10' }, NO_ZONE, []);
    assert.equal(asUtc[index], micros('2024-02-05T10:22:10Z'));

    // A zone, when set, wins over the record's offset (it is right across DST).
    const zoned = convert({ created_timestamp: '2024-07-05 10:22:10', udate: '2024-01-01T00:00:00-05:00' },
      { timeZone: 'America/New_York' }, []);
    assert.equal(zoned[index], micros('2024-07-05T14:22:10Z'));
  });

  test('contacts_tags reads tag columns from the joined tag and NULLs them without one', () => {
    const tags = table('contacts_tags');
    const convert = rowConverter(tags);
    const association = {
      contact: '7', id: '90', tag: '15', cdate: '2024-02-05T10:22:10-03:00', created_timestamp: '2024-02-05 10:22:10',
    };
    const tag = {
      id: '15', tag: 'VIP', tagType: 'contact', description: 'Important', subscriber_count: '12',
      cdate: '2024-01-01T09:00:00+01:00', created_timestamp: '2024-01-01 09:00:00',
    };
    const issues: ConversionIssue[] = [];
    const row = convert(association, NO_ZONE, issues, tag);
    const value = (name: string) => row[tags.columns.findIndex((c) => c.name === name)];
    assert.equal(value('contact'), 7);
    assert.equal(value('id'), 90);
    assert.equal(value('tag'), 'VIP');
    assert.equal(value('tag_id'), 15);
    assert.equal(value('description'), 'Important');
    assert.equal(value('tagtype'), 'contact');
    assert.equal(value('subscriber_count'), 12);
    assert.equal(value('tag_cdate'), micros('2024-01-01T08:00:00Z'));
    // The tag's naive time takes the tag's own offset, the association's takes the association's.
    assert.equal(value('tag_created_timestamp'), micros('2024-01-01T08:00:00Z'));
    assert.equal(value('created_timestamp'), micros('2024-02-05T13:22:10Z'));
    assert.deepEqual(issues, []);

    const orphan = convert(association, NO_ZONE, [], null);
    const orphanValue = (name: string) => orphan[tags.columns.findIndex((c) => c.name === name)];
    assert.equal(orphanValue('tag'), null);
    assert.equal(orphanValue('tag_cdate'), null);
    assert.equal(orphanValue('tag_id'), 15);
  });

  test('converts at least a few hundred thousand values per second', () => {
    // A loose floor that still catches an accidental per-value Intl call or regex compile; the bench
    // (bench/duckdb-load-bench.ts) measures the real figure.
    const contacts = table('contacts');
    const convert = rowConverter(contacts);
    const ctx: TypingContext = { timeZone: 'America/Sao_Paulo' };
    const records = Array.from({ length: 2000 }, (_, i) => ({
      id: String(i), cdate: '2024-02-05T10:22:10-03:00', created_timestamp: `2024-02-05 10:${String(i % 60).padStart(2, '0')}:10`,
      created_utc_timestamp: '2024-02-05 13:22:10', email: `c${i}@example.com`, email_empty: false, sentcnt: '14',
      bounced_date: '0000-00-00', udate: '2024-03-01T16:02:11-03:00', phone: '', orgid: '0',
    }));
    const issues: ConversionIssue[] = [];
    const started = performance.now();
    let values = 0;
    while (performance.now() - started < 200) {
      for (const record of records) values += convert(record, ctx, issues).length;
    }
    const perSecond = values / ((performance.now() - started) / 1000);
    assert.deepEqual(issues, []);
    assert.ok(perSecond > 300_000, `${Math.round(perSecond)} values/s`);
  });
});

test('isValidTimeZone accepts IANA names and rejects others', () => {
  assert.equal(isValidTimeZone('America/Sao_Paulo'), true);
  assert.equal(isValidTimeZone('UTC'), true);
  assert.equal(isValidTimeZone('Mars/Olympus_Mons'), false);
});
