/**
 * The BullMQ anchor (issue 9): a forked process that runs either BullMQ's worker (a no-op
 * processor, concurrency 100) or its producer (a closed loop: add a job, count its `completed`
 * event through QueueEvents, add the next). Two processes, like Skadi's server and load process.
 * BullMQ is a dev dependency of the benchmark only.
 */
import { Queue, QueueEvents, Worker } from 'bullmq';
import { monoMs, sleep } from '../lib/clock.js';
import { processStats } from '../lib/process-stats.js';
import type { BullFrom, BullTo } from '../lib/bullmq-protocol.js';

let worker: Worker | null = null;
let queue: Queue | null = null;
let events: QueueEvents | null = null;

function send(msg: BullFrom): void {
  process.send?.(msg);
}

const connection = (redisUrl: string) => ({ url: redisUrl, maxRetriesPerRequest: null });

async function runProducer(msg: Extract<BullTo, { type: 'run' }>): Promise<void> {
  queue = new Queue(msg.queue, { connection: connection(msg.redisUrl), prefix: msg.prefix });
  events = new QueueEvents(msg.queue, { connection: connection(msg.redisUrl), prefix: msg.prefix });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const completions: number[] = [];
  let added = 0;
  let done = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  let stopping = false;
  const outstanding = () => added - errors - done;
  const add = () => {
    added++;
    queue!.add('bench', { n: added }, { removeOnComplete: true, removeOnFail: true }).catch((err: unknown) => {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(err instanceof Error ? err.message : String(err));
      pump();
    });
  };
  const pump = () => {
    while (!stopping && outstanding() < msg.inFlight) add();
  };
  events.on('completed', () => {
    done++;
    completions.push(monoMs());
    pump();
  });
  events.on('failed', ({ failedReason }: { failedReason: string }) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(`failed: ${failedReason}`);
    pump();
  });
  send({ type: 'started', at: monoMs() });
  pump();
  await sleep(msg.durationMs);
  stopping = true;
  const until = monoMs() + 10_000;
  while (outstanding() > 0 && monoMs() < until) await sleep(10);
  send({ type: 'run-done', completions, added, errors, errorSamples });
}

async function handle(msg: BullTo): Promise<void> {
  switch (msg.type) {
    case 'worker':
      worker = new Worker(msg.queue, async () => undefined, { connection: connection(msg.redisUrl), prefix: msg.prefix, concurrency: msg.concurrency });
      await worker.waitUntilReady();
      send({ type: 'worker-ready' });
      return;
    case 'run':
      return runProducer(msg);
    case 'stats':
      send({ type: 'stats', stats: processStats() });
      return;
    case 'stop':
      await Promise.allSettled([worker?.close(), events?.close()]);
      if (queue) {
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close().catch(() => undefined);
      }
      process.disconnect?.();
      process.exit(0);
  }
}

process.on('message', (msg: BullTo) => {
  handle(msg).catch((err: unknown) => send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
process.on('disconnect', () => process.exit(0));
