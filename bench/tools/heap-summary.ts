/**
 * Summarises a V8 .heapsnapshot (the scale scenario writes one of the server process with
 * BENCH_PROFILE_DIR set): self size and count by node type and constructor name, largest first.
 * Usage: node dist/bench/tools/heap-summary.js FILE.heapsnapshot [top=30]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] }; node_count: number };
  nodes: number[];
  strings: string[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: heap-summary FILE.heapsnapshot [top]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const iType = fields.indexOf('type');
const iName = fields.indexOf('name');
const iSize = fields.indexOf('self_size');
const groups = new Map<string, { size: number; count: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + iType]!]!;
  const size = snap.nodes[i + iSize]!;
  total += size;
  // Objects and closures by constructor / function name; strings, code, arrays by type only.
  const name = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${snap.strings[snap.nodes[i + iName]!]!.slice(0, 60)}` : type;
  const g = groups.get(name) ?? { size: 0, count: 0 };
  g.size += size;
  g.count++;
  groups.set(name, g);
}
const MiB = 2 ** 20;
console.log(`heap snapshot: ${(total / MiB).toFixed(1)} MiB in ${(snap.nodes.length / width).toLocaleString('en')} objects\n`);
console.log('   self MiB     count  type / constructor');
for (const [name, g] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
  console.log(`${(g.size / MiB).toFixed(1).padStart(11)} ${String(g.count).padStart(9)}  ${name}`);
}
