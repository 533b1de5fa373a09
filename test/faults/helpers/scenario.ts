import { Load, type LoadOptions } from './load.js';
import type { FaultRig } from './fault-rig.js';
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
