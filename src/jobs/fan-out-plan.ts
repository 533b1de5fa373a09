import type { FanOutPlan } from '../core/job.js';
import type { FanOutView } from '../core/fan-out-view.js';

export type FanOutDecision =
  /** Write `plan` (compare-and-set), then create children for `start`. */
  | { kind: 'advance'; plan: FanOutPlan; start: string[] }
  /** Every started child is final and no more will start: the parent ends. */
  | { kind: 'finish'; to: 'succeeded' | 'failed' }
  | { kind: 'wait' };

/**
 * What to do next, from the plan and its children (no missing ones): stop after too many
 * failures, start children while fewer than `concurrency` are in flight, record progress for
 * the reply, or end the parent — succeeded only if every target's child succeeded.
 */
export function decide(plan: FanOutPlan, view: FanOutView): FanOutDecision {
  let next = plan;
  let changed = false;
  if (next.stopped === null && next.maxFailures > 0 && view.failures >= next.maxFailures) {
    next = { ...next, stopped: 'max-failures' };
    changed = true;
  }
  let start: string[] = [];
  if (next.stopped === null) {
    const room = Math.min(next.concurrency - view.inFlight.length, next.targets.length - next.started);
    if (room > 0) {
      start = next.targets.slice(next.started, next.started + room);
      next = { ...next, started: next.started + room };
      changed = true;
    }
  }
  const over = view.inFlight.length === 0 && start.length === 0 && (next.stopped !== null || next.started === next.targets.length);
  if (over && !changed) return { kind: 'finish', to: next.stopped === null && view.counts.succeeded === next.targets.length ? 'succeeded' : 'failed' };
  if (view.finished !== next.reported) {
    next = { ...next, reported: view.finished };
    changed = true;
  }
  return changed ? { kind: 'advance', plan: next, start } : { kind: 'wait' };
}
