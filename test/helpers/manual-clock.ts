import type { Clock } from '../../src/core/clock.js';

/** A clock tests move by hand, so timer rules are tested without waiting. */
export function manualClock(start = new Date('2026-01-01T00:00:00.000Z')): Clock & { advance(ms: number): void; set(d: Date): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance(ms) {
      now += ms;
    },
    set(d) {
      now = d.getTime();
    },
  };
}
