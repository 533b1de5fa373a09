import type { Logger } from '../core/logger.js';
import type { JobService } from './job-service.js';

/**
 * Runs the timer rules (ack deadlines, job timeouts, offline agents) every `intervalMs` with a
 * little jitter. Every process runs them; compare-and-set transitions make that safe.
 */
export function createJobTimers(options: { intervalMs: number }, deps: { service: Pick<JobService, 'sweep'>; logger: Logger }) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let failing = false;

  async function tick(): Promise<void> {
    try {
      await deps.service.sweep();
      if (failing) deps.logger.info('job timers recovered');
      failing = false;
    } catch (err) {
      if (!failing) deps.logger.error({ err }, 'job timers failed; retrying every interval');
      failing = true;
    }
  }

  function schedule(): void {
    const delay = options.intervalMs * (0.8 + Math.random() * 0.4);
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = null;
        if (timer) schedule();
      });
    }, delay);
    timer.unref();
  }

  return {
    start(): void {
      if (!timer) schedule();
    },
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
