import { isTime, monoMs, sleep } from '../lib/clock.js';
import { forkLoadProcess } from '../lib/load-process.js';
import { prepareStack } from '../lib/stacks.js';
import { startServerProcess } from '../lib/server-process.js';
import { summarize, type Summary, formatSummary } from '../lib/stats.js';
import type { Scenario, ScenarioContext } from './scenario.js';

export interface OfflineResult {
  agents: number;
  /** The server's `agents.offlineAfter`, shortened for the bench (default 3 min). */
  offlineAfterMs: number;
  /** The server's `timers.interval` (how often the offline sweep runs). */
  timerIntervalMs: number;
  /** The agents' long-poll wait (they must check in more often than offlineAfter). */
  pollWaitSeconds: number;
  /** Per agent: its last poll sent (load process) → its EventAgentStatus offline consumed by the bench group (server process). */
  lastPollToEvent: Summary;
  /** The same minus the threshold: what the detection adds to it. */
  beyondThreshold: Summary;
  /** From the moment they all went silent: first and last offline event. */
  firstEventMs: number;
  allEventsMs: number;
  /** Agents whose offline event never came (within threshold + 60 s). */
  missing: number;
}

/**
 * 1,000 agents go silent at once (issue 9): their polls are aborted and they never poll again.
 * Measured per agent from its last poll to its EventAgentStatus offline reaching the bench
 * consumer group, i.e. after the offline sweep (`timers.interval`), the compare-and-set, the
 * audit row, the outbox and the bus. The server runs with `agents.offlineAfter` shortened (the
 * agents poll with a short wait to stay online until then) — said in the table.
 */
export const offlineDetection: Scenario<OfflineResult> = {
  id: 'offline',
  standalone: true,
  title: (o) => `offline detection: ${o.offline.agents} agents go silent at once (agents.offlineAfter shortened to ${o.offline.offlineAfterMs / 1000} s for the bench; default 3 min)`,

  async run(ctx: ScenarioContext): Promise<OfflineResult> {
    const { options, log } = ctx;
    const { agents: count, offlineAfterMs, pollWaitSeconds, timerIntervalMs } = options.offline;
    const stack = await prepareStack(ctx.stack.id, ctx.endpoints);
    try {
      const flags = { 'agents.offlineAfter': offlineAfterMs, 'timers.interval': timerIntervalMs, 'agents.pollWaitMax': pollWaitSeconds * 1000 };
      // The server warns once per agent going offline: a thousand lines, not wanted on the bench's stderr.
      const server = await startServerProcess(stack, { logLevel: ctx.logLevel === 'warn' ? 'error' : ctx.logLevel, flags, watchAgentStatus: true });
      try {
        const created = await server.request({ type: 'create-agents', count, prefix: 'quiet', concurrency: 64 }, 'agents-created', 600_000);
        const load = forkLoadProcess();
        try {
          await load.request({ type: 'init', server: server.url, agents: created.agents, userToken: server.userToken, agent: { capacity: 1, outputRatio: 0, pollWaitSeconds }, submitSockets: 1, rampPerSec: 1000 }, 'ready', 60_000);
          for (const until = monoMs() + 60_000; ; await sleep(200)) {
            const online = await server.request({ type: 'count-online' }, 'online');
            if (online.online >= count) break;
            if (monoMs() > until) throw new Error(`only ${online.online} of ${count} agents online after 60 s`);
          }
          // A few poll rounds, so every agent's check-in is recent and steady.
          await sleep(2 * pollWaitSeconds * 1000 + 500);
          await server.request({ type: 'reset' }, 'ok');
          log(`[${ctx.stack.id}]   ${count} agents online; silencing them all`);
          const silencedAt = monoMs();
          const silenced = await load.request({ type: 'silence', names: created.agents.map((a) => a.name) }, 'silenced');
          const lastPoll = new Map(silenced.lastPollSent);
          let offline = new Map<string, number>();
          await server.profiled(`offline-${ctx.stack.id}`, async () => {
            for (const until = silencedAt + offlineAfterMs + 60_000; monoMs() < until; await sleep(250)) {
              offline = new Map((await server.request({ type: 'agent-status' }, 'agent-status')).offline);
              if (offline.size >= count) break;
            }
          });
          const perAgent: number[] = [];
          const times: number[] = [];
          for (const [name, sent] of lastPoll) {
            const at = offline.get(name);
            if (!isTime(at) || !isTime(sent)) continue;
            perAgent.push(at - sent);
            times.push(at);
          }
          return {
            agents: count,
            offlineAfterMs,
            timerIntervalMs,
            pollWaitSeconds,
            lastPollToEvent: summarize(perAgent),
            beyondThreshold: summarize(perAgent.map((v) => v - offlineAfterMs)),
            firstEventMs: times.length ? Math.round(Math.min(...times) - silencedAt) : NaN,
            allEventsMs: times.length ? Math.round(Math.max(...times) - silencedAt) : NaN,
            missing: count - perAgent.length,
          };
        } finally {
          await load.stop();
        }
      } finally {
        await server.stop();
      }
    } finally {
      await stack.dispose();
    }
  },

  rows(r) {
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const fmt = (x: Summary) => formatSummary(x, s);
    return [
      { label: `offline threshold (shortened), sweep every`, value: `${s(r.offlineAfterMs)}, ${s(r.timerIntervalMs)}` },
      { label: 'last poll → offline event (p50/p99/max)', value: fmt(r.lastPollToEvent) },
      { label: '  of which beyond the threshold', value: fmt(r.beyondThreshold) },
      { label: 'silent → first / all offline events', value: `${s(r.firstEventMs)} / ${s(r.allEventsMs)}` },
      { label: 'agents without an offline event', value: String(r.missing) },
    ];
  },
};
