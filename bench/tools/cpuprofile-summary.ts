/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by package,
 * and inclusive time of our own functions. Usage:
 *   node dist/bench/tools/cpuprofile-summary.js FILE.cpuprofile [top=30]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: cpuprofile-summary FILE.cpuprofile [top]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const where = (n: Node) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 13).split('/').slice(0, url.slice(nm + 13).startsWith('@') ? 2 : 1).join('/');
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 6);
  return url || '(native)';
};
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber + 1}`;
const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;

const selfByFn = new Map<string, number>();
const selfByPkg = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
  const pkg = n.callFrame.url ? where(n).split('/')[0]! : `(${n.callFrame.functionName || 'native'})`;
  selfByPkg.set(pkg, (selfByPkg.get(pkg) ?? 0) + us);
}

// Inclusive time per function label (counted once per sample even if recursive).
const inclusive = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
});

const print = (title: string, m: Map<string, number>, filter: (k: string) => boolean = () => true) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
};
console.log(`profile: ${(total / 1e6).toFixed(2)} s sampled`);
print('self time by package', selfByPkg);
print('self time by function', selfByFn);
print('inclusive time, our code (src/, entities/, bench/)', inclusive, (k) => / (src|entities|bench)\//.test(k));
