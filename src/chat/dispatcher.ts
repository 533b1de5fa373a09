import { createHash } from 'node:crypto';
import { AGENT_NAME_PATTERN, SkadiError, displayText, randomId } from '../core/index.js';
import type { AccessChecker, AuditStore, Clock, CommandContext, EventMessagePayload, FanOutApi, InboundMessage, JobsApi, KeyValueStore, Logger, OutboundMessage, ThreadRef } from '../core/index.js';
import type { CommandRegistry } from './command-registry.js';
import { errorSentence, isUserError } from './error-sentences.js';
import { DEFAULT_MAX_MESSAGE_LENGTH, parseCommand } from './parse-command.js';
import { closestNames } from '../core/closest-names.js';
import { submitFanOut } from './submit-fan-out.js';

export interface DispatcherOptions {
  /** Longest message text accepted (default 4000). */
  maxMessageLength?: number;
  /** How long a platform message id is remembered for de-duplication (default 24 h; platforms retry within minutes). */
  dedupTtlMs?: number;
  /**
   * How long one delivery of a message is being handled before another delivery of it may be
   * (default 10 s). If the process handling it dies half-way, the platform's retry goes through
   * once this has passed; until then a retry is asked to come back later.
   */
  handlingLeaseMs?: number;
}

/** What the de-duplication store keeps per inbound message id. */
interface InboundRecord {
  state: 'handling' | 'done';
  at: string;
  jobId?: string | null;
}

/**
 * A chat message makes at most one job, whichever process handles which delivery of it: the
 * job is created with the message id as its idempotency key.
 */
function inboundIdempotency(message: InboundMessage, agent: string, text: string): { scope: string; key: string; fingerprint: string } {
  const key = message.id.length <= 200 ? message.id : `sha256:${createHash('sha256').update(message.id).digest('hex')}`;
  const fingerprint = createHash('sha256').update(JSON.stringify([agent, text, message.sender.identity])).digest('hex');
  return { scope: `chat:${message.platform}`, key, fingerprint };
}

export interface DispatcherDeps {
  jobs: JobsApi;
  commands: CommandRegistry;
  access: AccessChecker;
  audit: AuditStore;
  kv: KeyValueStore;
  /** Publishes EventMessage (wired to the bus or the outbox). */
  publish: (payload: EventMessagePayload) => Promise<void>;
  /** Sends a message into a thread through the adapter of `thread.platform`. */
  reply: (thread: ThreadRef, message: OutboundMessage) => Promise<void>;
  clock: Clock;
  logger: Logger;
  /** Identities of bots (this one included) whose messages are ignored even if not flagged isBot. */
  botIdentities?: readonly string[];
  /** Fan-out (`<selector> <message>`); without it such messages get a reply saying it is not available. */
  fanOut?: FanOutApi;
}

/** The MessageSink adapters call, plus `drain()` to wait for replies still being sent (tests, shutdown). */
export interface Dispatcher {
  (message: InboundMessage): Promise<void>;
  drain(): Promise<void>;
}

interface Outcome {
  jobId: string | null;
  command: string | null;
}

const NOTHING: Outcome = { jobId: null, command: null };

/**
 * Turns inbound chat messages into built-in command answers or jobs. It resolves as soon as the
 * message is accepted (job stored or command answered, reply under way), so adapters can
 * acknowledge within the platform's deadline; the job's acknowledgement comes from the reply
 * router. User mistakes get a reply, never an exception.
 */
