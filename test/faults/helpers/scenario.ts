import { afterEach, expect } from 'vitest';
import { Load, type LoadOptions } from './load.js';
import { FaultRig, type FaultRigOptions } from './fault-rig.js';
import { sleep } from './processes.js';
import { recordRow, writeLogs } from './report.js';
import { verdict, waitForQuiet, type FaultRow } from './verdict.js';

export interface ScenarioOptions {
  load: LoadOptions;
  /** Load before the fault (default 4 s). */
  warmupMs?: number;
  /** Injects the fault (and ends it, for a bounded outage); runs while the load goes on. */
  inject: (rig: FaultRig, load: Load) => Promise<void>;
  /** Load after `inject` returned (default 4 s). */
  cooldownMs?: number;
  /** Longest wait for the system to settle once the load stopped (default 90 s). */
  quietTimeoutMs?: number;
}

export interface ScenarioOutcome {
  row: FaultRow;
  load: Load;
  /** What was still pending when the settling wait ended (empty when everything settled). */
  unsettled: string[];
}

/**
 * The shape of every fault test: a steady load, the fault in the middle of it, the load stops,
 * the system settles, then every job is checked and the figures recorded for the table.
 */
export async function runScenario(rig: FaultRig, options: ScenarioOptions): Promise<ScenarioOutcome> {
  const startedAt = Date.now();
  const load = new Load(rig, options.load);
  load.start();
  try {
    await sleep(options.warmupMs ?? 4000);
    await options.inject(rig, load);
    await sleep(options.cooldownMs ?? 4000);
  } finally {
    await load.stop();
  }
  const unsettled = await waitForQuiet(rig, load, options.quietTimeoutMs ?? 90_000);
  const row = await verdict(rig, load, startedAt);
  recordRow(row);
  writeLogs(row.fault, rig.logs(Number.MAX_SAFE_INTEGER));
  const { problems, ...figures } = row;
  console.log(`[faults] ${JSON.stringify(figures)}${unsettled.length ? `\n  unsettled: ${unsettled.join('; ')}` : ''}${problems.length ? `\n  ${problems.join('\n  ')}` : ''}`);
  return { row, load, unsettled };
}

/** The message a failed expectation shows: the figures, what was pending, the problems and the logs' tails. */
export function explain(rig: FaultRig, outcome: ScenarioOutcome): string {
  const notAccepted = outcome.load.records.filter((r) => !r.accepted).map((r) => `${r.label} via ${r.channel}: ${r.lastError}`);
  return [
    JSON.stringify({ ...outcome.row, problems: undefined }),
    outcome.unsettled.length ? `unsettled: ${outcome.unsettled.join('; ')}` : '',
    ...outcome.row.problems,
    notAccepted.length ? `not accepted: ${notAccepted.slice(0, 10).join('; ')}` : '',
    rig.logs(12_000),
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Each fault test starts its own rig (private MariaDB, Redis, servers, agents); this closes it
 * after the test, whatever happened. Call once per describe; the function it returns starts one.
 */
export function rigPerTest(): (options: FaultRigOptions) => Promise<FaultRig> {
  let rig: FaultRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });
  return async (options) => {
    rig = new FaultRig(options);
    await rig.start();
    return rig;
  };
}

export interface Expected {
  /** Jobs that may expire: a number exactly (default 0), or a range. */
  expired?: number | { min: number; max?: number };
  /** A request that failed visibly (the user got an error reply and may resend) counts as answered. */
  errorRepliesAnswer?: boolean;
  /** At least this many jobs sent (the load really ran through the fault). */
  minSent?: number;
}

/**
 * What every fault must keep: no job lost or run twice, every reply sent once, every accepted
 * job in a final state, none failed, every request accepted (after the client's retries).
 */
export function expectEveryJobOnce(rig: FaultRig, outcome: ScenarioOutcome, expected: Expected = {}): void {
  const { row } = outcome;
  const why = explain(rig, outcome);
  if (expected.minSent !== undefined) expect(row.jobsSent, why).toBeGreaterThan(expected.minSent);
  expect(row.lost, why).toBe(0);
  expect(row.duplicated, why).toBe(0);
  expect(row.failed, why).toBe(0);
  expect(row.notAccepted, why).toBe(0);
  expect(row.jobsFinished + (expected.errorRepliesAnswer ? row.errorReplies : 0), why).toBe(row.jobsSent);
  const expired = expected.expired ?? 0;
  if (typeof expired === 'number') {
    expect(row.expired, why).toBe(expired);
  } else {
    expect(row.expired, why).toBeGreaterThanOrEqual(expired.min);
    if (expired.max !== undefined) expect(row.expired, why).toBeLessThanOrEqual(expired.max);
  }
}
