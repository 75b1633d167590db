/**
 * Text pools for generated values. They deliberately include the hard cases a replicator must survive:
 * non-ASCII letters, CJK, emoji, both quote characters, backslashes, tabs and newlines, and very long text.
 */
import type { Rng } from './random.js';

/** [display name, ASCII form for e-mail addresses] */
export const FIRST_NAMES: readonly (readonly [string, string])[] = [
  ['Ana', 'ana'], ['Bruno', 'bruno'], ['Carla', 'carla'], ['Diego', 'diego'], ['Eduarda', 'eduarda'],
  ['Felipe', 'felipe'], ['Gabriela', 'gabriela'], ['Hugo', 'hugo'], ['Isabela', 'isabela'], ['João', 'joao'],
  ['Júlia', 'julia'], ['Lucas', 'lucas'], ['Mariana', 'mariana'], ['Otávio', 'otavio'], ['Paula', 'paula'],
  ['Renato', 'renato'], ['Sofia', 'sofia'], ['Thiago', 'thiago'], ['Vitória', 'vitoria'], ['Zoë', 'zoe'],
  ['Jürgen', 'jurgen'], ['Anaïs', 'anais'], ['François', 'francois'], ['Chloé', 'chloe'], ['Ñusta', 'nusta'],
  ['陽翔', 'haruto'], ['さくら', 'sakura'], ['D\'Angelo', 'dangelo'], ['Ana 🌸', 'ana'], ['Björn', 'bjorn'],
  ['Łucja', 'lucja'], ['Renée', 'renee'],
];

export const LAST_NAMES: readonly (readonly [string, string])[] = [
  ['Souza', 'souza'], ['Silva', 'silva'], ['Oliveira', 'oliveira'], ['Santos', 'santos'], ['Pereira', 'pereira'],
  ['Costa', 'costa'], ['Rodrigues', 'rodrigues'], ['Almeida', 'almeida'], ['Gonçalves', 'goncalves'],
  ['da Conceição', 'conceicao'], ['Müller', 'muller'], ['Schäfer', 'schafer'], ['Østergaard', 'ostergaard'],
  ['Nakamura', 'nakamura'], ['山田', 'yamada'], ['O\'Connor', 'oconnor'], ['D\'Ávila', 'davila'], ['Lima', 'lima'],
  ['Ferreira', 'ferreira'], ['Carvalho', 'carvalho'], ['Nguyễn', 'nguyen'], ['Kowalski', 'kowalski'],
  ['García', 'garcia'], ['Smith', 'smith'],
];

export const ORG_NAMES: readonly string[] = [
  'Mercado Bom Preço', 'Padaria Pão Quente', 'Zürich Versicherungs AG', '東京トレーディング株式会社',
  'Café ☕ & Co', '"Best" Foods Ltda', 'AC\\DC Peças', 'Müller & Söhne GmbH', 'O\'Reilly Supplies',
  'São Paulo Logística', 'Rocket 🚀 Labs', 'Açougue Boi Gordo', 'Kraków Steel S.A.', 'Reykjavík Fisheries',
  'Ferragens União', 'Bäckerei Schön', 'Acme Store', 'Lojas Estrela', 'Farmácia Saúde+', 'Tech\tTabs Inc',
];

export const DOMAINS: readonly string[] = [
  'bompreco.example', 'paoquente.example', 'zurich-ag.example', 'tokyo-trading.example', 'cafe.example',
  'bestfoods.example', 'pecas.example', 'mueller.example', 'oreilly.example', 'splog.example', 'rocketlabs.example',
  'mail.example', 'inbox.example', 'corp.example',
];

export const CITIES: readonly string[] = [
  'São Paulo', 'Zürich', '東京', 'Curitiba', 'Porto Alegre', 'Reykjavík', 'Kraków', 'Belo Horizonte', 'Recife',
];

export const DEAL_TITLES: readonly string[] = [
  'Second store fit-out', 'Annual supply contract', 'Cold room upgrade', 'Pilot – 3 months', 'Renewal 2025',
  'Expansão filial Zürich', 'POS terminals (×12)', 'Consulting "premium" pack', 'Frete São Paulo ↔ Curitiba',
  '東京 showroom', 'Upsell 🚀 bundle', 'Shelving & racks', 'Back\\office licences',
];

export const NOTE_LINES: readonly string[] = [
  'Wants a quote for the second store.',
  'Called back; prefers WhatsApp after 18h.',
  'Said "send the contract on Monday".',
  'It\'s the owner\'s decision, not the buyer\'s.',
  'Shared drive path: C:\\Quotes\\2024\\acme.xlsx',
  'Item\tQty\tPrice\nShelves\t4\t1.200,00\nFreezer\t1\t8.990,00',
  'Reunião em São Paulo na terça; depois Zürich.',
  '東京のオフィスから連絡がありました。',
  'Great call 🎉 — budget approved.',
  '',
];

export const TASK_TITLES: readonly string[] = [
  'Call about the quote', 'Send proposal', 'Follow up after demo', 'Visit the store in São Paulo',
  'Confirm delivery dates', 'Email "final" price', 'Check C:\\contracts folder',
];

/** A long note body of 10-50 KB, built by repeating numbered paragraphs (cheap to generate on demand). */
export function longText(rng: Rng): string {
  const target = rng.range(10_000, 50_000);
  const parts: string[] = [];
  let size = 0;
  for (let i = 1; size < target; i++) {
    const line = `${i}. ${rng.pick(NOTE_LINES)} Meeting log — "quoted" and 'single-quoted' text, tab\there, ção, Zürich, 東京, 🚀.\n`;
    parts.push(line);
    size += line.length;
  }
  return parts.join('');
}

/** A short text that sometimes carries quotes, backslashes, tabs, newlines or emoji. */
export function noteText(rng: Rng): string {
  const first = rng.pick(NOTE_LINES);
  return rng.chance(0.3) ? `${first}\n${rng.pick(NOTE_LINES)}` : first;
}