export function createDispatcher(options: DispatcherOptions, deps: DispatcherDeps): Dispatcher {
  const maxLength = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  const dedupTtlMs = options.dedupTtlMs ?? 24 * 60 * 60 * 1000;
  const handlingLeaseMs = options.handlingLeaseMs ?? 10_000;
  const bots = new Set((deps.botIdentities ?? []).map((identity) => identity.toLowerCase()));
  const pending = new Set<Promise<void>>();
  const log = deps.logger.child({ component: 'dispatcher' });

  /** Replies in the background: the sink must not wait for the platform's send API. */
  function respond(thread: ThreadRef, message: OutboundMessage): void {
    const sending = deps.reply(thread, message).catch((err: unknown) => log.error({ err, thread }, 'reply failed'));
    const tracked = sending.finally(() => pending.delete(tracked));
    pending.add(tracked);
  }

  async function runCommand(message: InboundMessage, word: string, typed: string[]): Promise<Outcome> {
    const spec = deps.commands.resolve(word)!;
    const identity = message.sender.identity;
    const decision = await deps.access.decide(identity, { command: spec.name, permission: spec.permission }, { platform: message.platform, messageId: message.id });
    if (!decision.allowed) {
      respond(message.thread, { text: `Sorry, ${decision.reason}.`, status: 'refused' });
      return { jobId: null, command: spec.name };
    }
    const bound = deps.commands.bind(spec, typed);
    if (!bound.ok) {
      respond(message.thread, { text: bound.message, status: 'error' });
      return { jobId: null, command: spec.name };
    }
    const ctx: CommandContext = {
      message,
      requester: { identity, displayName: message.sender.displayName },
      jobs: deps.jobs,
      access: deps.access,
      commands: deps.commands.commands,
      clock: deps.clock,
    };
    respond(message.thread, await spec.run(ctx, bound.args));
    return { jobId: null, command: spec.name };
  }

  async function unknownWord(message: InboundMessage, word: string): Promise<void> {
    const identity = message.sender.identity;
    // Suggest only what this user may use: no hints about other teams' agents.
    const agents = (await deps.jobs.listAgents()).filter((agent) => !agent.revokedAt && deps.access.allows(identity, { agent: agent.name, labels: agent.labels })).map((agent) => agent.name);
    const commands = deps.commands.commands.filter((spec) => deps.access.allows(identity, { command: spec.name, permission: spec.permission })).map((spec) => spec.name);
    // Words longer than any name cannot be typos of one; skip the quadratic comparison.
    const close = word.length <= 64 ? closestNames(word, [...agents, ...commands]) : [];
    const shown = displayText([...word].length > 40 ? `${[...word].slice(0, 40).join('')}…` : word);
    const hint = close.length ? ` Did you mean ${close.map((name) => `"${name}"`).join(' or ')}?` : '';
    respond(message.thread, { text: `I know no agent or command called "${shown}".${hint} Say "agents" to list the agents you may use, or "help".`, status: 'error' });
  }

  async function submitJob(message: InboundMessage, agentName: string, text: string): Promise<Outcome> {
    const agent = AGENT_NAME_PATTERN.test(agentName) ? await deps.jobs.getAgent(agentName) : null;
    if (!agent) {
      await unknownWord(message, agentName);
      return NOTHING;
    }
    const identity = message.sender.identity;
    const decision = await deps.access.decide(identity, { agent: agent.name, labels: agent.labels }, { platform: message.platform, messageId: message.id });
    if (!decision.allowed) {
      respond(message.thread, { text: `Sorry, ${decision.reason}.`, status: 'refused' });
      return NOTHING;
    }
    if (text === '') {
      respond(message.thread, { text: `What should ${agent.name} run? Put it after the name, for example "${agent.name} uptime".`, status: 'info' });
      return NOTHING;
    }
    const { job, created } = await deps.jobs.submit({
      agent: agent.name,
      message: text,
      requester: { identity, displayName: message.sender.displayName },
      thread: message.thread,
      idempotency: inboundIdempotency(message, agent.name, text),
    });
    // A retry of a message whose job an earlier delivery stored (then died before saying so).
    if (!created) return { jobId: job.id, command: null };
    await deps.audit.append({ at: deps.clock.now(), actor: identity, action: 'job.submit', target: agent.name, decision: 'info', detail: { jobId: job.id, platform: message.platform, messageId: message.id } });
    return { jobId: job.id, command: null };
  }

  async function handle(message: InboundMessage): Promise<Outcome> {
    const parsed = parseCommand(message.text, { isCommand: (word) => deps.commands.isCommand(word), maxLength });
    switch (parsed.kind) {
      case 'empty':
        respond(message.thread, { text: 'Yes? Say "help" to see what I can do, or "<agent> <message>" to run a job.', status: 'info' });
        return NOTHING;
      case 'error':
        respond(message.thread, { text: parsed.message, status: 'error' });
        return NOTHING;
      case 'command':
        return runCommand(message, parsed.word, parsed.args);
      case 'agent':
        return submitJob(message, parsed.agent, parsed.message);
      case 'fanout':
        return submitFanOut(parsed, message, { fanOut: deps.fanOut, access: deps.access, respond: (reply) => respond(message.thread, reply), idempotency: (target, text) => inboundIdempotency(message, target, text) });
    }
  }

  async function publish(message: InboundMessage, outcome: Outcome): Promise<void> {
    const { raw: _raw, receivedAt, ...rest } = message;
    try {
      await deps.publish({ message: { ...rest, receivedAt: receivedAt.toISOString() }, jobId: outcome.jobId, command: outcome.command });
    } catch (err) {
      // The job is stored and its own events are durable; a lost EventMessage is only a lost notice.
      log.warn({ err, messageId: message.id }, 'could not publish EventMessage');
    }
  }

  const dispatch = async (message: InboundMessage): Promise<void> => {
    const identity = message.sender.identity;
    if (message.sender.isBot || bots.has(identity.toLowerCase())) return log.debug({ messageId: message.id, identity }, 'ignored bot message');
    if (!message.mentionsBot) return;
    // De-duplication in the shared store, so a retry that lands on another server process counts
    // too, in two steps: a short lease while this delivery is handled, then a record that it was
    // (for dedupTtlMs). A process that dies half-way leaves only the lease: the platform's retry
    // is handled once it runs out, and finds the job the dead process may have stored (jobs are
    // idempotent by message id). A store failure throws to the adapter: the platform retries later.
    const key = `inbound:${message.platform}:${message.id}`;
    const now = deps.clock.now();
    if (!(await deps.kv.setIfAbsent<InboundRecord>(key, { state: 'handling', at: now.toISOString() }, new Date(now.getTime() + handlingLeaseMs)))) {
      const seen = await deps.kv.get<Partial<InboundRecord>>(key);
      if (seen === null || seen.state === 'handling') {
        throw new SkadiError('SKADI_UNAVAILABLE', 'this message is being handled already; if no answer comes, send it again in a moment', { retryAfterMs: handlingLeaseMs });
      }
      return log.debug({ messageId: message.id, platform: message.platform }, 'dropped duplicate message');
    }
    let outcome = NOTHING;
    try {
      outcome = await handle(message);
    } catch (err) {
      const reference = randomId(6);
      if (isUserError(err)) log.info({ err, messageId: message.id, identity }, 'request refused');
      else log.error({ err, reference, messageId: message.id, identity }, 'message handling failed');
      respond(message.thread, { text: errorSentence(err, reference), status: 'error' });
    }
    const done: InboundRecord = { state: 'done', at: deps.clock.now().toISOString(), jobId: outcome.jobId };
    await deps.kv.set(key, done, new Date(now.getTime() + dedupTtlMs)).catch((err: unknown) => {
      // The message is handled all the same; a retry after the lease finds its job by the message id.
      log.warn({ err, messageId: message.id }, 'could not record the message as handled');
    });
    await publish(message, outcome);
  };

  return Object.assign(dispatch, {
    async drain(): Promise<void> {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  });
}
