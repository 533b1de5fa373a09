import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notifier } from '../../src/core/index.js';
import { sleep, waitFor } from '../helpers/bus-kit.js';

/** What every Notifier promises, run unchanged against each implementation; `factory` gives a fresh one per test. */
export function notifierContract(name: string, factory: () => Promise<Notifier>): void {
  describe(`Notifier contract: ${name}`, () => {
    let notifier: Notifier;

    beforeEach(async () => {
      notifier = await factory();
    });
    afterEach(async () => {
      await notifier.close();
    });

    it('delivers a notification sent after listen() resolved, to every listener of the channel only', async () => {
      const a: string[] = [];
      const b: string[] = [];
      const other: string[] = [];
      await notifier.listen('agent:web-1', (m) => a.push(m));
      await notifier.listen('agent:web-1', (m) => b.push(m));
      await notifier.listen('agent:db-1', (m) => other.push(m));
      await notifier.notify('agent:web-1', 'job-queued');
      await waitFor('both listeners woken', () => a.length === 1 && b.length === 1, 2000, 1);
      await sleep(30);
      expect(a).toEqual(['job-queued']);
      expect(b).toEqual(['job-queued']);
      expect(other).toEqual([]);
    });

    it('keeps the order of notifications from one sender', async () => {
      const got: string[] = [];
      await notifier.listen('order', (m) => got.push(m));
      const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
      await Promise.all(sent.map((m) => notifier.notify('order', m)));
      await waitFor('all 50 received', () => got.length === 50, 2000, 1);
      expect(got).toEqual(sent);
    });

    it('stops calling a listener once its unlisten() resolved; other listeners stay', async () => {
      const gone: string[] = [];
      const stays: string[] = [];
      const unlisten = await notifier.listen('ch', (m) => gone.push(m));
      await notifier.listen('ch', (m) => stays.push(m));
      await unlisten();
      await notifier.notify('ch', 'after');
      await waitFor('remaining listener woken', () => stays.length === 1, 2000, 1);
      await sleep(30);
      expect(gone).toEqual([]);
      await unlisten(); // twice is harmless
    });

    it('survives a listener that throws', async () => {
      const got: string[] = [];
      await notifier.listen('boom', () => {
        throw new Error('listener bug');
      });
      await notifier.listen('boom', (m) => got.push(m));
      await notifier.notify('boom', 'x');
      await notifier.notify('boom', 'y');
      await waitFor('healthy listener got both', () => got.length === 2, 2000, 1);
    });

    it('is fast: 200 sequential wake-ups well under 5 ms each', async () => {
      let resolveNext: (() => void) | null = null;
      await notifier.listen('fast', () => resolveNext?.());
      const started = process.hrtime.bigint();
      for (let i = 0; i < 200; i++) {
        const woken = new Promise<void>((resolve) => (resolveNext = resolve));
        await notifier.notify('fast', String(i));
        await woken;
      }
      const perWakeMs = Number(process.hrtime.bigint() - started) / 1e6 / 200;
      expect(perWakeMs).toBeLessThan(5);
    });

    it('drops notifications after close without throwing', async () => {
      const other = await factory();
      const got: string[] = [];
      await other.listen('late', (m) => got.push(m));
      await other.close();
      await expect(other.notify('late', 'x')).resolves.toBeUndefined();
      await sleep(30);
      expect(got).toEqual([]);
    });
  });
}
