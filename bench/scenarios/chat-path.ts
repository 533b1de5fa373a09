import { createHash, randomBytes } from 'node:crypto';
import { isTime, monoMs, sleep } from '../lib/clock.js';
import { forkLoadProcess } from '../lib/load-process.js';
import { prepareStack } from '../lib/stacks.js';
import { startServerProcess } from '../lib/server-process.js';
import { summarize, type Summary, formatSummary } from '../lib/stats.js';
import { WebChatClient, type StreamedMessage } from '../lib/web-client.js';
import type { Scenario, ScenarioContext } from './scenario.js';

export interface ChatResult {
  messages: number;
  ratePerSec: number;
  /** POST /web/api/messages sent → its 202 (the dispatcher took the message: de-duplication, access, job created). */
  postAnswered: Summary;
  /** POST sent → the bot's first message in the thread on the event stream (the acknowledgement). */
  firstReply: Summary;
  /** POST sent → the reply showing the job's final state (succeeded) on the event stream. */
  finalReply: Summary;
  /** Messages without a final reply within 15 s. */
  missing: number;
  postErrors: number;
}

const FINAL = new Set(['succeeded', 'failed', 'expired', 'cancelled']);
const id = () => randomBytes(12).toString('base64url');

/**
 * The chat path (issue 9): a message typed in the web chat → reply rendered. A server of its own
 * (web chat on, in its own process), one agent in a load process, and the runner as the browser:
 * logged in, holding the conversation's event stream, posting `chat-000 echo …` at a light pace
 * as the page does. Timed until the bot's message for that thread shows the job's final state.
 */
export const chatPath: Scenario<ChatResult> = {
  id: 'chat',
  standalone: true,
  title: (o) => `chat path: web chat message → reply rendered on the event stream, ${o.chat.ratePerSec}/s (ms, p50 / p99 / max)`,

  async run(ctx: ScenarioContext): Promise<ChatResult> {
    const { messages, ratePerSec, warmup } = ctx.options.chat;
    const stack = await prepareStack(ctx.stack.id, ctx.endpoints);
    try {
      const webToken = randomBytes(24).toString('base64url');
      const flags = { 'web.enabled': true, 'web.users': [{ name: 'admin', tokenHash: createHash('sha256').update(webToken).digest('hex') }] };
      const server = await startServerProcess(stack, { logLevel: ctx.logLevel, flags });
      try {
        const created = await server.request({ type: 'create-agents', count: 1, prefix: 'chat', concurrency: 1 }, 'agents-created');
        const agentName = created.agents[0]!.name;
        const load = forkLoadProcess();
        const client = new WebChatClient(server.url, id());
        try {
          await load.request({ type: 'init', server: server.url, agents: created.agents, userToken: server.userToken, agent: { capacity: 10, outputRatio: 0.5, pollWaitSeconds: 25 }, submitSockets: 1 }, 'ready');
          for (const until = monoMs() + 15_000; (await server.request({ type: 'stats' }, 'stats')).stats.heldPolls < 1; await sleep(20)) {
            if (monoMs() > until) throw new Error('the chat agent did not connect');
          }
          await client.login('admin', webToken);
          const first = new Map<string, number>();
          const final = new Map<string, number>();
          await client.openStream((m: StreamedMessage) => {
            if (m.message.author.kind !== 'bot') return;
            const thread = m.message.threadId;
            if (!first.has(thread)) first.set(thread, m.at);
            if (m.message.status && FINAL.has(m.message.status) && !final.has(thread)) final.set(thread, m.at);
          });

          const sent: Array<{ thread: string; postSent: number; postAnswered: number }> = [];
          let postErrors = 0;
          const total = warmup + messages;
          const t0 = monoMs();
          const posts: Promise<void>[] = [];
          for (let i = 0; i < total; i++) {
            const wait = t0 + (i * 1000) / ratePerSec - monoMs();
            if (wait > 0) await sleep(wait);
            const thread = id();
            const postSent = monoMs();
            posts.push(
              client.post(thread, `${agentName} echo chat ${i}`).then(
                (status) => {
                  if (status !== 202) postErrors++;
                  else if (i >= warmup) sent.push({ thread, postSent, postAnswered: monoMs() });
                },
                () => void postErrors++,
              ),
            );
          }
          await Promise.all(posts);
          for (const until = monoMs() + 15_000; monoMs() < until && sent.some((s) => !final.has(s.thread)); ) await sleep(20);
          const of = (m: Map<string, number>) => sent.filter((s) => isTime(m.get(s.thread))).map((s) => m.get(s.thread)! - s.postSent);
          return {
            messages: sent.length,
            ratePerSec,
            postAnswered: summarize(sent.map((s) => s.postAnswered - s.postSent)),
            firstReply: summarize(of(first)),
            finalReply: summarize(of(final)),
            missing: sent.filter((s) => !final.has(s.thread)).length,
            postErrors,
          };
        } finally {
          client.close();
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
    const fmt = (x: Summary) => formatSummary(x);
    return [
      { label: 'message posted → reply rendered (final)', value: fmt(r.finalReply) },
      { label: '  → first bot message (acknowledgement)', value: fmt(r.firstReply) },
      { label: '  → POST answered (202)', value: fmt(r.postAnswered) },
      { label: 'messages (no final reply), POST errors', value: `${r.messages} (${r.missing}), ${r.postErrors}` },
    ];
  },
};
