/**
 * The room map: for each room of `src/` (a top-level folder, or `(root)` for files directly in `src/`), its files,
 * lines and the rooms it imports, read from the TypeScript import statements. It also lists import cycles between
 * files and imports that go against the layering below. Run: `npm run rooms` (`-- --json` for one JSON object).
 *
 * Layers, lowest first. A room may import its own files, any room of a lower layer, and nothing else:
 *   catalog (declarations only) → core (shared vocabulary) → activecampaign, destinations, simulator, erd, dbt
 *   → engine → protocols, service → cli
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const LAYERS: readonly (readonly string[])[] = [
  ['catalog'],
  ['core'],
  ['activecampaign', 'destinations', 'simulator', 'erd', 'dbt'],
  ['engine'],
  ['protocols', 'service'],
  ['cli'],
];

const root = resolve(process.argv.includes('--src') ? process.argv[process.argv.indexOf('--src') + 1]! : 'src');
const json = process.argv.includes('--json');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const roomOf = (file: string): string => {
  const parts = relative(root, file).split(sep);
  return parts.length === 1 ? '(root)' : parts[0]!;
};
const layerOf = (room: string): number => LAYERS.findIndex((layer) => layer.includes(room));

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const files = filesUnder(root).sort();
const edges = new Map<string, Set<string>>();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const targets = new Set<string>();
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    if (!spec?.startsWith('.')) continue;
    targets.add(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  edges.set(file, targets);
}

interface Room { files: number; lines: number; imports: Record<string, number> }
const rooms = new Map<string, Room>();
const violations: string[] = [];
for (const file of files) {
  const room = roomOf(file);
  const entry = rooms.get(room) ?? { files: 0, lines: 0, imports: {} };
  entry.files++;
  entry.lines += readFileSync(file, 'utf8').split('\n').length;
  for (const target of edges.get(file) ?? []) {
    const other = roomOf(target);
    if (other === room) continue;
    entry.imports[other] = (entry.imports[other] ?? 0) + 1;
    const from = layerOf(room);
    const to = layerOf(other);
    if (from === -1 || to === -1 || to >= from) {
      violations.push(`${relative(root, file)} → ${relative(root, target)} (${room} → ${other})`);
    }
  }
  rooms.set(room, entry);
}

// Cycles between files: Tarjan's strongly connected components over the file graph.
const cycles: string[][] = [];
{
  let index = 0;
  const indexes = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (file: string): void => {
    indexes.set(file, index);
    low.set(file, index);
    index++;
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file) ?? []) {
      if (!edges.has(target)) continue;
      if (!indexes.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, indexes.get(target)!));
      }
    }
    if (low.get(file) === indexes.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(relative(root, member));
      } while (member !== file);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const file of files) if (!indexes.has(file)) visit(file);
}

const ordered = [...rooms.entries()].sort(([a], [b]) => layerOf(a) - layerOf(b) || a.localeCompare(b));
if (json) {
  process.stdout.write(JSON.stringify({ rooms: Object.fromEntries(ordered), violations, cycles }) + '\n');
} else {
  const width = Math.max(...ordered.map(([room]) => room.length));
  const lines = ordered.map(([room, r]) => {
    const imports = Object.entries(r.imports).sort(([a], [b]) => a.localeCompare(b)).map(([o, n]) => `${o} ${n}`).join(', ');
    return `${room.padEnd(width)}  ${String(r.files).padStart(3)} files  ${String(r.lines).padStart(6)} lines  imports: ${imports || '-'}`;
  });
  lines.push('', `files ${files.length}, lines ${ordered.reduce((n, [, r]) => n + r.lines, 0)}`);
  lines.push(`imports against the layering: ${violations.length}`, ...violations.map((v) => `  ${v}`));
  lines.push(`import cycles: ${cycles.length}`, ...cycles.map((c) => `  ${c.join(' ↔ ')}`));
  process.stdout.write(lines.join('\n') + '\n');
}
process.exitCode = violations.length > 0 || cycles.length > 0 ? 1 : 0;
