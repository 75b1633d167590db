/**
 * Small helpers every generated resource uses: absolute `links`, fixed tables, timestamps kept inside the base
 * period, and the values of typed custom fields (accounts and deals share them).
 */
import { DenseSpace } from '../layout.js';
import { Rng, hash } from '../random.js';
import { Table, type ParentKind, type Rec, type RenderContext } from '../table.js';
import { noteText } from '../text.js';
import { BASE_END, BASE_START, localDate } from '../time.js';

/** A base timestamp never passes the end of the base period. */
export const clampToBase = (epochSeconds: number): number => Math.min(Math.floor(epochSeconds), BASE_END);

/** `links` of a row: `<api>/<path>/<id>/<name>` for every name. */
export function links(ctx: RenderContext, path: string, id: number, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const prefix = `${ctx.api}/${path}/${id}/`;
  for (const name of names) out[name] = prefix + name;
  return out;
}

/** One list of fixed rows rendered through a function, with how its rows hang under parents. */
export function fixedTable(
  key: string,
  size: number,
  firstId: number,
  render: (id: number, ctx: RenderContext) => Rec,
  baseChildren?: (parent: ParentKind, parentId: number) => number[],
): Table<null> {
  return new Table<null>(key, new DenseSpace(size, firstId), {
    struct: () => null,
    render: (id, _struct, ctx) => render(id, ctx),
    ...(baseChildren && { baseChildren }),
  });
}

/** An IPv4 address as the API sends it: a decimal string of the 32-bit number. */
export function ipv4(rng: Rng): string {
  return String(((rng.next() * 4294967296) >>> 0) || 3232235876);
}

/** Job titles (contact text fields, account-contact links). */
export const JOB_TITLES = ['Buyer', 'Gerente de compras', 'CEO & founder', 'Head of "Ops"', 'Diretora financeira', ''];

/** A custom-field value of accounts and deals: numbers (currency in cents) as JSON numbers, the rest as strings. */
export function customFieldValue(seed: number, id: number, tag: number, type: string, options: readonly string[] | null, variant = 0): string | number {
  const rng = new Rng(hash(seed, tag, id, 9, variant));
  switch (type) {
    case 'currency':
      return rng.range(1, 90_000) * 100;
    case 'number':
      return rng.chance(0.3) ? rng.range(1, 500) + rng.range(1, 99) / 100 : rng.range(1, 5000);
    case 'dropdown':
      return rng.pick(options ?? ['']);
    case 'multiselect': {
      const chosen = (options ?? []).filter(() => rng.chance(0.4));
      return chosen.length === 0 ? '' : `||${chosen.join('||')}||`;
    }
    case 'date':
      return localDate(BASE_START + rng.int(BASE_END - BASE_START));
    case 'textarea':
      return noteText(rng);
    default:
      return rng.chance(0.1) ? '' : rng.pick(['Marta Lima', 'Jürgen Schäfer', 'O\'Connor, Seán', '山田 太郎', 'Ana "Aninha" Souza']);
  }
}
