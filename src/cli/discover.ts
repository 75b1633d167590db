import { TABLES, defaultMode, type TableDef } from '../catalog/index.js';

/** The catalog as data: what `discover --json` prints and what the protocol modes build on. */
export function describeTable(table: TableDef) {
  return {
    name: table.name,
    title: table.title,
    description: table.description,
    primaryKey: table.primaryKey,
    modes: table.modes,
    defaultMode: defaultMode(table),
    cursor: table.incremental?.cursor ?? null,
    fullPassEveryDays: table.incremental?.fullPassEveryDays ?? null,
    method: table.method,
    source: table.source.endpoint.path,
    permission: table.source.endpoint.permission,
    columns: table.columns.map((c) => ({
      name: c.name,
      type: c.type,
      source: c.joined ? `${c.joined}.${c.source}` : c.source,
      ...(c.description && { description: c.description }),
      ...(c.uncertain && { uncertain: c.uncertain }),
      ...(c.deviation && { deviation: c.deviation }),
    })),
    foreignKeys: table.foreignKeys,
  };
}

/** `acsync discover`: the catalog on stdout, as text or (`--json`) as JSON. */
export function runDiscover(flags: { json?: boolean }): void {
  if (flags.json) {
    process.stdout.write(JSON.stringify({ tables: TABLES.map(describeTable) }, null, 2) + '\n');
    return;
  }
  const out: string[] = [];
  for (const table of TABLES) {
    const modes = table.modes.join(', ');
    const every = table.incremental?.fullPassEveryDays;
    const fullPass = every ? `; a full pass every ${every} days` : '';
    out.push(`${table.name} — ${table.title}  [key: ${table.primaryKey.join(', ')}; modes: ${modes}${fullPass}]`);
    out.push(`    later runs: ${table.method.kind} (${table.method.basis})`);
    for (const column of table.columns) {
      const key = table.primaryKey.includes(column.name) ? ' (key)' : '';
      const fk = table.foreignKeys.find((f) => f.column === column.name);
      const ref = fk ? ` → ${fk.table}.${fk.references}` : '';
      out.push(`    ${column.name.padEnd(32)} ${column.type.padEnd(9)}${key}${ref}`);
    }
    out.push('');
  }
  process.stdout.write(out.join('\n'));
}
