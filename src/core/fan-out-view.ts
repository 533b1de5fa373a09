import { isTerminal } from './job.js';
import type { FanOutPlan, Job } from './job.js';

/** How a fan-out parent's children stand: shared by the service, the reply, `status` and the API. */

/** Final children by state, and the targets that could not get a child. */
export interface FanOutCounts {
  succeeded: number;
  failed: number;
  expired: number;
  cancelled: number;
  /** Targets whose child could not be created (agent revoked or removed meanwhile). */
  unavailable: number;
}

/** A parent's children as the plan sees them. */
export interface FanOutView {
  /** The child of each target agent. */
  byAgent: Map<string, Job>;
  counts: FanOutCounts;
  /** Started targets that are done (final child, or could not start). */
  finished: number;
  /** Started targets whose child is queuing, sent or running. */
  inFlight: string[];
  /** Started targets without a child yet (a crash between the plan's update and the insert). */
  missing: string[];
  /** What counts towards `maxFailures`: failed, expired, could not start. */
  failures: number;
}

export function viewOf(plan: FanOutPlan, children: readonly Job[]): FanOutView {
  const byAgent = new Map<string, Job>();
  for (const child of children) if (!byAgent.has(child.agent)) byAgent.set(child.agent, child);
  const unavailable = new Set(plan.skipped.filter((s) => s.why === 'unavailable').map((s) => s.agent));
  const counts: FanOutCounts = { succeeded: 0, failed: 0, expired: 0, cancelled: 0, unavailable: 0 };
  const inFlight: string[] = [];
  const missing: string[] = [];
  for (const agent of plan.targets.slice(0, plan.started)) {
    const child = byAgent.get(agent);
    if (!child) {
      if (unavailable.has(agent)) counts.unavailable++;
      else missing.push(agent);
    } else if (!isTerminal(child.state)) inFlight.push(agent);
    else counts[child.state as keyof FanOutCounts]++;
  }
  const finished = counts.succeeded + counts.failed + counts.expired + counts.cancelled + counts.unavailable;
  return { byAgent, counts, finished, inFlight, missing, failures: counts.failed + counts.expired + counts.unavailable };
}

/** One line per target for the parent's output: `web-1  succeeded  exit 0  job k3f9x2ab7q4m`. */
export function summaryLines(plan: FanOutPlan, view: FanOutView): string[] {
  const width = Math.max(8, ...plan.targets.map((a) => a.length));
  const lines = plan.targets.map((agent) => {
    const child = view.byAgent.get(agent);
    const skip = plan.skipped.find((s) => s.agent === agent);
    if (!child) return `${agent.padEnd(width)}  ${skip ? 'could not start' : 'not started'}`;
    return `${agent.padEnd(width)}  ${child.state.padEnd(9)}  ${child.exitCode === null ? '-' : `exit ${child.exitCode}`}  job ${child.id}`;
  });
  for (const skip of plan.skipped) if (!plan.targets.includes(skip.agent)) lines.push(`${skip.agent.padEnd(width)}  ${skip.why === 'offline' ? 'offline, skipped' : 'not allowed'}`);
  return lines;
}
