/** Messages between the bench runner and its BullMQ processes (bench/load/bullmq-process.ts). */
import type { ProcessStats } from './protocol.js';

export type BullTo =
  | { type: 'worker'; redisUrl: string; queue: string; prefix: string; concurrency: number }
  | { type: 'run'; redisUrl: string; queue: string; prefix: string; inFlight: number; durationMs: number }
  | { type: 'stats' }
  | { type: 'stop' };

export type BullFrom =
  | { type: 'worker-ready' }
  | { type: 'started'; at: number }
  /** monoMs() of every `completed` event the producer's QueueEvents received. */
  | { type: 'run-done'; completions: number[]; added: number; errors: number; errorSamples: string[] }
  | { type: 'stats'; stats: ProcessStats }
  | { type: 'failed'; message: string };
