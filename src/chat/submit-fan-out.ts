import type { AccessChecker, FanOutApi, InboundMessage, OutboundMessage } from '../core/index.js';
import { noTargetsMessage } from '../../commands/fan-out-format.js';
import type { ParsedFanOut } from './parse-fan-out.js';

export interface SubmitFanOutDeps {
  fanOut: FanOutApi | undefined;
  access: AccessChecker;
  respond: (reply: OutboundMessage) => void;
  /** The message's idempotency key for this target and text (one job per chat message). */
  idempotency: (target: string, text: string) => { scope: string; key: string; fingerprint: string };
}

/**
 * `<selector> <message…>` from chat: one child job per matching online agent the sender may
 * use, under a parent whose one reply (from the reply router) is updated as they finish.
 * Access is decided (and audited) per agent; when nothing can run, the reply says why.
 */
export async function submitFanOut(parsed: Extract<ParsedFanOut, { kind: 'fanout' }>, message: InboundMessage, deps: SubmitFanOutDeps): Promise<{ jobId: string | null; command: string | null }> {
  const none = { jobId: null, command: null };
  if (!deps.fanOut) {
    deps.respond({ text: 'Sending one message to several agents (a selector) is not available here; name one agent: "<agent> <message>".', status: 'error' });
    return none;
  }
  if (parsed.message === '') {
    deps.respond({ text: `What should the agents matching ${parsed.selector} run? Put it after the selector, for example "${parsed.selector} uptime".`, status: 'info' });
    return none;
  }
  const identity = message.sender.identity;
  const concurrency = parsed.concurrency ?? deps.fanOut.defaults.concurrency;
  const maxFailures = parsed.maxFailures ?? deps.fanOut.defaults.maxFailures;
  const result = await deps.fanOut.submit({
    selector: parsed.selector,
    message: parsed.message,
    requester: { identity, displayName: message.sender.displayName },
    thread: message.thread,
    concurrency,
    maxFailures,
    idempotency: deps.idempotency(`${parsed.selector}\u0000${concurrency}\u0000${maxFailures}`, parsed.message),
    authorize: (agent) => deps.access.decide(identity, { agent: agent.name, labels: agent.labels }, { platform: message.platform, messageId: message.id, selector: parsed.selector }),
  });
  if (result.kind === 'no-targets') {
    deps.respond(noTargetsMessage(parsed.selector, result.matched, result.skipped));
    return none;
  }
  // The acknowledgement and the updates come from the reply router, from the parent's events.
  return { jobId: result.job.id, command: null };
}
