import { readdirSync, readFileSync } from 'node:fs';
import { monoMs } from './clock.js';
import type { ProcessStats } from './protocol.js';

/** This process's memory, CPU and file descriptors (Linux /proc; null elsewhere). */
export function processStats(): ProcessStats {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal, externalBytes: mem.external, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, at: monoMs(), fdLimit: fdLimit(), openFds: openFds() };
}

/**
 * Soft limit on open files. Node raises its soft RLIMIT_NOFILE to the hard limit when it starts,
 * so a child needs no `ulimit -n` as long as the hard limit is high enough (it is 20,000 on the
 * bench machine; raising the hard limit needs CAP_SYS_RESOURCE, which the container lacks).
 */
export function fdLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined ? null : soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return null;
  }
}

function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}
