import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { monoMs } from '../lib/clock.js';
import { onCleanup } from '../lib/cleanup.js';
import { forkIpcChild } from '../lib/ipc-child.js';
import { deleteRedisKeys, type StackId } from '../lib/stacks.js';
import type { BullFrom, BullTo } from '../lib/bullmq-protocol.js';
import type { ProcessStats } from '../lib/protocol.js';
import type { ThroughputResult } from './throughput.js';
import type { Scenario, ScenarioContext } from './scenario.js';

const SCRIPT = fileURLToPath(new URL('../load/bullmq-process.js', import.meta.url));

/** Issue 9: Skadi's end-to-end throughput over BullMQ's on the same Redis, per stack. */
export const BULLMQ_RATIO_TARGET: Record<StackId, number> = { sqlite: 1.0, mariadb: 0.5 };

export interface BullmqResult {
  stack: StackId;
  concurrency: number;
  inFlight: number;
  measuredMs: number;
  /** `completed` events received by the producer's QueueEvents per second, over the measured window. */
  jobsPerSec: number;
  added: number;
  errors: number;
  errorSamples: string[];
  /** CPU of the worker and the producer process over the window, % of one core. */
  workerCpuPercent: number;
  producerCpuPercent: number;
  /** Skadi's jobs/s of this stack's throughput scenarios (null when not run) and the ratios. */
  skadi: { agents10: number | null; agents100: number | null };
  ratio: { agents10: number | null; agents100: number | null };
}

const cpuPercent = (a: ProcessStats, b: ProcessStats) => Math.round(((b.cpuUserMs + b.cpuSystemMs - a.cpuUserMs - a.cpuSystemMs) / (b.at - a.at)) * 100);

/**
 * BullMQ (add + a no-op worker with concurrency 100) on the machine's Redis, in two processes of
 * its own: the worker, and a producer that keeps as many jobs in flight as Skadi's throughput
 * scenario (200) and counts each job when its `completed` event reaches its QueueEvents — the
 * counterpart of Skadi's final EventJobStatus consumed. Same warm-up and window as Skadi's.
 * Completed jobs are removed (removeOnComplete), the queue has a unique name and prefix, and its
 * keys are deleted afterwards.
 */
export const bullmqAnchor: Scenario<BullmqResult> = {
  id: 'bullmq',
  title: (o) => `BullMQ anchor on the same Redis (no-op worker, concurrency ${o.bullmq.concurrency}, ${o.throughput.inFlight} jobs in flight) and Skadi / BullMQ`,

  async run(ctx: ScenarioContext): Promise<BullmqResult> {
    const { options, endpoints, results } = ctx;
    const { inFlight, durationMs, warmupMs } = options.throughput;
    const prefix = `skadi_bench_bull_${process.pid}_${randomBytes(3).toString('hex')}`;
    const queue = 'anchor';
    const removeKeys = onCleanup(`delete redis keys ${prefix}:*`, async () => void (await deleteRedisKeys(endpoints.redisUrl, `${prefix}:`)));
    const worker = forkIpcChild<BullTo, BullFrom>(SCRIPT, 'bullmq worker');
    const producer = forkIpcChild<BullTo, BullFrom>(SCRIPT, 'bullmq producer');
    try {
      await worker.request({ type: 'worker', redisUrl: endpoints.redisUrl, queue, prefix, concurrency: options.bullmq.concurrency }, 'worker-ready', 30_000);
      const sample = async () => Promise.all([worker.request({ type: 'stats' }, 'stats'), producer.request({ type: 'stats' }, 'stats')]).then(([w, p]) => [w.stats, p.stats] as const);
      const t0 = monoMs();
      const from = t0 + warmupMs;
      const to = from + durationMs;
      let first: Promise<readonly [ProcessStats, ProcessStats]> | null = null;
      let last: Promise<readonly [ProcessStats, ProcessStats]> | null = null;
      const t1 = setTimeout(() => (first = sample()), warmupMs);
      const t2 = setTimeout(() => (last = sample()), warmupMs + durationMs);
      const done = await producer.request({ type: 'run', redisUrl: endpoints.redisUrl, queue, prefix, inFlight, durationMs: warmupMs + durationMs }, 'run-done', warmupMs + durationMs + 60_000);
      clearTimeout(t1);
      clearTimeout(t2);
      const [w0, p0] = (await (first as Promise<readonly [ProcessStats, ProcessStats]> | null)) ?? [null, null];
      const [w1, p1] = (await (last as Promise<readonly [ProcessStats, ProcessStats]> | null)) ?? [null, null];
      const completed = done.completions.filter((t) => t >= from && t < to).length;
      const jobsPerSec = Math.round((completed / durationMs) * 1000);
      const skadiOf = (name: string) => (results[name] as ThroughputResult | undefined)?.jobsPerSec ?? null;
      const ratio = (skadi: number | null) => (skadi === null || jobsPerSec === 0 ? null : Math.round((skadi / jobsPerSec) * 100) / 100);
      const skadi = { agents10: skadiOf('throughput'), agents100: skadiOf('throughput100') };
      return {
        stack: ctx.stack.id,
        concurrency: options.bullmq.concurrency,
        inFlight,
        measuredMs: durationMs,
        jobsPerSec,
        added: done.added,
        errors: done.errors,
        errorSamples: done.errorSamples,
        workerCpuPercent: w0 && w1 ? cpuPercent(w0, w1) : NaN,
        producerCpuPercent: p0 && p1 ? cpuPercent(p0, p1) : NaN,
        skadi,
        ratio: { agents10: ratio(skadi.agents10), agents100: ratio(skadi.agents100) },
      };
    } finally {
      await Promise.all([worker.stop(), producer.stop()]);
      await removeKeys();
    }
  },

  rows(r) {
    const target = BULLMQ_RATIO_TARGET[r.stack];
    const text = `≥ ${BULLMQ_RATIO_TARGET.sqlite.toFixed(1)}× SQLite, ≥ ${BULLMQ_RATIO_TARGET.mariadb.toFixed(1)}× MariaDB`;
    const show = (ratio: number | null, skadi: number | null) => (ratio === null ? 'n/a (throughput not run)' : `${ratio.toFixed(2)}× (${skadi} / ${r.jobsPerSec})`);
    return [
      { label: 'BullMQ jobs/s (completed event consumed)', value: String(r.jobsPerSec) },
      { label: 'BullMQ worker CPU / producer CPU', value: `${r.workerCpuPercent} % / ${r.producerCpuPercent} %` },
      { label: 'Skadi / BullMQ, 10 agents', value: show(r.ratio.agents10, r.skadi.agents10), ...(r.ratio.agents10 === null ? {} : { target: { text, met: r.ratio.agents10 >= target } }) },
      { label: 'Skadi / BullMQ, 100 agents', value: show(r.ratio.agents100, r.skadi.agents100), ...(r.ratio.agents100 === null ? {} : { target: { text, met: r.ratio.agents100 >= target } }) },
      { label: 'BullMQ errors', value: String(r.errors) },
    ];
  },
};
